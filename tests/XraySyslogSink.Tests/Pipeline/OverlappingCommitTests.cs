using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using XraySyslogSink.Core;
using XraySyslogSink.Pipeline;
using XraySyslogSink.Spool;
using XraySyslogSink.Telemetry;

namespace XraySyslogSink.Tests.Pipeline;

/// <summary>
/// The writer's overlap of commits, seen from a store that plays the real store's part of the protocol (write the
/// rows, say so, wait for the predecessor, commit) and lets the test hold a commit or fail it. The real store's
/// transactions under the same protocol are tested against PostgreSQL.
/// </summary>
public sealed class OverlappingCommitTests : IAsyncLifetime
{
    private const int BatchRows = 10;
    private readonly ScriptedStore _store = new();
    private readonly SpoolProgress _spool = new();
    private readonly SinkMetrics _metrics = new(new TestMeters());
    private readonly SinkChannels _channels;
    private readonly BatchingWriter _writer;

    public OverlappingCommitTests()
    {
        _channels = new SinkChannels(new PipelineOptions { RecordQueueCapacity = 64 }, _metrics);
        var options = new WriterOptions
        {
            BatchSize = BatchRows,
            FlushInterval = TimeSpan.FromSeconds(1),
            RetryInitialDelay = TimeSpan.FromMilliseconds(10),
            RetryMaxDelay = TimeSpan.FromMilliseconds(20),
        };
        _writer = new BatchingWriter(_channels, _store, Options.Create(options), _metrics, TimeProvider.System, NullLogger<BatchingWriter>.Instance, _spool);
    }

    public Task InitializeAsync() => _writer.StartAsync(CancellationToken.None);

    public async Task DisposeAsync()
    {
        _store.OpenAll();
        _channels.Records.Writer.TryComplete();
        await _writer.StopAsync(CancellationToken.None);
        _writer.Dispose();
        _metrics.Dispose();
    }

    [Fact]
    public async Task The_next_batch_writes_its_rows_while_the_previous_one_commits_and_commits_after_it()
    {
        _store.Hold(1);
        _store.Hold(2);
        await SendBatchesAsync(3);

        await _store.WaitForAsync("write 2");
        Assert.DoesNotContain("commit 1", _store.Events);

        // Two batches in the database at most: batch 3 begins once batch 2 waits for nothing but its own commit.
        await Task.Delay(50);
        Assert.DoesNotContain("write 3", _store.Events);
        _store.Open(1);
        await _store.WaitForAsync("write 3");
        Assert.DoesNotContain("commit 2", _store.Events);

        _store.Open(2);
        await _store.WaitForAsync("commit 3");
        Assert.Equal(["write 1", "write 2", "commit 1", "write 3", "commit 2", "commit 3"], _store.Events.Where(e => !e.StartsWith("wait", StringComparison.Ordinal)));
        await Eventually(() => _spool.Sequences.Count == 3);
        Assert.Equal([10L, 20L, 30L], _spool.Sequences);
        Assert.Equal(3 * BatchRows, _metrics.TotalRowsWritten);
    }

    [Fact]
    public async Task A_batch_that_fails_after_the_next_wrote_its_rows_is_committed_once_before_it_and_the_next_is_written_again()
    {
        _store.Hold(1);
        _store.FailOnce(1);
        await SendBatchesAsync(2);
        await _store.WaitForAsync("wait 2");

        _store.Open(1);
        await _store.WaitForAsync("commit 2");

        // Batch 1's first attempt fails at its commit; batch 2, waiting for it, rolls back and is written again only
        // after batch 1 has committed on its retry.
        Assert.Equal(
            ["write 1", "write 2", "wait 2", "fail 1", "rolled back 2", "write 1", "commit 1", "write 2", "wait 2", "commit 2"],
            _store.Events.Where(e => e != "wait 1"));
        await Eventually(() => _spool.Sequences.Count == 2);
        Assert.Equal([10L, 20L], _spool.Sequences);
        Assert.Equal(2 * BatchRows, _metrics.TotalRowsWritten);

        // Only batch 1's failure is a failure; batch 2 rolling back for it is not counted.
        Assert.Equal(1, _metrics.TotalFlushFailures);
    }

