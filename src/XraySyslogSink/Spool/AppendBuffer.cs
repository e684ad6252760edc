namespace XraySyslogSink.Spool;

/// <summary>
/// A run of records bound for one place in one segment file, collected in memory so that they reach the OS in one
/// large write. Appenders claim room in it under the spool's lock (<see cref="Claim"/>) and seal their records after
/// letting the lock go (<see cref="Filled"/>); once it is closed and every claim in it is filled, its bytes are
/// complete and it may be written. The writer opens, closes and writes it under the spool's lock.
/// </summary>
internal sealed class AppendBuffer(int capacity)
{
    // One hold while open, plus one per claim not yet filled: zero means closed with every record complete.
    private int _holds;

    public byte[] Bytes { get; } = new byte[capacity];

    /// <summary>The segment the bytes belong to.</summary>
    public SpoolSegment Segment { get; private set; } = null!;

    /// <summary>Where in <see cref="Segment"/>'s file the first byte goes.</summary>
    public long FileOffset { get; private set; }

    /// <summary>Bytes claimed so far.</summary>
    public int Length { get; private set; }

    /// <summary>The highest sequence number claimed in it (0: only a segment's start record).</summary>
    public long LastSequence { get; private set; }

    /// <summary>Whether it is closed and every claim in it filled, so that its bytes may be written.</summary>
    public bool IsComplete => Volatile.Read(ref _holds) == 0;

    /// <summary>Readies the buffer for the bytes of <paramref name="segment"/> from <paramref name="fileOffset"/> on.</summary>
    public void Open(SpoolSegment segment, long fileOffset)
    {
        Segment = segment;
        FileOffset = fileOffset;
        Length = 0;
        LastSequence = 0;
        _holds = 1;
    }

    public bool HasRoom(int size) => Length + size <= Bytes.Length;

    /// <summary>Bytes written in place by the writer itself (a segment's start record): nothing to wait for.</summary>
    public Span<byte> Take(int size)
    {
        Span<byte> taken = Bytes.AsSpan(Length, size);
        Length += size;
        return taken;
    }

    /// <summary>Claims <paramref name="size"/> bytes for the record numbered <paramref name="sequence"/>; where they start.</summary>
    public int Claim(int size, long sequence)
    {
        int start = Length;
        Length += size;
        LastSequence = sequence;
        Interlocked.Increment(ref _holds);
        return start;
    }

    /// <summary>A claim's record is complete; true when that completed the buffer (see <see cref="IsComplete"/>).</summary>
    public bool Filled() => Interlocked.Decrement(ref _holds) == 0;

    /// <summary>No more claims; true when no claim was outstanding, so the buffer is complete now.</summary>
    public bool Close() => Interlocked.Decrement(ref _holds) == 0;
}
