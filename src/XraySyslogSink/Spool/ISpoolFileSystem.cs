namespace XraySyslogSink.Spool;

/// <summary>
/// The file operations the spool needs, and nothing more: the seam between the spool's logic and the disk.
/// <see cref="PhysicalSpoolFileSystem"/> is the real one; the unit tests run the spool's parts against a
/// simulated one that can lose unsynced bytes and damage files the way a power loss does.
/// </summary>
internal interface ISpoolFileSystem
{
    /// <summary>Creates <paramref name="directory"/> when missing and takes the one-daemon-per-directory lock; throws when another process holds it.</summary>
    IDisposable LockDirectory(string directory);

    /// <summary>Full paths of the files directly in <paramref name="directory"/> whose names end with <paramref name="suffix"/>.</summary>
    IReadOnlyList<string> List(string directory, string suffix);

    /// <summary>A new, empty file open for writing (an existing one is replaced).</summary>
    ISpoolFile Create(string path);

    /// <summary>An existing file open for reading, while others may still append to or delete it.</summary>
    ISpoolFile OpenRead(string path);

    long Length(string path);

    void Delete(string path);

    /// <summary>The contents of a small file, or null when it does not exist.</summary>
    byte[]? ReadSmallFile(string path);

    /// <summary>Writes a small file readable by its owner only (mode 0600), synced to disk and put in place atomically.</summary>
    void WriteSecretFile(string path, ReadOnlySpan<byte> contents);
}

/// <summary>One open spool file: positional reads and writes, and a flush to the disk itself.</summary>
internal interface ISpoolFile : IDisposable
{
    void Write(ReadOnlySpan<byte> data, long offset);

    /// <summary>Bytes read into <paramref name="buffer"/> from <paramref name="offset"/>; 0 at the end of the file.</summary>
    int Read(Span<byte> buffer, long offset);

    /// <summary>Returns once everything written is on the disk (fsync): the group commit.</summary>
    void FlushToDisk();
}
