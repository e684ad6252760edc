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

    private sealed class PhysicalFile(SafeFileHandle handle) : ISpoolFile
    {
        public void Write(ReadOnlySpan<byte> data, long offset) => RandomAccess.Write(handle, data, offset);

        public int Read(Span<byte> buffer, long offset) => RandomAccess.Read(handle, buffer, offset);

        public void FlushToDisk() => RandomAccess.FlushToDisk(handle);

        public void Dispose() => handle.Dispose();
    }
}
