using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace XraySyslogSink.Spool;

/// <summary>The spool's file operations on the real file system.</summary>
internal sealed class PhysicalSpoolFileSystem : ISpoolFileSystem
{
    public static readonly PhysicalSpoolFileSystem Instance = new();

    public IDisposable LockDirectory(string directory)
    {
        Directory.CreateDirectory(directory);
        return new FileStream(Path.Combine(directory, "lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
    }

    public IReadOnlyList<string> List(string directory, string suffix) => [.. Directory.EnumerateFiles(directory, "*" + suffix)];

    public ISpoolFile Create(string path) =>
        new PhysicalFile(File.OpenHandle(path, FileMode.Create, FileAccess.Write, FileShare.Read | FileShare.Delete));

    public ISpoolFile OpenRead(string path) =>
        new PhysicalFile(File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete));

    public long Length(string path) => new FileInfo(path).Length;

    public void Delete(string path) => File.Delete(path);

    public byte[]? ReadSmallFile(string path) => File.Exists(path) ? File.ReadAllBytes(path) : null;

    public void WriteSecretFile(string path, ReadOnlySpan<byte> contents)
    {
        string temporary = path + ".new";
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var file = new FileStream(temporary, options))
        {
            file.Write(contents);
            file.Flush(flushToDisk: true);
        }

        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>
    /// A spool file whose pages leave the page cache once they are on the disk (after a sync) or have been read.
    /// The spool writes each byte once and reads it at most once, soon after, so cached spool pages serve no later
    /// read; keeping them only grows the cache by the spool's size (up to <c>Spool:MaxBytes</c>), evicting pages
    /// PostgreSQL on the same host could use. Released pages are reused by the next writes while they are still in
    /// the kernel's free lists, where a page cache growing into memory the kernel has not touched lately costs a
    /// fault per page: on the development VM that made writing the spool cost 3.35 CPU µs per row in a burst
    /// (perf, docs/performance.md "The spool and the page cache"); with the release it is 10 times cheaper.
    /// </summary>
    private sealed class PhysicalFile(SafeFileHandle handle) : ISpoolFile
    {
        private const int DontNeed = 4; // POSIX_FADV_DONTNEED on Linux

        public void Write(ReadOnlySpan<byte> data, long offset) => RandomAccess.Write(handle, data, offset);

        public int Read(Span<byte> buffer, long offset)
        {
            int read = RandomAccess.Read(handle, buffer, offset);
            if (read > 0)
            {
                // Everything before the end of this read, not just its range: pages the kernel read ahead were still
                // in flight when their own range was released (with the 8 MiB read-ahead of the development VM's
                // disk, 192 of 1,024 pages of a file read through stayed cached that way).
                Release(0, offset + read);
            }

            return read;
        }

        public void FlushToDisk()
        {
            RandomAccess.FlushToDisk(handle);

            // Now clean: the whole file's cached pages can go. Dirty ones (written after the sync) stay.
            Release(0, 0);
        }

        public void Dispose() => handle.Dispose();

        /// <summary>Advice only: where the kernel or file system does not take it, the pages simply stay cached.</summary>
        private void Release(long offset, long length)
        {
            if (!OperatingSystem.IsLinux())
            {
                return;
            }

            bool added = false;
            try
            {
                handle.DangerousAddRef(ref added);
                _ = PosixFadvise((int)handle.DangerousGetHandle(), offset, length, DontNeed);
            }
            finally
            {
                if (added)
                {
                    handle.DangerousRelease();
                }
            }
        }

        // Plain integers only: nothing to marshal. Returns an error number rather than setting errno.
        [DllImport("libc.so.6", EntryPoint = "posix_fadvise")]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        private static extern int PosixFadvise(int fd, long offset, long length, int advice);
    }
}
