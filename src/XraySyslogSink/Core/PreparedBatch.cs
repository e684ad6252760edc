namespace XraySyslogSink.Core;

/// <summary>
/// A batch its store has made ready to commit (<see cref="IBatchStore.PrepareAsync"/>): whatever does not depend on
/// the previous batch's commit is done, so the writer prepares one batch while the database commits the one before.
/// </summary>
internal class PreparedBatch
{
    public PreparedBatch(IReadOnlyList<RecordChunk> chunks)
    {
        ArgumentNullException.ThrowIfNull(chunks);
        Chunks = chunks;
    }

    public IReadOnlyList<RecordChunk> Chunks { get; }
}
