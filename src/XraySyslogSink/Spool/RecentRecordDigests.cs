using System.IO.Hashing;
using System.Numerics;

namespace XraySyslogSink.Spool;

/// <summary>
/// A 64-bit digest (XxHash3, seeded with the record's offset in its segment) of each record this process appended
/// for the replay to forward, so that the replay can trust a record it reads back without computing its MAC again:
/// the bytes at that offset are the ones written exactly when their digest equals the one kept here.
/// </summary>
/// <remarks>
/// The expected digest comes from memory, never from the file, so bytes a sender put in a payload cannot supply
/// it: a record-shaped sequence inside a payload sits at another offset than the record that carries its sequence
/// number, and the digest it must meet covers that record's MAC field, which a sender cannot know. Damaged bytes
/// fail the digest (all but 2^-64 of the time) and fall back to the MAC and the damage handling as before. A ring
/// indexed by sequence number: it holds the last <see cref="Capacity"/> numbers; an older number, one appended
/// before a restart, or one the hand-off forwarded from memory finds no digest of its own and is checked by its MAC.
/// Filled by the appenders as they seal their records; read by the replay without the spool's lock.
/// </remarks>
internal sealed class RecentRecordDigests
{
    /// <summary>Fewest digests kept, whatever the spool's size.</summary>
    public const int MinCapacity = 1024;

    /// <summary>Most digests kept: 8 MiB, reached by the default <see cref="SpoolOptions.MaxBytes"/> of 1 GiB.</summary>
    public const int MaxCapacity = 1024 * 1024;

    /// <summary>Bytes of spool per digest kept: the ring covers a full spool of records of at least this size.</summary>
    public const int SpoolBytesPerDigest = 1024;

    private readonly ulong[] _digests;
    private readonly long _mask;
    private long _newest;
    private long _matched;

    /// <param name="capacity">Sequence numbers covered; rounded up to a power of two.</param>
    public RecentRecordDigests(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(capacity, MaxCapacity);
        _digests = new ulong[BitOperations.RoundUpToPowerOf2((uint)capacity)];
        _mask = _digests.Length - 1;
    }

    /// <summary>How many of the latest sequence numbers can have a digest.</summary>
    public int Capacity => _digests.Length;

    /// <summary>Records that matched their digest, so that no MAC was computed for them (read by tests).</summary>
    public long Matched => Interlocked.Read(ref _matched);

    /// <summary>The memory the digests take (8 bytes each).</summary>
    public long Bytes => _digests.Length * (long)sizeof(ulong);

    /// <summary>The ring for a spool of <paramref name="maxBytes"/>: one digest per <see cref="SpoolBytesPerDigest"/>, within the bounds.</summary>
    public static RecentRecordDigests ForSpool(long maxBytes) =>
        new((int)Math.Clamp(maxBytes / SpoolBytesPerDigest, MinCapacity, MaxCapacity));

    /// <summary>The digest of <paramref name="record"/> read or written at <paramref name="offset"/> in its segment.</summary>
    public static ulong Digest(long offset, ReadOnlySpan<byte> record) => XxHash3.HashToUInt64(record, offset);

    /// <summary>
    /// Keeps the digest of the sealed record numbered <paramref name="sequence"/> at <paramref name="offset"/>. The
    /// appenders call it as they seal their records, on several threads and so not always in number order, each before
    /// its record's bytes go to the OS (so before the replay can read them).
    /// </summary>
    public void Remember(long sequence, long offset, ReadOnlySpan<byte> record)
    {
        ulong digest = Digest(offset, record);
        // Published before the slot is overwritten: a reader that sees the new slot sees the number too, and so
        // knows an older number's slot may be gone (release order of the two volatile writes). Only ever raised.
        long newest = Volatile.Read(ref _newest);
        while (newest < sequence)
        {
            long seen = Interlocked.CompareExchange(ref _newest, sequence, newest);
            if (seen == newest)
            {
                break;
            }

            newest = seen;
        }

        Volatile.Write(ref _digests[sequence & _mask], digest);
    }

    /// <summary>
    /// Whether <paramref name="record"/>, read at <paramref name="offset"/> and claiming the number
    /// <paramref name="sequence"/>, is byte for byte the record remembered for that number. False when there is no
    /// digest for it (too old, never remembered) or the bytes differ: the caller then checks the MAC.
    /// </summary>
    public bool Matches(long sequence, long offset, ReadOnlySpan<byte> record)
    {
        if (sequence <= 0)
        {
            return false;
        }

        ulong expected = Volatile.Read(ref _digests[sequence & _mask]);
        long newest = Volatile.Read(ref _newest);
        if (sequence > newest || newest - sequence >= _digests.Length || expected != Digest(offset, record))
        {
            return false;
        }

        Interlocked.Increment(ref _matched);
        return true;
    }
}
