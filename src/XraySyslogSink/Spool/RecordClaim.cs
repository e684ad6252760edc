namespace XraySyslogSink.Spool;

/// <summary>
/// A record appended under the spool's lock but not yet sealed: where it lies in its <see cref="AppendBuffer"/>, its
/// number and offset in its segment, and whether the replay will forward it (the hand-off did not take it in
/// memory), so its digest is worth keeping. The appender seals it (<see cref="SpoolWriter.Seal"/>) once it let the
/// lock go; the buffer waits for that before it is written.
/// </summary>
internal readonly record struct RecordClaim(AppendBuffer Buffer, int Start, int Size, long Sequence, long Offset, bool ForReplay = false)
{
    /// <summary>Whether there is a record to seal (a refused append leaves the default).</summary>
    public bool Exists => Buffer is not null;

    public Span<byte> Record => Buffer.Bytes.AsSpan(Start, Size);
}
