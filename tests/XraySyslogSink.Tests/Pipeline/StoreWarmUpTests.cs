using Microsoft.Extensions.Time.Testing;
using XraySyslogSink.Core;

namespace XraySyslogSink.Tests.Pipeline;

/// <summary>
/// The writer runs the store's warm-up before it takes its first batch, and starts all the same when the warm-up
/// fails: the first batch then pays for the statements' first use, as before there was a warm-up.
/// </summary>
public sealed class StoreWarmUpTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2025, 11, 17, 12, 0, 0, TimeSpan.Zero));

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task The_writer_warms_the_store_up_before_its_first_batch_and_starts_even_if_that_fails(bool fail)
    {
        var store = new WarmUpStore { Fail = fail };
        await using var harness = new WriterHarness(store, _time);

        await harness.StartAsync();
        Assert.Equal(["warm-up"], store.Events);

        await harness.SendAsync(WriterHarness.Chunk(10));
        await store.WaitForAsync(() => store.Events.Count == 2);
        Assert.Equal(["warm-up", "write 10"], store.Events);
    }

    private sealed class WarmUpStore : IBatchStore
    {
        private readonly object _gate = new();

        public bool Fail { get; init; }

        public List<string> Events { get; } = [];

        public Task WarmUpAsync(CancellationToken cancellationToken)
        {
            Add("warm-up");
            return Fail ? Task.FromException(new TimeoutException("database unavailable")) : Task.CompletedTask;
        }

        public Task<FlushResult> WriteBatchAsync(IReadOnlyList<RecordChunk> chunks, CancellationToken cancellationToken)
        {
            int rows = chunks.Sum(c => c.Count);
            Add($"write {rows}");
            return Task.FromResult(new FlushResult(rows, 0, 0));
        }

        public async Task WaitForAsync(Func<bool> condition)
        {
            for (int i = 0; i < 1000; i++)
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

            throw new TimeoutException("the writer did not write");
        }

        private void Add(string what)
        {
            lock (_gate)
            {
                Events.Add(what);
            }
        }
    }
}
