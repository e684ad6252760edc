namespace XraySyslogSink.Spool;

/// <summary>
/// Which segments exist, in sequence order, how many bytes they hold, and how far the database has committed;
/// decides which segments may be deleted. Not thread-safe: the spool calls it under its lock.
/// </summary>
internal sealed class SegmentLedger
{
    private readonly List<SpoolSegment> _segments = [];

    public IReadOnlyList<SpoolSegment> Segments => _segments;

    /// <summary>Bytes of segment files, including appends still in the writer's buffer.</summary>
    public long Bytes { get; private set; }

    /// <summary>Highest sequence number whose message the database has committed.</summary>
    public long Committed { get; private set; }

    public void Add(SpoolSegment segment)
    {
        if (_segments.Count > 0 && segment.FirstSequence <= _segments[^1].FirstSequence)
        {
            throw new InvalidOperationException($"Segment {segment.FirstSequence} does not follow {_segments[^1].FirstSequence}.");
        }

        _segments.Add(segment);
        Bytes += segment.Length;
    }

    /// <summary>Records <paramref name="bytes"/> appended to the last segment.</summary>
    public void Appended(long bytes) => Bytes += bytes;

    /// <summary>Moves the committed position forward (never back).</summary>
    public void Commit(long sequence) => Committed = Math.Max(Committed, sequence);

    /// <summary>The segment after <paramref name="segment"/>, or null when it is the last.</summary>
    public SpoolSegment? Next(SpoolSegment segment)
    {
        // By number, not position: the segment itself may have been deleted meanwhile.
        foreach (SpoolSegment candidate in _segments)
        {
            if (candidate.FirstSequence > segment.FirstSequence)
            {
                return candidate;
            }
        }

        return null;
    }

    /// <summary>The highest sequence number <paramref name="segment"/> can hold: what the ledger knows was appended to it.</summary>
    public long UpperBound(SpoolSegment segment) => Next(segment) is { } next ? next.FirstSequence - 1 : long.MaxValue;

    /// <summary>
    /// Takes out of the ledger every segment whose messages are all committed and that nothing still needs:
    /// written and synced, and not the active one while <paramref name="activeInUse"/>. The caller deletes their files.
    /// </summary>
    public List<SpoolSegment> TakeDeletable(SpoolSegment? active, bool activeInUse)
    {
        List<SpoolSegment> done = [];
        for (int i = _segments.Count - 1; i >= 0; i--)
        {
            SpoolSegment segment = _segments[i];
            bool isActive = segment == active;
            if (!segment.IsCommitted(Committed) || segment.Dirty || segment.UnwrittenBuffers > 0 || (isActive && (activeInUse || segment.LastSequence < segment.FirstSequence)))
            {
                continue;
            }

            _segments.RemoveAt(i);
            Bytes -= segment.Length;
            done.Add(segment);
        }

        return done;
    }
}
