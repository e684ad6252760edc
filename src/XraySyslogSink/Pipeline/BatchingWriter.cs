using System.Diagnostics;
using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using XraySyslogSink.Core;
using XraySyslogSink.Spool;
using XraySyslogSink.Storage;
using XraySyslogSink.Telemetry;

namespace XraySyslogSink.Pipeline;

/// <summary>
/// Collects record chunks into batches and flushes a batch when it reaches <see cref="WriterOptions.BatchSize"/>
/// rows or when <see cref="BatchCutPolicy"/> says its oldest row must be committed to stay within
/// <see cref="WriterOptions.FlushInterval"/> of its receipt. A failed flush keeps the batch
/// and retries it with exponential back-off; meanwhile nothing more is read, so the queues fill and the
/// listeners push back. On shutdown it drains the record queue and flushes what is left.
/// </summary>
/// <remarks>
/// Chunks from the spool carry contiguous sequence ranges but arrive in whatever order the parallel parsers
/// finish; a chunk joins a batch only after its predecessor, so every batch commits a contiguous range and
/// the checkpoint stored with it means "everything up to here". After a commit the spool may free that range.
/// The stages overlap: while batch N commits (rows, dead letters and checkpoint in its one transaction), batch
/// N+1 writes its rows on another connection and batch N+2 is collected and prepared
/// (<see cref="IBatchStore.PrepareAsync"/>: its new dimension values resolved on a third, most of them while it is
/// collected: <see cref="IBatchStore.ResolveAheadAsync"/>). N+1 advances the
/// checkpoint and commits only once N has committed (<see cref="CommitOrder"/>), so commits stay in sequence order.
/// </remarks>
internal sealed partial class BatchingWriter : IHostedService, IDisposable
{
    /// <summary>How long the store's warm-up may take before the writer starts without it.</summary>
    private static readonly TimeSpan StoreWarmUpTimeout = TimeSpan.FromSeconds(10);

    private readonly SinkChannels _channels;
    private readonly IBatchStore _store;
    private readonly WriterOptions _options;
    private readonly SinkMetrics _metrics;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger<BatchingWriter> _logger;
    private readonly CancellationTokenSource _abort = new();
    private readonly ISpoolProgress? _spool;
    private readonly RetryBackoff _prepareBackoff;
    private readonly BatchCutPolicy _cut;
    private List<RecordChunk> _batch = [];
    private readonly CommitOrder _commitOrder = new();
    private Task _committing = Task.CompletedTask;
    private Task _resolvingAhead = Task.CompletedTask;
    private int _resolvedAheadChunks;
    private int _committingRows;
    private ChunkReorderBuffer? _order;
    private long _batchLastSequence;
    private int _batchRows;
    private Task _loop = Task.CompletedTask;

    public BatchingWriter(
        SinkChannels channels,
        IBatchStore store,
        IOptions<WriterOptions> options,
        SinkMetrics metrics,
        TimeProvider timeProvider,
        ILogger<BatchingWriter> logger,
        ISpoolProgress? spool = null)
    {
        _spool = spool;
        _channels = channels;
        _store = store;
        _options = options.Value;
        _metrics = metrics;
        _timeProvider = timeProvider;
        _logger = logger;
        _prepareBackoff = new RetryBackoff(_options.RetryInitialDelay, _options.RetryMaxDelay, timeProvider);
        _cut = new BatchCutPolicy(_options.FlushInterval, timeProvider);
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        // The spool has opened by now (it starts first) and replays from just after its checkpoint.
        _order = _spool is null ? null : new ChunkReorderBuffer(_spool.CommittedSequence + 1);
        _metrics.ExportWatchedSeriesAtZero();
        await WarmUpStoreAsync(cancellationToken);
        _loop = Task.Run(RunAsync, CancellationToken.None);
    }

