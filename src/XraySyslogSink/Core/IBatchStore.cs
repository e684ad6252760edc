namespace XraySyslogSink.Core;

/// <summary>Where the writer commits its batches; the PostgreSQL store in the daemon.</summary>
/// <remarks>
/// The writer prepares batch N+1 while batch N commits, and commits strictly in order: a store's
/// <see cref="PrepareAsync"/> may run concurrently with its <see cref="CommitAsync"/> of the previous batch, never
/// with another prepare or another commit.
/// </remarks>
internal interface IBatchStore
{
    /// <summary>Commits all records and dead letters of <paramref name="chunks"/> atomically, or throws and commits nothing.</summary>
    Task<FlushResult> WriteBatchAsync(IReadOnlyList<RecordChunk> chunks, CancellationToken cancellationToken);

    /// <summary>
    /// The part of a batch's work that need not wait for the previous commit (the PostgreSQL store resolves new
    /// dimension values and plans the rows by day). Commits nothing of the batch's rows; may be repeated.
    /// </summary>
    Task<PreparedBatch> PrepareAsync(IReadOnlyList<RecordChunk> chunks, CancellationToken cancellationToken) =>
        Task.FromResult(new PreparedBatch(chunks));

    /// <summary>Commits a prepared batch atomically, or throws and commits nothing; may be retried with the same batch.</summary>
    Task<FlushResult> CommitAsync(PreparedBatch batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        return WriteBatchAsync(batch.Chunks, cancellationToken);
    }
}
