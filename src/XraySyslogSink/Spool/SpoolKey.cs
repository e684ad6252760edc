using System.Security.Cryptography;

namespace XraySyslogSink.Spool;

/// <summary>
/// The spool's secret: 32 random bytes in <c>spool.key</c> beside the segments (mode 0600), made on first use.
/// Records carry a MAC under it, so bytes a sender controls can never pass for a record the spool wrote.
/// </summary>
internal sealed class SpoolKey
{
    public const string FileName = "spool.key";

    private const int Length = 32;

    private readonly byte[] _secret;

    public SpoolKey(byte[] secret)
    {
        ArgumentNullException.ThrowIfNull(secret);
        if (secret.Length != Length)
        {
            throw new ArgumentException($"A spool key has {Length} bytes.", nameof(secret));
        }

        _secret = secret;
    }

    /// <summary>
    /// Reads the directory's key, or makes one. A missing key beside segments of the keyed format would make
    /// them unreadable, so that refuses to start rather than replay nothing.
    /// </summary>
    public static SpoolKey LoadOrCreate(ISpoolFileSystem fileSystem, string directory, bool keyedSegmentsExist)
    {
        string path = Path.Combine(directory, FileName);
        byte[]? secret = fileSystem.ReadSmallFile(path);
        if (secret is not null)
        {
            return secret.Length == Length
                ? new SpoolKey(secret)
                : throw new InvalidOperationException($"{path} is damaged ({secret.Length} bytes, not {Length}); restore it, or remove it together with the *.v2.seg files (their lines are then lost).");
        }

        if (keyedSegmentsExist)
        {
            throw new InvalidOperationException($"{path} is missing but the spool holds segments written under it; restore it, or remove the *.v2.seg files (their lines are then lost).");
        }

        secret = RandomNumberGenerator.GetBytes(Length);
        fileSystem.WriteSecretFile(path, secret);
        return new SpoolKey(secret);
    }

    /// <summary>A MAC calculator under this key (one per thread: it keeps state between calls).</summary>
    public RecordMac CreateMac() => new(_secret);
}

/// <summary>HMAC-SHA256 truncated to <see cref="Length"/> bytes, over a record with its MAC field left out.</summary>
internal sealed class RecordMac : IDisposable
{
    public const int Length = 16;

    private readonly IncrementalHash _hmac;
    private readonly byte[] _full = new byte[32];

    public RecordMac(byte[] secret) => _hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, secret);

    public void Compute(ReadOnlySpan<byte> before, ReadOnlySpan<byte> after, Span<byte> destination)
    {
        _hmac.AppendData(before);
        _hmac.AppendData(after);
        _hmac.GetHashAndReset(_full);
        _full.AsSpan(0, Length).CopyTo(destination);
    }

    public bool Verify(ReadOnlySpan<byte> before, ReadOnlySpan<byte> after, ReadOnlySpan<byte> expected)
    {
        Span<byte> actual = stackalloc byte[Length];
        Compute(before, after, actual);
        return CryptographicOperations.FixedTimeEquals(actual, expected);
    }

    public void Dispose() => _hmac.Dispose();
}