    /// <summary>
    /// The store's warm-up, before the listeners open (they start after the writer): bounded in time, and a failure
    /// only means the first batch pays for the first use of the store's statements, as it did before.
    /// </summary>
    private async Task WarmUpStoreAsync(CancellationToken cancellationToken)
    {
        using var timeout = new CancellationTokenSource(StoreWarmUpTimeout, _timeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        try
        {
            await _store.WarmUpAsync(linked.Token);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            LogStoreWarmUpFailed(ex.Message);
        }
    }

    /// <summary>Waits for the drain; when the host's shutdown timeout fires first, gives up and says what is lost.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        try
        {
            await _loop.WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await _abort.CancelAsync();
            LogShutdownTimedOut(_batchRows + Volatile.Read(ref _committingRows) + _channels.Records.Reader.Count);
            throw;
        }
    }

    public void Dispose() => _abort.Dispose();

    private async Task RunAsync()
    {
        ChannelReader<RecordChunk> reader = _channels.Records.Reader;
        try
        {
            while (true)
            {
                bool more = await WaitForChunksAsync(reader);
                while (_batchRows < _options.BatchSize && reader.TryRead(out RecordChunk? chunk))
                {
                    Accept(chunk);
                }

                if (_batch.Count > 0 && (!more || _batchRows >= _options.BatchSize || _cut.Due || BacklogDrained(reader)))
                {
                    await FlushAsync();
                }
                else
                {
                    ResolveAhead();
                }

                if (!more && _batch.Count == 0 && !reader.TryPeek(out _))
                {
                    await _committing;
                    ReleaseEarlyChunks();
                    return;
                }
            }
        }
        catch (OperationCanceledException) when (_abort.IsCancellationRequested)
        {
            // Shutdown timed out; StopAsync has logged what was left. A resolve-ahead ends on the same cancellation.
            await _resolvingAhead;
        }
    }

    /// <summary>
    /// Hands the chunks that joined the open batch since the last hand-off to the store's resolve-ahead, unless one is
    /// still running (the next then takes all that arrived meanwhile). The batch's new dimension values go to the
    /// database while the batch is collected rather than after its cut: the first batch after a start, a pause or an
    /// outage, whose values are mostly new, reaches its COPY that much sooner. Once values are cached, a hand-off costs
    /// a scan of the chunks and no round trip.
    /// </summary>
    private void ResolveAhead()
    {
        if (!_resolvingAhead.IsCompleted || _resolvedAheadChunks >= _batch.Count)
        {
            return;
        }

        List<RecordChunk> chunks = _batch.GetRange(_resolvedAheadChunks, _batch.Count - _resolvedAheadChunks);
        _resolvedAheadChunks = _batch.Count;
        _resolvingAhead = ResolveAheadAsync(chunks);
    }

    /// <summary>Never throws: the batch's prepare resolves whatever this left, and reports a failure of its own.</summary>
    private async Task ResolveAheadAsync(List<RecordChunk> chunks)
    {
        try
        {
            await _store.ResolveAheadAsync(chunks, _abort.Token);
        }
        catch (OperationCanceledException) when (_abort.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            LogResolveAheadFailed(chunks.Count, ex.Message);
        }
    }

