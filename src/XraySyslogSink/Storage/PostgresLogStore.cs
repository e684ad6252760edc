using Microsoft.Extensions.Logging;
using Npgsql;
using XraySyslogSink.Core;
using XraySyslogSink.Telemetry;

namespace XraySyslogSink.Storage;

/// <summary>Stores one batch atomically: dimensions resolved, partitions ensured, rows copied, dead letters inserted.</summary>
/// <remarks>
/// Safe to call again with the same chunks after a transient failure: dimension ids are committed before
/// the rows and rewritten into the records, and rows plus dead letters commit in one transaction or not at all.
/// </remarks>
internal sealed partial class PostgresLogStore : IBatchStore
{
    private const string BisectSavepoint = "xraysink_rows";

    // CommitAsync's answer when the batch's spool range was already committed (a retry after a lost COMMIT reply).
    private const int AlreadyCommitted = -1;

    private readonly NpgsqlDataSource _dataSource;
    private readonly ILogger<PostgresLogStore> _logger;
    private readonly DimensionResolver _resolver;
    private readonly PartitionManager _partitions;
    private readonly LogCopier _copier = new();
    private readonly DayRowsPool _dayRows = new();
    private readonly NodeActivity _nodeActivity = new();
    private NodeTally? _nodeRows;
    private bool? _nodesStored;

    public PostgresLogStore(NpgsqlDataSource dataSource, DimensionCaches caches, ILogger<PostgresLogStore> logger)
        : this(dataSource, caches, logger, null)
    {
    }

