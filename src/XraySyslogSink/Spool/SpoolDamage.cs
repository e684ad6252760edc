using Microsoft.Extensions.Logging;

namespace XraySyslogSink.Spool;

/// <summary>What a <see cref="SegmentReader"/> passed over or corrected.</summary>
internal readonly record struct SegmentDamage(long CorruptBytes, long RejectedRecords, long ClampedTimes)
{
    public bool IsEmpty => CorruptBytes == 0 && RejectedRecords == 0 && ClampedTimes == 0;

    public static SegmentDamage Of(SegmentReader reader) => new(reader.CorruptBytes, reader.RejectedRecords, reader.ClampedTimes);

    public static SegmentDamage operator -(SegmentDamage a, SegmentDamage b) =>
        new(a.CorruptBytes - b.CorruptBytes, a.RejectedRecords - b.RejectedRecords, a.ClampedTimes - b.ClampedTimes);
}

/// <summary>Counts what replay skipped or corrected, and logs it once per segment.</summary>
internal sealed partial class SpoolDamage(ILogger logger)
{
    private readonly HashSet<string> _logged = [];
    private long _corruptBytes;
    private long _rejectedRecords;
    private long _clampedTimes;

    /// <summary>Bytes skipped on replay because no trusted record started there.</summary>
    public long CorruptBytes => Interlocked.Read(ref _corruptBytes);

    /// <summary>Records that passed their check but not the sequence rules (never forwarded).</summary>
    public long RejectedRecords => Interlocked.Read(ref _rejectedRecords);

    /// <summary>Replayed messages whose received-at time lay outside the plausible window and was clamped into it.</summary>
    public long ClampedTimes => Interlocked.Read(ref _clampedTimes);

    public void Report(SpoolSegment segment, SegmentDamage damage)
    {
        if (damage.IsEmpty)
        {
            return;
        }

        Interlocked.Add(ref _corruptBytes, damage.CorruptBytes);
        Interlocked.Add(ref _rejectedRecords, damage.RejectedRecords);
        Interlocked.Add(ref _clampedTimes, damage.ClampedTimes);
        bool first;
        lock (_logged)
        {
            first = _logged.Add(segment.Path);
        }

        if (first)
        {
            LogDamage(damage.CorruptBytes, damage.RejectedRecords, damage.ClampedTimes, Path.GetFileName(segment.Path));
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Spool segment {Segment}: skipped {Bytes} damaged bytes and {Rejected} records out of sequence, clamped {Clamped} received-at times; the trusted records around them were replayed (further damage in this segment is counted, not logged)")]
    private partial void LogDamage(long bytes, long rejected, long clamped, string segment);
}
