using System.Buffers;
using System.IO.Compression;
using System.Security.Cryptography;

namespace XraySyslogSink.Import;

/// <summary>
/// One input of <c>xraysink import</c>: a file (gzip recognised by its magic bytes, whatever its name) or standard
/// input, which is first copied to a temporary file so that it can be hashed and then read, like a file.
/// Its identity is the SHA-256 of the decompressed content: the same log plain or gzipped is the same import.
/// </summary>
internal sealed class ImportSource : IDisposable
{
    private readonly bool _temporary;

    private ImportSource(string name, string path, bool temporary)
    {
        Name = name;
        Path = path;
        _temporary = temporary;
        var info = new FileInfo(path);
        Length = info.Length;
        ModifiedAt = new DateTimeOffset(info.LastWriteTimeUtc, TimeSpan.Zero);
    }

    /// <summary>As given on the command line (<c>-</c> for standard input).</summary>
    public string Name { get; }

    /// <summary>The file read (a temporary copy for standard input).</summary>
    public string Path { get; }

    /// <summary>Bytes of the file as stored (compressed when gzip).</summary>
    public long Length { get; }

    /// <summary>
    /// When the file was last written: the lines are no newer, so a line that takes its time from a year-less syslog
    /// header gets its year from this (the daemon uses the arrival time).
    /// </summary>
    public DateTimeOffset ModifiedAt { get; private init; }

    public static ImportSource OpenFile(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        return File.Exists(path) ? new ImportSource(path, path, temporary: false) : throw new FileNotFoundException($"{path}: no such file", path);
    }

    /// <summary>Copies <paramref name="input"/> to a temporary file; the import then reads that file.</summary>
    public static async Task<ImportSource> StageAsync(Stream input, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(input);
        string path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"xraysink-import-{Guid.NewGuid():N}.log");
        try
        {
            await using (var staged = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, FileOptions.Asynchronous))
            {
                await input.CopyToAsync(staged, cancellationToken);
            }

            return new ImportSource("-", path, temporary: true) { ModifiedAt = now };
        }
        catch
        {
            File.Delete(path);
            throw;
        }
    }

    /// <summary>Opens the stored bytes; <see cref="Content"/> turns them into lines' bytes.</summary>
    public FileStream OpenRaw() => new(Path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);

    /// <summary>The decompressed content of <paramref name="raw"/> (the stream itself when not gzip).</summary>
    public static Stream Content(FileStream raw)
    {
        ArgumentNullException.ThrowIfNull(raw);
        Span<byte> magic = stackalloc byte[2];
        int read = raw.ReadAtLeast(magic, 2, throwOnEndOfStream: false);
        raw.Position = 0;
        return read == 2 && magic[0] == 0x1f && magic[1] == 0x8b ? new GZipStream(raw, CompressionMode.Decompress, leaveOpen: true) : raw;
    }

    /// <summary>The SHA-256 (lower-case hex) of the decompressed content and its number of lines.</summary>
    public (string Sha256, long Lines) Fingerprint(CancellationToken cancellationToken)
    {
        using FileStream raw = OpenRaw();
        using Stream content = Content(raw);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        byte[] buffer = ArrayPool<byte>.Shared.Rent(1 << 16);
        try
        {
            long newlines = 0;
            byte last = (byte)'\n';
            int read;
            while ((read = content.Read(buffer, 0, buffer.Length)) > 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
                ReadOnlySpan<byte> span = buffer.AsSpan(0, read);
                hash.AppendData(span);
                newlines += span.Count((byte)'\n');
                last = span[^1];
            }

            return (Convert.ToHexStringLower(hash.GetHashAndReset()), newlines + (last == '\n' ? 0 : 1));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    public void Dispose()
    {
        if (_temporary)
        {
            File.Delete(Path);
        }
    }
}