    internal PostgresLogStore(NpgsqlDataSource dataSource, DimensionCaches caches, ILogger<PostgresLogStore> logger, PartitionManager? partitions)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        ArgumentNullException.ThrowIfNull(caches);
        ArgumentNullException.ThrowIfNull(logger);
        _dataSource = dataSource;
        _logger = logger;
        _resolver = new DimensionResolver(caches, logger);
        _partitions = partitions ?? new PartitionManager(logger);
    }

    /// <summary>
    /// The collector whose <c>spool_checkpoints</c> row each batch advances, in the batch's own transaction,
    /// to the highest spool sequence number of its chunks. Null: no checkpoint (chunks not from a spool).
    /// </summary>
    public string? CollectorId
    {
        get => (Checkpoint as SpoolCheckpoint)?.CollectorId;
        init => Checkpoint = value is null ? null : new SpoolCheckpoint(value);
    }

    /// <summary>
    /// The mark each batch advances, in its own transaction, to the highest sequence number of its chunks
    /// (<see cref="CollectorId"/> sets a spool checkpoint; <c>xraysink import</c> sets a file's). Null: none.
    /// </summary>
    public IBatchCheckpoint? Checkpoint { get; init; }

    /// <summary>
    /// The cap on new dimension rows per minute (<c>Cache:MaxNewValuesPerMinute</c>) the daemon applies to live
    /// traffic; null (the default, and the history import) means no cap.
    /// </summary>
    public NewValueLimit? NewValues { get; init; }

    /// <summary>Where committed rows are counted per node (<c>xraysink.node.rows.written</c>); null: not counted.</summary>
    public NodeSeries? NodeSeries { get; init; }

    /// <summary>
    /// Whether the database attributes rows to nodes: <c>nodes</c> and <c>logs.node_id</c> exist (the versioned
    /// migration that adds them ran, i.e. not <c>Schema:SeedOnly</c>).
    /// </summary>
    internal static async Task<bool> HasNodeColumnAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(NodeColumnSql, connection);
        return await command.ExecuteScalarAsync(cancellationToken) is true;
    }

    private const string NodeColumnSql = """
        SELECT to_regclass('nodes') IS NOT NULL
           AND EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass('logs') AND attname = 'node_id' AND NOT attisdropped)
        """;

    public async Task<FlushResult> WriteBatchAsync(IReadOnlyList<RecordChunk> chunks, CancellationToken cancellationToken) =>
        await CommitAsync(await PrepareAsync(chunks, cancellationToken), null, cancellationToken);

    /// <summary>
    /// Resolves the batch's new dimension values (committed on their own, before any row references them), plans
    /// its rows by UTC day and creates the days' partitions, on a connection of its own: the writer does this for
    /// the next batch while <see cref="CommitAsync"/> streams the current one.
    /// </summary>
    public async Task<PreparedBatch> PrepareAsync(IReadOnlyList<RecordChunk> chunks, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(chunks);
        long checkpoint = Checkpoint is null || chunks.Count == 0 ? 0 : chunks.Max(c => c.LastSequence);
        if (chunks.All(c => c.IsEmpty))
        {
            return new PlannedBatch(chunks, checkpoint, [], [], new BatchNodes(false, []));
        }

        await using NpgsqlConnection connection = await _dataSource.OpenConnectionAsync(cancellationToken);

        // Whether this database attributes rows to nodes (not under Schema:SeedOnly): read once, the schema is
        // migrated before the writer starts.
        bool nodes = _nodesStored ??= await HasNodeColumnAsync(connection, cancellationToken);
        DimensionRejections rejections = await _resolver.ResolveAsync(connection, chunks, NewValues, nodes, cancellationToken);
        SortedDictionary<int, NodeSighting> activity = nodes ? _nodeActivity.Due(chunks) : [];
        List<RejectedRow> rejected = [];
        SortedDictionary<DateOnly, DayRows> days = PlanRows(chunks, rejections, rejected);
        await _partitions.EnsureAsync(connection, days.Keys, cancellationToken);
        return new PlannedBatch(chunks, checkpoint, days, rejected, new BatchNodes(nodes, activity));
    }

    /// <summary>
    /// Runs each statement of a batch's way through the store once before the first batch, in a transaction it rolls
    /// back: every dimension table's insert and read-back with no values, a COPY of no rows into <c>logs</c> and of no
    /// dead letters, and the checkpoint's advance to 0 (which moves nothing). Npgsql resolves a parameter type's
    /// converter at its first use on a data source and compiles its COPY and reader paths at their first call; both
    /// fell inside the first batch, about 450 methods compiled while the first rows waited (docs/performance.md).
    /// Stores nothing.
    /// </summary>
    public async Task WarmUpAsync(CancellationToken cancellationToken)
    {
        await using NpgsqlConnection connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        bool nodes = _nodesStored ??= await HasNodeColumnAsync(connection, cancellationToken);
        await using NpgsqlTransaction transaction = await connection.BeginTransactionAsync(cancellationToken);
        foreach (DimensionTable table in DimensionTable.All)
        {
            // Without logs.node_id (Schema:SeedOnly) there is no nodes table to warm.
            if (nodes || table != DimensionTable.Nodes)
            {
                await DimensionResolver.WarmUpAsync(connection, table, cancellationToken);
            }
        }

        await _copier.CopyRowsAsync(connection, "logs", [], ArraySegment<RowRef>.Empty, nodes, cancellationToken);
        await LogCopier.CopyDeadLettersAsync(connection, [], cancellationToken);
        if (Checkpoint is not null)
        {
            await Checkpoint.AdvanceAsync(connection, transaction, 0, cancellationToken);
        }

        await transaction.RollbackAsync(cancellationToken);
    }

    /// <summary>
    /// Resolves the new dimension values of chunks of a batch still being collected, so that its
    /// <see cref="PrepareAsync"/> finds them done: each table's new values are inserted and read back as in a prepare
    /// (autocommitted, before any row refers to them), the caches filled and the records rewritten to the ids. Opens
    /// no connection when the caches know every value. A table whose statement the database refuses is left to the
    /// prepare, which finds and reports the culprits.
    /// </summary>
    public async Task ResolveAheadAsync(IReadOnlyList<RecordChunk> chunks, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(chunks);
        PendingValues? pending = null;
        if (_nodesStored is { } known)
        {
            pending = _resolver.Collect(chunks, known);
            if (pending.IsEmpty)
            {
                return;
            }
        }

        await using NpgsqlConnection connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        bool nodes = _nodesStored ??= await HasNodeColumnAsync(connection, cancellationToken);
        pending ??= _resolver.Collect(chunks, nodes);
        await _resolver.ResolveAsync(connection, chunks, pending, NewValues, nodes, findRefused: false, cancellationToken);
    }

    /// <summary>
    /// The batch's rows, dead letters and checkpoint in one transaction. With a <paramref name="turn"/>, the rows are
    /// written while the previous batch may still be committing; the checkpoint and the commit wait for it.
    /// </summary>
    public async Task<FlushResult> CommitAsync(PreparedBatch batch, CommitTurn? turn, CancellationToken cancellationToken)
    {
        if (batch is not PlannedBatch planned)
        {
            throw new ArgumentException("Only a batch this store prepared can be committed by it.", nameof(batch));
        }

        IReadOnlyList<RecordChunk> chunks = planned.Chunks;
        long checkpoint = planned.Checkpoint;
        if (chunks.All(c => c.IsEmpty))
        {
            turn?.RowsWritten();
            if (turn is not null)
            {
                await turn.PredecessorCommittedAsync(cancellationToken);
            }

            if (checkpoint > 0)
            {
                // Only skipped lines: nothing to store, but the spool may forget them.
                await using NpgsqlConnection idle = await _dataSource.OpenConnectionAsync(cancellationToken);
                await Checkpoint!.AdvanceAsync(idle, null, checkpoint, cancellationToken);
            }

            return new FlushResult(0, 0, 0);
        }

        // A retry starts again from the rows the dimensions refused: the bisection finds the others again.
        planned.ForgetBisected();
        List<RejectedRow> rejected = planned.Rejected;
        SortedDictionary<DateOnly, DayRows> days = planned.Days;
        await using NpgsqlConnection connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        int written;
        for (int attempt = 1; ; attempt++)
        {
            if (attempt > 1 || days.Keys.Any(day => !_partitions.IsKnown(day)))
            {
                await _partitions.EnsureAsync(connection, days.Keys, cancellationToken);
            }

            try
            {
                written = await CommitRowsAsync(connection, chunks, days, rejected, checkpoint, planned.Nodes, turn, cancellationToken);
                break;
            }
            catch (PostgresException e) when (attempt == 1 && e.SqlState == PostgresErrors.UndefinedTable)
            {
                // An operator dropped a partition we thought existed: forget this batch's days and recreate.
                LogPartitionMissing(_logger, e.MessageText);
                foreach (DateOnly day in days.Keys)
                {
                    _partitions.Forget(day);
                }

                // Rows the bisection rejected in the failed attempt are found again on the next one.
                planned.ForgetBisected();
            }
        }

        if (written == AlreadyCommitted)
        {
            LogAlreadyCommitted(_logger, checkpoint);
            ReturnDayRows(days);
            return new FlushResult(0, 0, 0);
        }

        _nodeActivity.Written(planned.Nodes.Activity);
        CountRowsPerNode(chunks, days, rejected, planned.DimensionRejected);
        // The batch is done (the writer retries only a failed commit): its row lists serve the next batches.
        ReturnDayRows(days);
        int chunkDeadLetters = chunks.Sum(c => c.DeadLetters.Count);
        if (rejected.Count > 0)
        {
            LogRowsRejected(_logger, rejected.Count, written + rejected.Count, rejected[0].Reason);
        }

        return new FlushResult(written, chunkDeadLetters + rejected.Count, rejected.Count);
    }

    internal static string? ActionText(AccessAction action) => action switch
    {
        AccessAction.Accepted => "accepted",
        AccessAction.Rejected => "rejected",
        _ => null,
    };

    /// <summary>The parser promises <see cref="DateTimeKind.Utc"/>; anything else is made UTC, which Npgsql requires for timestamptz.</summary>
    internal static DateTime AsUtc(DateTime timestamp) => timestamp.Kind switch
    {
        DateTimeKind.Utc => timestamp,
        DateTimeKind.Local => timestamp.ToUniversalTime(),
        _ => DateTime.SpecifyKind(timestamp, DateTimeKind.Utc),
    };

    /// <summary>Groups copyable rows by UTC day (one partition each); rows with refused dimensions go to <paramref name="rejected"/>.</summary>
    private SortedDictionary<DateOnly, DayRows> PlanRows(IReadOnlyList<RecordChunk> chunks, DimensionRejections rejections, List<RejectedRow> rejected)
    {
        SortedDictionary<DateOnly, DayRows> days = [];
        for (int c = 0; c < chunks.Count; c++)
        {
            Span<AccessRecord> records = chunks[c].Records;
            for (int i = 0; i < records.Length; i++)
            {
                ref readonly AccessRecord record = ref records[i];
                if (rejections.ReasonFor(record) is { } reason)
                {
                    rejected.Add(new RejectedRow(new RowRef(c, i), reason));
                    continue;
                }

                DateOnly day = PartitionManager.DayOf(AsUtc(record.TimestampUtc));
                if (!days.TryGetValue(day, out DayRows? rows))
                {
                    rows = _dayRows.Rent();
                    days.Add(day, rows);
                }

                rows.Add(new RowRef(c, i));
            }
        }

        return days;
    }

    private void ReturnDayRows(SortedDictionary<DateOnly, DayRows> days)
    {
        foreach (DayRows rows in days.Values)
        {
            _dayRows.Return(rows);
        }
    }

    /// <summary>Adds the committed rows to the per-node counts: every planned row but those the bisection refused.</summary>
    private void CountRowsPerNode(IReadOnlyList<RecordChunk> chunks, SortedDictionary<DateOnly, DayRows> days, List<RejectedRow> rejected, int dimensionRejected)
    {
        if (NodeSeries is null)
        {
            return;
        }

        _nodeRows ??= new NodeTally(NodeSeries);
        foreach (DayRows rows in days.Values)
        {
            foreach (RowRef row in rows.Segment)
            {
                _nodeRows.Rows(chunks[row.Chunk].Records[row.Index].NodeSlot, 1);
            }
        }

        for (int i = dimensionRejected; i < rejected.Count; i++)
        {
            RowRef row = rejected[i].Row;
            _nodeRows.Rows(chunks[row.Chunk].Records[row.Index].NodeSlot, -1);
        }

        _nodeRows.ReportTo(NodeSeries);
    }

    /// <summary>Copies all rows and dead letters in one transaction; on a row error, redoes it finding the poison rows.</summary>
    private async Task<int> CommitRowsAsync(
        NpgsqlConnection connection,
        IReadOnlyList<RecordChunk> chunks,
        SortedDictionary<DateOnly, DayRows> days,
        List<RejectedRow> rejected,
        long checkpoint,
        BatchNodes nodes,
        CommitTurn? turn,
        CancellationToken cancellationToken)
    {
        try
        {
            // Fast path: no savepoints, every row in one COPY per day.
            await using NpgsqlTransaction transaction = await connection.BeginTransactionAsync(cancellationToken);
            int written = 0;
            foreach ((DateOnly day, DayRows rows) in days)
            {
                await _copier.CopyRowsAsync(connection, _partitions.TargetFor(day), chunks, rows.Segment, nodes.Stored, cancellationToken);
                written += rows.Count;
            }

            await CopyDeadLettersAsync(connection, chunks, rejected, cancellationToken);
            return await FinishAsync(connection, transaction, checkpoint, nodes, turn, cancellationToken) ? written : AlreadyCommitted;
        }
        catch (PostgresException e) when (PostgresErrors.IsRowError(e))
        {
            LogBisecting(_logger, e.SqlState, e.MessageText);
        }

        // Slow path, still one transaction so that a retry after a transient failure cannot duplicate rows:
        // each COPY runs under a savepoint; a failing range is rolled back and halved down to single rows.
        await using (NpgsqlTransaction transaction = await connection.BeginTransactionAsync(cancellationToken))
        {
            int written = 0;
            foreach ((DateOnly day, DayRows rows) in days)
            {
                written += await CopyBisectingAsync(connection, transaction, day, chunks, rows.Segment, rejected, nodes.Stored, cancellationToken);
            }

            await CopyDeadLettersAsync(connection, chunks, rejected, cancellationToken);
            return await FinishAsync(connection, transaction, checkpoint, nodes, turn, cancellationToken) ? written : AlreadyCommitted;
        }
    }

    /// <summary>
    /// With the rows written: lets the next batch write its own, waits for the previous batch's commit, advances the
    /// checkpoint (false, and nothing committed, when this range is already stored), brings the <c>nodes</c> rows up
    /// to date and commits.
    /// </summary>
    /// <remarks>
    /// The checkpoint and <c>nodes</c> come last: they are the only rows two batches' transactions both update, so
    /// while the next batch writes its rows it holds no lock this one still needs. The checkpoint's row lock also
    /// makes a second writer of the same range wait here and then find the range stored.
    /// </remarks>
    private async Task<bool> FinishAsync(
        NpgsqlConnection connection,
        NpgsqlTransaction transaction,
        long checkpoint,
        BatchNodes nodes,
        CommitTurn? turn,
        CancellationToken cancellationToken)
    {
        if (turn is not null)
        {
            turn.RowsWritten();
            await turn.PredecessorCommittedAsync(cancellationToken);
        }

        if (!await AdvanceCheckpointAsync(connection, transaction, checkpoint, cancellationToken))
        {
            return false;
        }

        await NodeActivity.WriteAsync(connection, transaction, nodes.Activity, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return true;
    }

    private async Task<int> CopyBisectingAsync(
        NpgsqlConnection connection,
        NpgsqlTransaction transaction,
        DateOnly day,
        IReadOnlyList<RecordChunk> chunks,
        ArraySegment<RowRef> rows,
        List<RejectedRow> rejected,
        bool nodes,
        CancellationToken cancellationToken)
    {
        if (rows.Count == 0)
        {
            return 0;
        }

        await transaction.SaveAsync(BisectSavepoint, cancellationToken);
        try
        {
            await _copier.CopyRowsAsync(connection, _partitions.TargetFor(day), chunks, rows, nodes, cancellationToken);
            await transaction.ReleaseAsync(BisectSavepoint, cancellationToken);
            return rows.Count;
        }
        catch (PostgresException e) when (PostgresErrors.IsRowError(e))
        {
            await transaction.RollbackAsync(BisectSavepoint, cancellationToken);
            await transaction.ReleaseAsync(BisectSavepoint, cancellationToken);
            if (rows.Count == 1)
            {
                rejected.Add(new RejectedRow(rows[0], DeadLetterReasons.DatabaseRejected(e.SqlState, e.MessageText)));
                return 0;
            }
        }

        int half = rows.Count / 2;
        return await CopyBisectingAsync(connection, transaction, day, chunks, rows[..half], rejected, nodes, cancellationToken)
            + await CopyBisectingAsync(connection, transaction, day, chunks, rows[half..], rejected, nodes, cancellationToken);
    }

    /// <summary>Advances the checkpoint, which also locks this collector's row until the transaction ends.</summary>
    private async Task<bool> AdvanceCheckpointAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, long checkpoint, CancellationToken cancellationToken) =>
        checkpoint <= 0 || await Checkpoint!.AdvanceAsync(connection, transaction, checkpoint, cancellationToken);

    private static Task CopyDeadLettersAsync(NpgsqlConnection connection, IReadOnlyList<RecordChunk> chunks, List<RejectedRow> rejected, CancellationToken cancellationToken)
    {
        IEnumerable<DeadLetter> fromChunks = chunks.SelectMany(c => c.DeadLetters);
        if (rejected.Count == 0 && !fromChunks.Any())
        {
            return Task.CompletedTask;
        }

        DateTimeOffset now = DateTimeOffset.UtcNow;
        IEnumerable<DeadLetter> fromRows = rejected.Select(r => ToDeadLetter(chunks, r, now));
        return LogCopier.CopyDeadLettersAsync(connection, fromChunks.Concat(fromRows), cancellationToken);
    }

    private static DeadLetter ToDeadLetter(IReadOnlyList<RecordChunk> chunks, RejectedRow row, DateTimeOffset now)
    {
        AccessRecord record = chunks[row.Row.Chunk].Records[row.Row.Index];
        return new DeadLetter(now, default, row.Reason, RowRenderer.Render(record));
    }

    /// <summary>Whether the batch's rows carry <c>node_id</c>, and the <c>nodes</c> rows it brings up to date.</summary>
    private readonly record struct BatchNodes(bool Stored, SortedDictionary<int, NodeSighting> Activity);

    /// <summary>A batch with its dimension values resolved and its rows planned by day (what <see cref="PrepareAsync"/> returns).</summary>
    private sealed class PlannedBatch(IReadOnlyList<RecordChunk> chunks, long checkpoint, SortedDictionary<DateOnly, DayRows> days, List<RejectedRow> rejected, BatchNodes nodes)
        : PreparedBatch(chunks)
    {
        /// <summary>The spool sequence the commit advances the checkpoint to (0: none).</summary>
        public long Checkpoint { get; } = checkpoint;

        public SortedDictionary<DateOnly, DayRows> Days { get; } = days;

        /// <summary>The rows refused by the dimension tables first; the bisection appends after them.</summary>
        public List<RejectedRow> Rejected { get; } = rejected;

        /// <summary>How many of <see cref="Rejected"/> the dimension tables refused.</summary>
        public int DimensionRejected { get; } = rejected.Count;

        public BatchNodes Nodes { get; } = nodes;

        public void ForgetBisected() => Rejected.RemoveRange(DimensionRejected, Rejected.Count - DimensionRejected);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The batch up to sequence {Sequence} was already committed (its COMMIT reply was lost, or another importer wrote it); not written again")]
    private static partial void LogAlreadyCommitted(ILogger logger, long sequence);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A logs partition is missing ({Error}); recreating it and retrying the batch once")]
    private static partial void LogPartitionMissing(ILogger logger, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "COPY failed on row data ({SqlState} {Error}); bisecting the batch to isolate the rows")]
    private static partial void LogBisecting(ILogger logger, string sqlState, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Database rejected {Rejected} of {Total} rows; moved to dead_letters (first: {Reason})")]
    private static partial void LogRowsRejected(ILogger logger, int rejected, int total, string reason);
}
