namespace XraySyslogSink.Core;

/// <summary>Where the writer commits its batches; the PostgreSQL store in the daemon.</summary>
/// <remarks>
/// The writer prepares batch N+1 while batch N commits, and commits strictly in order: a store's
/// <see cref="PrepareAsync"/> may run concurrently with its <see cref="CommitAsync"/> of the previous batches, never
/// with another prepare or with a <see cref="ResolveAheadAsync"/>; a <see cref="ResolveAheadAsync"/> (of the batch
/// being collected) may run concurrently with commits, never with another one. Two commits overlap only as their <see cref="CommitTurn"/>s allow: the later one writes its
/// rows while the earlier one finishes, and commits after it.
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

    /// <summary>
    /// Readies the store's way for batches before the first one (the PostgreSQL store runs each of its statements once
    /// and rolls back, so their first use is not paid by the first rows). Stores nothing; a failure is not fatal.
    /// </summary>
    Task WarmUpAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>
    /// Work on chunks of the batch still being collected that its <see cref="PrepareAsync"/> would otherwise do
    /// after the cut (the PostgreSQL store resolves their new dimension values). Best effort: what it leaves undone,
    /// or a failure, the prepare makes good; it commits none of the batch's rows.
    /// </summary>
    Task ResolveAheadAsync(IReadOnlyList<RecordChunk> chunks, CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>
    /// Commits a prepared batch atomically, or throws and commits nothing; may be retried with the same batch. With a
    /// <paramref name="turn"/>, tells it when the rows are written (<see cref="CommitTurn.RowsWritten"/>) and commits
    /// only once <see cref="CommitTurn.PredecessorCommittedAsync"/> has returned.
    /// </summary>
    async Task<FlushResult> CommitAsync(PreparedBatch batch, CommitTurn? turn, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (turn is not null)
        {
            // A store without a transaction to hold open writes nothing before its turn.
            turn.RowsWritten();
            await turn.PredecessorCommittedAsync(cancellationToken);
        }

        return await WriteBatchAsync(batch.Chunks, cancellationToken);
    }
}
