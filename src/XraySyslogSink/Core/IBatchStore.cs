namespace XraySyslogSink.Core;

/// <summary>Where the writer commits its batches; the PostgreSQL store in the daemon.</summary>
internal interface IBatchStore
{
    /// <summary>Commits all records and dead letters of <paramref name="chunks"/> atomically, or throws and commits nothing.</summary>
    Task<FlushResult> WriteBatchAsync(IReadOnlyList<RecordChunk> chunks, CancellationToken cancellationToken);
}
