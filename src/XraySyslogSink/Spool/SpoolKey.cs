using System.Security.Cryptography;

namespace XraySyslogSink.Spool;

/// <summary>
/// The spool's secret: 32 random bytes in <c>spool.key</c> beside the segments (mode 0600), made on first use.
/// Records carry a MAC under it, so bytes a sender controls can never pass for a record the spool wrote: format 2's
/// HMAC-SHA256 under the key itself, format 3's BLAKE3 under a key derived from it (one key never serves two algorithms).
/// </summary>
internal sealed class SpoolKey
{
    public const string FileName = "spool.key";

    private const int Length = 32;

    private readonly byte[] _secret;

    /// <summary>The key of format 3's BLAKE3 MAC, derived from <see cref="_secret"/> once (see <see cref="Blake3RecordMac.DeriveKey"/>).</summary>
    private readonly byte[] _blake3Key;

    public SpoolKey(byte[] secret)
    {
        ArgumentNullException.ThrowIfNull(secret);
        if (secret.Length != Length)
        {
            throw new ArgumentException($"A spool key has {Length} bytes.", nameof(secret));
        }

        _secret = secret;
        _blake3Key = Blake3RecordMac.DeriveKey(secret);
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
                : throw new InvalidOperationException($"{path} is damaged ({secret.Length} bytes, not {Length}); restore it, or remove it together with the *.v2.seg and *.v3.seg files (their lines are then lost).");
        }

        if (keyedSegmentsExist)
        {
            throw new InvalidOperationException($"{path} is missing but the spool holds segments written under it; restore it, or remove the *.v2.seg and *.v3.seg files (their lines are then lost).");
        }

        secret = RandomNumberGenerator.GetBytes(Length);
        fileSystem.WriteSecretFile(path, secret);
        return new SpoolKey(secret);
    }

    /// <summary>
    /// The MAC calculator of the keyed record format <paramref name="version"/> under this key (one per thread: it
    /// keeps state between calls).
    /// </summary>
    public RecordMac CreateMac(int version) => version switch
    {
        SpoolSegment.HmacVersion => new HmacRecordMac(_secret),
        SpoolSegment.Blake3Version => new Blake3RecordMac(_blake3Key),
        _ => throw new ArgumentOutOfRangeException(nameof(version), version, "Not a keyed spool record format."),
    };

    /// <summary>A MAC calculator for every keyed format, made as each is first needed (one set per thread).</summary>
    public RecordMacs CreateMacs() => new(this);
}