    /// <summary>Waits until a chunk arrives or, with a batch pending, it is due to be cut. False once the queue is completed.</summary>
    private async ValueTask<bool> WaitForChunksAsync(ChannelReader<RecordChunk> reader)
    {
        if (_batch.Count == 0)
        {
            return await reader.WaitToReadAsync(_abort.Token);
        }

        TimeSpan remaining = _cut.UntilCut;
        if (remaining <= TimeSpan.Zero)
        {
            return true;
        }

        using var timeout = new CancellationTokenSource(remaining, _timeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(_abort.Token, timeout.Token);
        try
        {
            if (_cut.Late && !_committing.IsCompleted)
            {
                // Also wake when the commits in flight end: a late batch is then cut (BacklogDrained).
                Task<bool> arrival = reader.WaitToReadAsync(linked.Token).AsTask();
                return await Task.WhenAny(arrival, _committing) != arrival || await arrival;
            }

            return await reader.WaitToReadAsync(linked.Token);
        }
        catch (OperationCanceledException) when (!_abort.IsCancellationRequested)
        {
            return true;
        }
    }

    /// <summary>
    /// Whether the open batch is a backlog's that can only grow later, not larger: its rows were late when it opened,
    /// nothing more is queued and no commit is in flight, so the database would idle while the batch waits for its cut.
    /// </summary>
    private bool BacklogDrained(ChannelReader<RecordChunk> reader) =>
        _cut.Late && _committing.IsCompleted && !reader.TryPeek(out _);

    /// <summary>Adds <paramref name="chunk"/> to the batch in sequence order, holding it back while its predecessor is missing.</summary>
    private void Accept(RecordChunk chunk)
    {
        if (_order is null || !chunk.HasSequence)
        {
            Add(chunk);
            return;
        }

        ReorderOutcome outcome = _order.Offer(chunk);
        if (outcome != ReorderOutcome.Kept)
        {
            // Cannot happen unless something forwards a message twice; committing it again would duplicate rows.
            LogStaleChunk(chunk.FirstSequence, chunk.LastSequence, _order.NextSequence);
            chunk.Release();
            return;
        }

        while (_order.TryTakeNext(out RecordChunk? next))
        {
            Add(next);
            _batchLastSequence = next.LastSequence;
        }
    }

    private void ReleaseEarlyChunks()
    {
        if (_order is null || _order.Waiting == 0)
        {
            return;
        }

        // Their predecessor never came (shutdown cut it off): they stay in the spool and are replayed at the next start.
        LogEarlyChunksLeft(_order.Waiting, _order.NextSequence);
        _order.ReleaseWaiting();
    }

    private void Add(RecordChunk chunk)
    {
        if (_batch.Count == 0)
        {
            _cut.Opened(OldestReceipt(chunk.Records));
        }

        _batch.Add(chunk);
        _batchRows += chunk.Count + chunk.DeadLetters.Count;
    }

    /// <summary>The earliest receipt (UTC ticks) among <paramref name="records"/>; 0 when none has one.</summary>
    private static long OldestReceipt(ReadOnlySpan<AccessRecord> records)
    {
        long oldest = 0;
        foreach (ref readonly AccessRecord record in records)
        {
            if (record.ReceivedAtTicks > 0 && (oldest == 0 || record.ReceivedAtTicks < oldest))
            {
                oldest = record.ReceivedAtTicks;
            }
        }

        return oldest;
    }

    /// <summary>
    /// Prepares the collected batch (retried until it succeeds), waits until the previous batch has written its rows
    /// (or committed) and starts this one's commit without waiting for it, so the next batch is collected and
    /// prepared meanwhile.
    /// </summary>
    private async Task FlushAsync()
    {
        long cutAt = _timeProvider.GetTimestamp();
        // The prepare rewrites the same records: the batch's resolve-ahead, if one still runs, ends first.
        await _resolvingAhead;
        List<RecordChunk> chunks = _batch;
        int rows = _batchRows;
        long lastSequence = _batchLastSequence;
        PreparedBatch prepared = await UntilDoneAsync(() => _store.PrepareAsync(chunks, _abort.Token), rows, _prepareBackoff);
        CommitTurn turn = _commitOrder.Next();
        await turn.ReadyAsync(_abort.Token);
        _batch = [];
        _batchRows = 0;
        _resolvedAheadChunks = 0;
        Interlocked.Add(ref _committingRows, rows);
        _committing = CommitAsync(prepared, turn, rows, lastSequence, cutAt, _committing);
    }

    /// <summary>
    /// Commits the batch in its turn, retried with back-off until it succeeds, then counts it and tells the spool,
    /// after <paramref name="previous"/> has done the same, so the spool hears of commits in sequence order.
    /// </summary>
    private async Task CommitAsync(PreparedBatch batch, CommitTurn turn, int rows, long lastSequence, long cutAt, Task previous)
    {
        long started = Stopwatch.GetTimestamp();
        FlushResult result = await CommitInTurnAsync(batch, turn, rows);
        await previous;
        _metrics.BatchFlushed(result.RowsWritten, Stopwatch.GetElapsedTime(started));
        DateTimeOffset committedAt = _timeProvider.GetUtcNow();
        _cut.Flushed(_timeProvider.GetElapsedTime(cutAt));
        if (result.RowsRejected > 0)
        {
            _metrics.LineDeadLettered(DeadLetterReasons.DatabaseRejectedRow, result.RowsRejected);
        }

        foreach (RecordChunk chunk in batch.Chunks)
        {
            _metrics.RowsCommitted(chunk.Records, committedAt);
            chunk.Release();
        }

        Interlocked.Add(ref _committingRows, -rows);
        if (lastSequence > 0)
        {
            _spool?.Committed(lastSequence);
        }
    }

    private async Task<FlushResult> CommitInTurnAsync(PreparedBatch batch, CommitTurn turn, int rows)
    {
        // Two commits may be retrying at once (a batch and the next, which wrote its rows meanwhile): one back-off each.
        var backoff = new RetryBackoff(_options.RetryInitialDelay, _options.RetryMaxDelay, _timeProvider);
        while (true)
        {
            await turn.BeginAttemptAsync(_abort.Token);
            try
            {
                FlushResult result = await _store.CommitAsync(batch, turn, _abort.Token);
                turn.Committed();
                if (backoff.Attempt > 1)
                {
                    LogRecovered(backoff.Attempt);
                }

                return result;
            }
            catch (PredecessorFailedException)
            {
                // Not a failure of this batch: it begins again once the batch before has committed.
                turn.Failed();
            }
            catch (Exception ex) when (!_abort.IsCancellationRequested)
            {
                turn.Failed();
                await AfterFailureAsync(ex, rows, backoff);
            }
            catch
            {
                turn.Failed();
                throw;
            }
        }
    }

    /// <summary>Runs <paramref name="attempt"/> until it succeeds, waiting with back-off after each failure.</summary>
    private async Task<T> UntilDoneAsync<T>(Func<Task<T>> attempt, int rows, RetryBackoff backoff)
    {
        backoff.Reset();
        while (true)
        {
            try
            {
                T result = await attempt();
                if (backoff.Attempt > 1)
                {
                    LogRecovered(backoff.Attempt);
                }

                return result;
            }
            catch (Exception ex) when (!_abort.IsCancellationRequested)
            {
                await AfterFailureAsync(ex, rows, backoff);
            }
        }
    }

    /// <summary>Counts and logs a failed attempt, then waits out the back-off before the next.</summary>
    private async Task AfterFailureAsync(Exception ex, int rows, RetryBackoff backoff)
    {
        bool transient = PostgresErrors.IsTransient(ex);
        _metrics.FlushFailed(transient);
        if (transient)
        {
            LogTransientFailure(rows, backoff.Attempt, backoff.NextDelay, ex.Message);
        }
        else
        {
            LogFailure(ex, rows, backoff.Attempt, backoff.NextDelay);
        }

        // Unbounded: the batch is retried until it commits; meanwhile the queues fill and the listeners push back.
        await backoff.WaitAfterFailureAsync(_abort.Token);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Flush of {Rows} rows failed (attempt {Attempt}, database unavailable: {Error}); retrying in {Delay}")]
    private partial void LogTransientFailure(int rows, int attempt, TimeSpan delay, string error);

    [LoggerMessage(Level = LogLevel.Error, Message = "Flush of {Rows} rows failed (attempt {Attempt}); the batch is kept and retried in {Delay}")]
    private partial void LogFailure(Exception exception, int rows, int attempt, TimeSpan delay);

    [LoggerMessage(Level = LogLevel.Error, Message = "Dropped a chunk for spool sequences {First}-{Last}: already past or holding them (next expected {Next})")]
    private partial void LogStaleChunk(long first, long last, long next);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Chunks} parsed chunks waited for sequence {Next} at shutdown; they stay in the spool for the next start")]
    private partial void LogEarlyChunksLeft(int chunks, long next);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Warming up the writer's statements failed ({Error}); the first batch pays for their first use")]
    private partial void LogStoreWarmUpFailed(string error);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Resolving the dimension values of {Chunks} chunks ahead of their batch's cut failed ({Error}); the batch's prepare resolves them")]
    private partial void LogResolveAheadFailed(int chunks, string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "Flush succeeded after {Attempts} attempts")]
    private partial void LogRecovered(int attempts);

    [LoggerMessage(Level = LogLevel.Error, Message = "Shutdown timed out with about {Rows} rows not yet committed")]
    private partial void LogShutdownTimedOut(int rows);
}
