using Microsoft.Extensions.Time.Testing;
using XraySyslogSink.Core;

namespace XraySyslogSink.Tests.Pipeline;

/// <summary>
/// The writer hands the chunks of the batch it is collecting to <see cref="IBatchStore.ResolveAheadAsync"/>: each
/// chunk once, one hand-off at a time, never while the batch's prepare runs, and a failed hand-off costs the batch
/// nothing. The store is the writer's collaborator here; the PostgreSQL store's side is tested against PostgreSQL.
/// </summary>
public sealed class ResolveAheadTests : IAsyncLifetime
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2025, 11, 17, 12, 0, 0, TimeSpan.Zero));
    private readonly AheadStore _store = new();
    private readonly WriterHarness _harness;

    public ResolveAheadTests() => _harness = new WriterHarness(_store, _time);

    public Task InitializeAsync() => _harness.StartAsync();

    public async Task DisposeAsync()
    {
        _store.ReleaseAhead();
        await _harness.DisposeAsync();
    }

    [Fact]
    public async Task Each_chunk_of_the_open_batch_is_resolved_ahead_once_before_the_batch_is_prepared()
    {
        RecordChunk[] sent = [Chunk(2), Chunk(2), Chunk(2)];
        foreach (RecordChunk chunk in sent)
        {
            await _harness.SendAsync(chunk);
            await _store.WaitUntilAsync(() => _store.AheadChunks.Contains(chunk));
        }

        Assert.Empty(_store.Prepared);
        await AdvanceUntilAsync(() => _store.Committed.Count == 1);

        Assert.Equal(sent, _store.AheadChunks);
        Assert.Equal(sent, Assert.Single(_store.Prepared));
        Assert.Equal(6, _store.Committed[0]);
        Assert.False(_store.PreparedWhileAheadRan);
    }

    [Fact]
    public async Task A_full_batch_is_prepared_only_once_its_resolve_ahead_has_ended()
    {
        _store.HoldAhead();
        await _harness.SendAsync(Chunk(4));
        await _store.WaitUntilAsync(() => _store.AheadCalls == 1);

        // The batch fills up and is due while the hand-off of its first chunk still runs.
        await _harness.SendAsync(Chunk(4));
        await _harness.SendAsync(Chunk(4));
        await Task.Delay(200);
        Assert.Empty(_store.Prepared);
        Assert.Equal(1, _store.AheadCalls);

        _store.ReleaseAhead();
        await _store.WaitUntilAsync(() => _store.Committed.Count == 1);

        Assert.Equal(12, _store.Committed[0]);
        Assert.False(_store.PreparedWhileAheadRan);
    }

    [Fact]
    public async Task One_hand_off_runs_at_a_time_and_the_next_takes_every_chunk_that_arrived_meanwhile()
    {
        _store.HoldAhead();
        RecordChunk first = Chunk(1);
        await _harness.SendAsync(first);
        await _store.WaitUntilAsync(() => _store.AheadCalls == 1);
        RecordChunk second = Chunk(1);
        RecordChunk third = Chunk(1);
        await _harness.SendAsync(second);
        await _harness.SendAsync(third);
        await Task.Delay(200);
        Assert.Equal(1, _store.AheadCalls);

        // Released, the writer hands off the two that waited when the next chunk wakes it.
        _store.ReleaseAhead();
        await _store.WaitUntilAsync(() => _store.AheadRunning == 0);
        await Task.Delay(100);
        RecordChunk fourth = Chunk(1);
        await _harness.SendAsync(fourth);
        await _store.WaitUntilAsync(() => _store.AheadChunks.Count == 4);

        RecordChunk[][] expected = [[first], [second, third, fourth]];
        Assert.Equal(expected, _store.AheadCallsChunks);
    }

    [Fact]
    public async Task A_failed_resolve_ahead_leaves_the_batch_to_its_prepare()
    {
        _store.FailAhead = true;
        await _harness.SendAsync(Chunk(3));
        await _store.WaitUntilAsync(() => _store.AheadCalls >= 1);

        await AdvanceUntilAsync(() => _store.Committed.Count == 1);

        Assert.Equal(3, _store.Committed[0]);
        Assert.Equal(3, _harness.Metrics.TotalRowsWritten);
    }

    /// <summary>Advances the fake clock 50 ms at a time until <paramref name="done"/> holds.</summary>
    private async Task AdvanceUntilAsync(Func<bool> done)
    {
        for (int step = 0; step < 600; step++)
        {
            if (_store.Check(done))
            {
                return;
            }

            _time.Advance(TimeSpan.FromMilliseconds(50));
            await Task.Delay(20);
        }

        throw new TimeoutException("the batch was not committed");
    }

    private static RecordChunk Chunk(int rows) => WriterHarness.Chunk(rows);

    /// <summary>Records what the writer hands ahead, prepares and commits, and whether a prepare overlapped a hand-off.</summary>
    private sealed class AheadStore : IBatchStore
    {
        private readonly object _gate = new();
        private TaskCompletionSource? _aheadHeld;
        private int _aheadRunning;

        public List<RecordChunk> AheadChunks { get; } = [];

        public List<RecordChunk[]> AheadCallsChunks { get; } = [];

        public int AheadCalls { get; private set; }

        public List<RecordChunk[]> Prepared { get; } = [];

        public List<int> Committed { get; } = [];

        public bool PreparedWhileAheadRan { get; private set; }

        public bool FailAhead { get; set; }

        public int AheadRunning => Volatile.Read(ref _aheadRunning);

        public void HoldAhead() => _aheadHeld = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        public void ReleaseAhead() => _aheadHeld?.TrySetResult();

        public async Task ResolveAheadAsync(IReadOnlyList<RecordChunk> chunks, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _aheadRunning);
            try
            {
                lock (_gate)
                {
                    AheadCalls++;
                    AheadChunks.AddRange(chunks);
                    AheadCallsChunks.Add([.. chunks]);
                }

                if (_aheadHeld is { } held)
                {
                    await held.Task.WaitAsync(cancellationToken);
                }

                await Task.Yield();
                if (FailAhead)
                {
                    throw new TimeoutException("database unavailable");
                }
            }
            finally
            {
                Interlocked.Decrement(ref _aheadRunning);
            }
        }

        public Task<PreparedBatch> PrepareAsync(IReadOnlyList<RecordChunk> chunks, CancellationToken cancellationToken)
        {
            lock (_gate)
            {
                PreparedWhileAheadRan |= Volatile.Read(ref _aheadRunning) > 0;
                Prepared.Add([.. chunks]);
            }

            return Task.FromResult(new PreparedBatch(chunks));
        }

        public Task<FlushResult> WriteBatchAsync(IReadOnlyList<RecordChunk> chunks, CancellationToken cancellationToken)
        {
            lock (_gate)
            {
                int rows = chunks.Sum(c => c.Count);
                Committed.Add(rows);
                return Task.FromResult(new FlushResult(rows, 0, 0));
            }
        }

        public bool Check(Func<bool> condition)
        {
            lock (_gate)
            {
                return condition();
            }
        }

        public async Task WaitUntilAsync(Func<bool> condition)
        {
            for (int i = 0; i < 3000; i++)
            {
                if (Check(condition))
                {
                    return;
                }

                await Task.Delay(10);
            }

            throw new TimeoutException("the writer did not get there");
        }
    }
}
