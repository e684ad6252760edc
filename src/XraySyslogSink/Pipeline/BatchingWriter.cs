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
/// rows or its oldest row has waited <see cref="WriterOptions.FlushInterval"/>. A failed flush keeps the batch
/// and retries it with exponential back-off; meanwhile nothing more is read, so the queues fill and the
/// listeners push back. On shutdown it drains the record queue and flushes what is left.
/// </summary>
/// <remarks>
/// Chunks from the spool carry contiguous sequence ranges but arrive in whatever order the parallel parsers
/// finish; a chunk joins a batch only after its predecessor, so every batch commits a contiguous range and
/// the checkpoint stored with it means "everything up to here". After a commit the spool may free that range.
/// </remarks>
internal sealed partial class BatchingWriter : IHostedService, IDisposable
{
    private readonly SinkChannels _channels;
    private readonly IBatchStore _store;
    private readonly WriterOptions _options;
    private readonly SinkMetrics _metrics;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger<BatchingWriter> _logger;
    private readonly CancellationTokenSource _abort = new();
    private readonly List<RecordChunk> _batch = [];
    private readonly ISpoolProgress? _spool;

    // Chunks that arrived before their predecessor, by first sequence number.
    private readonly SortedList<long, RecordChunk> _early = [];
    private long _nextSequence;
    private long _batchLastSequence;
    private int _batchRows;
    private long _batchStartedAt;
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
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        // The spool has opened by now (it starts first) and replays from just after its checkpoint.
        _nextSequence = (_spool?.CommittedSequence ?? 0) + 1;
        _metrics.ExportWatchedSeriesAtZero();
        _loop = Task.Run(RunAsync, CancellationToken.None);
        return Task.CompletedTask;
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
            LogShutdownTimedOut(_batchRows + _channels.Records.Reader.Count);
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

                if (_batch.Count > 0 && (!more || _batchRows >= _options.BatchSize || IntervalElapsed()))
                {
                    await FlushAsync();
                }

                if (!more && _batch.Count == 0 && !reader.TryPeek(out _))
                {
                    ReleaseEarlyChunks();
                    return;
                }
            }
        }
        catch (OperationCanceledException) when (_abort.IsCancellationRequested)
        {
            // Shutdown timed out; StopAsync has logged what was left.
        }
    }

    /// <summary>Waits until a chunk arrives or, with a batch pending, its interval runs out. False once the queue is completed.</summary>
    private async ValueTask<bool> WaitForChunksAsync(ChannelReader<RecordChunk> reader)
    {
        if (_batch.Count == 0)
        {
            return await reader.WaitToReadAsync(_abort.Token);
        }

        TimeSpan remaining = _options.FlushInterval - _timeProvider.GetElapsedTime(_batchStartedAt);
        if (remaining <= TimeSpan.Zero)
        {
            return true;
        }

        using var timeout = new CancellationTokenSource(remaining, _timeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(_abort.Token, timeout.Token);
        try
        {
            return await reader.WaitToReadAsync(linked.Token);
        }
        catch (OperationCanceledException) when (!_abort.IsCancellationRequested)
        {
            return true;
        }
    }

    /// <summary>Adds <paramref name="chunk"/> to the batch in sequence order, holding it back while its predecessor is missing.</summary>
    private void Accept(RecordChunk chunk)
    {
        if (_spool is null || !chunk.HasSequence)
        {
            Add(chunk);
            return;
        }

        if (chunk.LastSequence < _nextSequence)
        {
            // Cannot happen unless something forwards a message twice; committing it again would duplicate rows.
            LogStaleChunk(chunk.FirstSequence, chunk.LastSequence, _nextSequence);
            chunk.Release();
            return;
        }

        if (chunk.FirstSequence > _nextSequence)
        {
            _early.Add(chunk.FirstSequence, chunk);
            return;
        }

        Add(chunk);
        _nextSequence = chunk.LastSequence + 1;
        _batchLastSequence = chunk.LastSequence;
        while (_early.Count > 0 && _early.Keys[0] <= _nextSequence)
        {
            RecordChunk next = _early.Values[0];
            _early.RemoveAt(0);
            Add(next);
            _nextSequence = next.LastSequence + 1;
            _batchLastSequence = next.LastSequence;
        }
    }

    private void ReleaseEarlyChunks()
    {
        if (_early.Count == 0)
        {
            return;
        }

        // Their predecessor never came (shutdown cut it off): they stay in the spool and are replayed at the next start.
        LogEarlyChunksLeft(_early.Count, _nextSequence);
        foreach (RecordChunk chunk in _early.Values)
        {
            chunk.Release();
        }

        _early.Clear();
    }

    private void Add(RecordChunk chunk)
    {
        if (_batch.Count == 0)
        {
            _batchStartedAt = _timeProvider.GetTimestamp();
        }

        _batch.Add(chunk);
        _batchRows += chunk.Count + chunk.DeadLetters.Count;
    }

    private bool IntervalElapsed() => _timeProvider.GetElapsedTime(_batchStartedAt) >= _options.FlushInterval;

    private async Task FlushAsync()
    {
        TimeSpan delay = _options.RetryInitialDelay;
        for (int attempt = 1; ; attempt++)
        {
            long started = Stopwatch.GetTimestamp();
            try
            {
                FlushResult result = await _store.WriteBatchAsync(_batch, _abort.Token);
                _metrics.BatchFlushed(result.RowsWritten, Stopwatch.GetElapsedTime(started));
                if (result.RowsRejected > 0)
                {
                    _metrics.LineDeadLettered("database rejected row", result.RowsRejected);
                }

                if (attempt > 1)
                {
                    LogRecovered(attempt);
                }

                foreach (RecordChunk chunk in _batch)
                {
                    chunk.Release();
                }

                _batch.Clear();
                _batchRows = 0;
                if (_batchLastSequence > 0)
                {
                    _spool?.Committed(_batchLastSequence);
                }

                return;
            }
            catch (Exception ex) when (!_abort.IsCancellationRequested)
            {
                bool transient = PostgresErrors.IsTransient(ex);
                _metrics.FlushFailed(transient);
                if (transient)
                {
                    LogTransientFailure(_batchRows, attempt, delay, ex.Message);
                }
                else
                {
                    LogFailure(ex, _batchRows, attempt, delay);
                }

                await Task.Delay(delay, _timeProvider, _abort.Token);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, _options.RetryMaxDelay.Ticks));
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Flush of {Rows} rows failed (attempt {Attempt}, database unavailable: {Error}); retrying in {Delay}")]
    private partial void LogTransientFailure(int rows, int attempt, TimeSpan delay, string error);

    [LoggerMessage(Level = LogLevel.Error, Message = "Flush of {Rows} rows failed (attempt {Attempt}); the batch is kept and retried in {Delay}")]
    private partial void LogFailure(Exception exception, int rows, int attempt, TimeSpan delay);

    [LoggerMessage(Level = LogLevel.Error, Message = "Dropped a chunk for spool sequences {First}-{Last}: already past them (next expected {Next})")]
    private partial void LogStaleChunk(long first, long last, long next);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Chunks} parsed chunks waited for sequence {Next} at shutdown; they stay in the spool for the next start")]
    private partial void LogEarlyChunksLeft(int chunks, long next);

    [LoggerMessage(Level = LogLevel.Information, Message = "Flush succeeded after {Attempts} attempts")]
    private partial void LogRecovered(int attempts);

    [LoggerMessage(Level = LogLevel.Error, Message = "Shutdown timed out with about {Rows} rows not yet committed")]
    private partial void LogShutdownTimedOut(int rows);
}
