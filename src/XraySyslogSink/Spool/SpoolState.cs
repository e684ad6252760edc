namespace XraySyslogSink.Spool;

/// <summary>The parts of an open spool that its appenders, flusher and replay loop share, and the lock they share them under.</summary>
internal sealed class SpoolState(ISpoolFileSystem fileSystem, TimeProvider time, SegmentLedger ledger, SpoolWriter writer, HandOffSwitch handOff, RecentRecordDigests? digests = null)
{
    /// <summary>Held for every call into <see cref="Ledger"/>, <see cref="Writer"/> and <see cref="HandOff"/>; never across an fsync or a wait.</summary>
    public object Gate { get; } = new();

    public ISpoolFileSystem FileSystem { get; } = fileSystem;

    public TimeProvider Time { get; } = time;

    public SegmentLedger Ledger { get; } = ledger;

    public SpoolWriter Writer { get; } = writer;

    public HandOffSwitch HandOff { get; } = handOff;

    /// <summary>Digests of the records appended in this run for the replay (filled by <see cref="Writer"/> under the lock, read by the replay without it).</summary>
    public RecentRecordDigests? Digests { get; } = digests;
}