    private async Task SendBatchesAsync(int batches)
    {
        for (int batch = 1; batch <= batches; batch++)
        {
            var chunk = new RecordChunk();
            for (int i = 0; i < BatchRows; i++)
            {
                ref AccessRecord record = ref chunk.Add();
                record.TimestampUtc = new DateTime(2025, 11, 17, 12, 0, i, DateTimeKind.Utc);
                record.SourcePort = batch;
            }

            chunk.CoverSequences(((batch - 1) * BatchRows) + 1, batch * BatchRows);
            await _channels.Records.Writer.WriteAsync(chunk);
        }
    }

    private static async Task Eventually(Func<bool> condition)
    {
        for (int i = 0; i < 3000 && !condition(); i++)
        {
            await Task.Delay(10);
        }

        Assert.True(condition());
    }

    /// <summary>Numbers batches by their rows' source port; holds a batch's commit until opened; fails one attempt on request.</summary>
    private sealed class ScriptedStore : IBatchStore
    {
        private readonly Lock _gate = new();
        private readonly List<string> _events = [];
        private readonly Dictionary<int, TaskCompletionSource> _held = [];
        private readonly HashSet<int> _failOnce = [];

        public IReadOnlyList<string> Events
        {
            get
            {
                lock (_gate)
                {
                    return [.. _events];
                }
            }
        }

        public void Hold(int batch)
        {
            lock (_gate)
            {
                _held[batch] = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }
        }

        public void Open(int batch)
        {
            lock (_gate)
            {
                _held[batch].TrySetResult();
            }
        }

        public void OpenAll()
        {
            lock (_gate)
            {
                foreach (TaskCompletionSource held in _held.Values)
                {
                    held.TrySetResult();
                }
            }
        }

        public void FailOnce(int batch)
        {
            lock (_gate)
            {
                _failOnce.Add(batch);
            }
        }

        public async Task WaitForAsync(string what)
        {
            for (int i = 0; i < 3000 && !Events.Contains(what); i++)
            {
                await Task.Delay(10);
            }

            Assert.Contains(what, Events);
        }

        public Task<FlushResult> WriteBatchAsync(IReadOnlyList<RecordChunk> chunks, CancellationToken cancellationToken) =>
            throw new InvalidOperationException("the writer commits prepared batches in turn");

        public async Task<FlushResult> CommitAsync(PreparedBatch batch, CommitTurn? turn, CancellationToken cancellationToken)
        {
            Assert.NotNull(turn);
            int number = batch.Chunks[0].Records[0].SourcePort;
            Record($"write {number}");
            turn.RowsWritten();
            Record($"wait {number}");
            try
            {
                await turn.PredecessorCommittedAsync(cancellationToken);
            }
            catch (PredecessorFailedException)
            {
                Record($"rolled back {number}");
                throw;
            }

            Task held;
            lock (_gate)
            {
                held = _held.TryGetValue(number, out TaskCompletionSource? hold) ? hold.Task : Task.CompletedTask;
            }

            await held.WaitAsync(cancellationToken);
            lock (_gate)
            {
                if (_failOnce.Remove(number))
                {
                    _events.Add($"fail {number}");
                    throw new TimeoutException("database unavailable");
                }

                _events.Add($"commit {number}");
            }

            int rows = batch.Chunks.Sum(c => c.Count);
            return new FlushResult(rows, 0, 0);
        }

        private void Record(string what)
        {
            lock (_gate)
            {
                _events.Add(what);
            }
        }
    }

    private sealed class SpoolProgress : ISpoolProgress
    {
        private readonly Lock _gate = new();
        private readonly List<long> _sequences = [];

        public long CommittedSequence => 0;

        public IReadOnlyList<long> Sequences
        {
            get
            {
                lock (_gate)
                {
                    return [.. _sequences];
                }
            }
        }

        public void Committed(long sequence)
        {
            lock (_gate)
            {
                _sequences.Add(sequence);
            }
        }
    }

    private sealed class TestMeters : IMeterFactory
    {
        public Meter Create(MeterOptions options) => new(options.Name, options.Version, options.Tags, scope: this);

        public void Dispose()
        {
        }
    }
}
