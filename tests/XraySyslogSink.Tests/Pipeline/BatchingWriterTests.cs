using System.Diagnostics.Metrics;
using Microsoft.Extensions.Time.Testing;
using XraySyslogSink.Core;
using XraySyslogSink.Pipeline;
using XraySyslogSink.Telemetry;

namespace XraySyslogSink.Tests.Pipeline;

/// <summary>
/// The batching rules seen from the store's side: what arrives in which flush, driven by a fake clock.
/// The store here is the writer's collaborator, not the database; the real store is tested against PostgreSQL.
/// </summary>
public sealed class BatchingWriterTests : IAsyncLifetime
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2025, 11, 17, 12, 0, 0, TimeSpan.Zero));
    private readonly RecordingStore _store = new();
    private readonly WriterHarness _harness;
    private readonly SinkMetrics _metrics;
    private readonly SinkChannels _channels;
    private readonly BatchingWriter _writer;

    public BatchingWriterTests()
    {
        _harness = new WriterHarness(_store, _time);
        _metrics = _harness.Metrics;
        _channels = _harness.Channels;
        _writer = _harness.Writer;
    }

    public Task InitializeAsync() => _harness.StartAsync();

    public async Task DisposeAsync()
    {
        _store.Release();
        await _harness.DisposeAsync();
    }

    [Fact]
    public async Task A_full_batch_is_flushed_without_waiting_for_the_interval()
    {
        await SendAsync(Chunk(6));
        await SendAsync(Chunk(6));

        await _store.WaitForFlushesAsync(1);
        Assert.Equal(12, _store.Flushes[0]);

        // The writer counts the rows once the store has returned, so the counter may trail the flush briefly.
        await _store.WaitUntilAsync(() => _metrics.TotalRowsWritten >= 12);
        Assert.Equal(12, _metrics.TotalRowsWritten);
    }

    [Fact]
    public async Task A_small_batch_waits_for_the_flush_interval()
    {
        await SendAsync(Chunk(3));

        // The clock moves in small steps so the writer's timer is honoured however late it was armed.
        TimeSpan advanced = await AdvanceUntilAsync(() => _store.Flushes.Count > 0);

        Assert.True(advanced >= TimeSpan.FromSeconds(1), $"flushed after {advanced} of a 1 s interval");
        Assert.Equal(3, _store.Flushes[0]);
    }

    [Fact]
    public async Task Rows_received_earlier_are_cut_so_they_commit_within_the_interval_of_their_receipt()
    {
        // Three rows that spent 600 ms in the spool and the parsers: their batch is cut 400 ms later, not 1 s.
        RecordChunk chunk = Chunk(3);
        Received(chunk, _time.GetUtcNow() - TimeSpan.FromMilliseconds(600));
        await SendAsync(chunk);

        TimeSpan advanced = await AdvanceUntilAsync(() => _store.Flushes.Count > 0);

        Assert.InRange(advanced, TimeSpan.FromMilliseconds(400), TimeSpan.FromMilliseconds(450));
        Assert.Equal(3, _store.Flushes[0]);
    }

    [Fact]
    public async Task A_backlog_batch_is_cut_once_nothing_more_is_queued_and_nothing_commits()
    {
        // Rows replayed 5 s after their receipt: late whatever the writer does, and nothing more behind them.
        RecordChunk chunk = Chunk(3);
        Received(chunk, _time.GetUtcNow() - TimeSpan.FromSeconds(5));
        await SendAsync(chunk);

        // No time passes: the batch does not wait out its half interval.
        await _store.WaitForFlushesAsync(1);
        Assert.Equal(3, _store.Flushes[0]);
    }

    [Fact]
    public async Task A_backlog_batch_waits_while_a_commit_is_in_flight_and_is_cut_when_it_ends()
    {
        _store.Hold();
        RecordChunk first = Chunk(10);
        Received(first, _time.GetUtcNow() - TimeSpan.FromSeconds(5));
        await SendAsync(first);
        await _store.WaitForAttemptsAsync(1);

        RecordChunk second = Chunk(3);
        Received(second, _time.GetUtcNow() - TimeSpan.FromSeconds(5));
        await SendAsync(second);
        await Task.Delay(100);
        Assert.True(_store.Check(() => _store.Attempts == 1));

        _store.Release();
        await _store.WaitForFlushesAsync(2);
        Assert.Equal([10, 3], _store.Flushes);
    }

    [Fact]
    public async Task A_failed_flush_keeps_the_batch_and_retries_it_with_back_off()
    {
        _store.FailNext(2);
        await SendAsync(Chunk(10));
        await _store.WaitForAttemptsAsync(1);

        // Back-off 100 ms, then 200 ms: the batch commits on the third attempt, no sooner than 300 ms later.
        TimeSpan advanced = await AdvanceUntilAsync(() => _store.Flushes.Count > 0);

        Assert.True(advanced >= TimeSpan.FromMilliseconds(300), $"committed after {advanced} of back-off");
        Assert.Equal(3, _store.Attempts);
        Assert.Equal(10, _store.Flushes[0]);
        Assert.Equal(2, _metrics.TotalFlushFailures);
    }

    [Fact]
    public async Task Shutdown_flushes_what_is_pending_without_waiting_for_the_interval()
    {
        await SendAsync(Chunk(4));
        await SendAsync(Chunk(1));
        _channels.Records.Writer.Complete();

        await _writer.StopAsync(CancellationToken.None);

        Assert.Equal(5, _store.Flushes.Sum());
    }

    [Fact]
    public async Task Dead_letters_alone_are_flushed_too()
    {
        var chunk = new RecordChunk();
        chunk.AddDeadLetter(new DeadLetter(_time.GetUtcNow(), default, "not an access line", "hello"));
        await SendAsync(chunk);
        _channels.Records.Writer.Complete();

        await _writer.StopAsync(CancellationToken.None);

        Assert.Equal(1, _store.DeadLetters);
    }

    [Fact]
    public async Task Each_committed_row_records_its_time_from_receipt_to_commit()
    {
        var latencies = new List<double>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                // Only this writer's meter: other tests' SinkMetrics publish the same instrument names meanwhile.
                if (instrument.Meter.Scope == _harness.Meters && instrument.Name == SinkMetrics.CommitLatencyName)
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<double>((_, value, _, _) =>
        {
            lock (latencies)
            {
                latencies.Add(value);
            }
        });
        listener.Start();

        // Six rows received 2 s before now and four 250 ms before: a full batch, committed at once, the clock still.
        DateTimeOffset now = _time.GetUtcNow();
        RecordChunk early = Chunk(6);
        RecordChunk late = Chunk(4);
        Received(early, now - TimeSpan.FromSeconds(2));
        Received(late, now - TimeSpan.FromMilliseconds(250));
        await SendAsync(early);
        await SendAsync(late);

        await _store.WaitForFlushesAsync(1);
        await _store.WaitUntilAsync(() => _metrics.TotalRowsWritten >= 10);
        lock (latencies)
        {
            Assert.Equal([.. Enumerable.Repeat(2.0, 6), .. Enumerable.Repeat(0.25, 4)], latencies);
        }
    }

    /// <summary>Advances the fake clock 50 ms at a time until <paramref name="done"/> holds; returns how far it went.</summary>
    private async Task<TimeSpan> AdvanceUntilAsync(Func<bool> done)
    {
        TimeSpan advanced = TimeSpan.Zero;
        for (int step = 0; step < 600; step++)
        {
            if (_store.Check(done))
            {
                return advanced;
            }

            _time.Advance(TimeSpan.FromMilliseconds(50));
            advanced += TimeSpan.FromMilliseconds(50);
            await Task.Delay(20);
        }

        throw new TimeoutException($"nothing happened after {advanced} of fake time");
    }

    private static void Received(RecordChunk chunk, DateTimeOffset at)
    {
        foreach (ref AccessRecord record in chunk.Records)
        {
            record.ReceivedAtTicks = at.UtcTicks;
        }
    }

    private ValueTask SendAsync(RecordChunk chunk) => _harness.SendAsync(chunk);

    private static RecordChunk Chunk(int rows) => WriterHarness.Chunk(rows);

    private sealed class RecordingStore : IBatchStore
    {
        private readonly object _gate = new();
        private int _failuresLeft;

        public List<int> Flushes { get; } = [];

        public int Attempts { get; private set; }

        public int DeadLetters { get; private set; }

        private TaskCompletionSource? _held;

        public void FailNext(int failures) => _failuresLeft = failures;

        /// <summary>Holds every write until <see cref="Release"/>.</summary>
        public void Hold() => _held = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Release() => _held?.TrySetResult();

        public async Task<FlushResult> WriteBatchAsync(IReadOnlyList<RecordChunk> chunks, CancellationToken cancellationToken)
        {
            lock (_gate)
            {
                Attempts++;
            }

            if (_held is { } held)
            {
                await held.Task.WaitAsync(cancellationToken);
            }

            return Write(chunks);
        }

        private FlushResult Write(IReadOnlyList<RecordChunk> chunks)
        {
            lock (_gate)
            {
                if (_failuresLeft > 0)
                {
                    _failuresLeft--;
                    throw new TimeoutException("database unavailable");
                }

                int rows = chunks.Sum(c => c.Count);
                DeadLetters += chunks.Sum(c => c.DeadLetters.Count);
                Flushes.Add(rows);
                return new FlushResult(rows, chunks.Sum(c => c.DeadLetters.Count), 0);
            }
        }

        public bool Check(Func<bool> condition)
        {
            lock (_gate)
            {
                return condition();
            }
        }

        public Task WaitForFlushesAsync(int count) => WaitUntilAsync(() => Flushes.Count >= count);

        public Task WaitForAttemptsAsync(int count) => WaitUntilAsync(() => Attempts >= count);

        public async Task WaitUntilAsync(Func<bool> condition)
        {
            for (int i = 0; i < 3000; i++)
            {
                lock (_gate)
                {
                    if (condition())
                    {
                        return;
                    }
                }

                await Task.Delay(10);
            }

            throw new TimeoutException("the writer did not reach the expected state within 30 s");
        }
    }
}
