using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace XraySyslogSink.Spool;

/// <summary>The spool's file operations on the real file system.</summary>
internal sealed class PhysicalSpoolFileSystem : ISpoolFileSystem
{
    /// <summary>Files that give their pages back to the kernel once synced or read (<c>Spool:ReleasePageCache</c>).</summary>
    public static readonly PhysicalSpoolFileSystem Instance = new(releasePageCache: true);

    /// <summary>Files whose pages stay in the page cache as the kernel sees fit.</summary>
    public static readonly PhysicalSpoolFileSystem KeepingPageCache = new(releasePageCache: false);

    private readonly bool _releasePageCache;

    private PhysicalSpoolFileSystem(bool releasePageCache) => _releasePageCache = releasePageCache;

    public IDisposable LockDirectory(string directory)
    {
        Directory.CreateDirectory(directory);
        return new FileStream(Path.Combine(directory, "lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
    }

    public IReadOnlyList<string> List(string directory, string suffix) => [.. Directory.EnumerateFiles(directory, "*" + suffix)];

    public ISpoolFile Create(string path) =>
        new PhysicalFile(File.OpenHandle(path, FileMode.Create, FileAccess.Write, FileShare.Read | FileShare.Delete), _releasePageCache);

    public ISpoolFile OpenRead(string path) =>
        new PhysicalFile(File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete), _releasePageCache);

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
    private sealed class PhysicalFile(SafeFileHandle handle, bool releasePageCache) : ISpoolFile
    {
        private const int DontNeed = 4; // POSIX_FADV_DONTNEED on Linux
        private const long PageMask = 4096 - 1;

        private const long ReleaseStep = 1024 * 1024;

        // What this handle wrote and has not yet released: [_unreleased, _writtenEnd). The spool writes under its lock
        // and syncs outside it, so a write may land while FlushToDisk reads _writtenEnd: its pages are then dirty, the
        // kernel keeps them, and they go when the segment file is deleted.
        private long _unreleased;
        private long _writtenEnd;

        // How far this handle's reads have released.
        private long _readReleased;

        public void Write(ReadOnlySpan<byte> data, long offset)
        {
            RandomAccess.Write(handle, data, offset);
            _writtenEnd = Math.Max(_writtenEnd, offset + data.Length);
        }

        public int Read(Span<byte> buffer, long offset)
        {
            int read = RandomAccess.Read(handle, buffer, offset);

            // Everything before the end of this read, not just its range: pages the kernel read ahead were still in
            // flight when their own range was released (with the 8 MiB read-ahead of the development VM's disk, 192
            // of 1,024 pages of a file read through stayed cached that way). Pages after it stay: they are the
            // read-ahead of the reads to come. Once per ReleaseStep read, not per read: a replay close behind the
            // writer reads in small pieces, and at most ReleaseStep stays cached per open file.
            long end = offset + read;
            if (read > 0 && end - _readReleased >= ReleaseStep)
            {
                Release(0, end);
                _readReleased = end;
            }

            return read;
        }

        public void FlushToDisk()
        {
            RandomAccess.FlushToDisk(handle);

            // Now clean: what was written since the last release can go. Only that range: the rest of the file may
            // hold pages read ahead for a replay further back, which are still to be read. The partial page at the
            // start (the kernel keeps partial pages) is taken again next time.
            long start = _unreleased & ~PageMask;
            if (_writtenEnd > start)
            {
                Release(start, _writtenEnd - start);
                _unreleased = _writtenEnd;
            }
        }

        public void Dispose() => handle.Dispose();

        /// <summary>Advice only: where the kernel or file system does not take it, the pages simply stay cached.</summary>
        private void Release(long offset, long length)
        {
            if (!releasePageCache || !OperatingSystem.IsLinux())
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
