using CsCheck;
using XraySyslogSink.Spool;

namespace XraySyslogSink.Tests.Spool;

public sealed class MessageQueueBudgetTests
{
    [Fact]
    public void Takes_while_the_cost_fits_and_a_message_larger_than_the_budget_only_into_an_empty_one()
    {
        var budget = new MessageQueueBudget(1000);

        Assert.True(budget.TryTake(600));
        Assert.False(budget.TryTake(600));
        budget.Release(600);
        Assert.True(budget.TryTake(5000));
        Assert.False(budget.TryTake(1));
        budget.Release(5000);
        Assert.Equal(0, budget.Bytes);
    }

    [Fact]
    public async Task A_waiter_gets_its_room_once_enough_is_released()
    {
        var budget = new MessageQueueBudget(1000);
        Assert.True(budget.TryTake(800));

        Task waiting = budget.TakeAsync(500, CancellationToken.None).AsTask();
        Assert.False(waiting.IsCompleted);
        budget.Release(800);
        await waiting.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(500, budget.Bytes);
    }

    [Fact]
    public void A_chunk_holds_its_messages_cost_until_the_writer_releases_it()
    {
        var budget = new MessageQueueBudget(1000);
        Assert.True(budget.TryTake(600));
        var chunk = new XraySyslogSink.Core.RecordChunk();
        chunk.Hold(budget, 600);

        Assert.False(budget.TryTake(600));
        chunk.Release();
        Assert.Equal(0, budget.Bytes);
        Assert.True(budget.TryTake(600));
    }

    [Fact]
    public void The_cost_covers_the_pooled_buffer_a_message_is_copied_into()
    {
        Assert.Equal(8192 + 64, MessageQueueBudget.Cost(8192));
        Assert.Equal(16384 + 64, MessageQueueBudget.Cost(8193));
        Assert.Equal(16 + 64, MessageQueueBudget.Cost(0));
    }

    /// <summary>
    /// Messages of any sizes, appended faster than they are taken: the bytes held in memory for the parsers never
    /// exceed the budget (but for one message larger than the whole budget), and every message still arrives
    /// in order, the rest by replay from the spool.
    /// </summary>
    [Fact]
    public void Bytes_in_flight_never_exceed_the_budget_whatever_the_message_sizes()
    {
        Gen.Select(Gen.Int[0, 20_000].Array[1, 200], Gen.Int[0, 5].Array[1, 200]).Sample((sizes, takes) => RunAsync(sizes, takes).GetAwaiter().GetResult(), iter: 60, threads: 1);
    }

    private static async Task RunAsync(int[] sizes, int[] takes)
    {
        const long Budget = 32 * 1024;
        var files = new SimulatedFileSystem();
        await using SpoolHarness spool = await SpoolHarness.OpenAsync(files, checkpoint: 0, queueCapacity: 10_000, maxBytes: 64 * 1024 * 1024, budgetBytes: Budget);
        List<long> taken = [];
        long largest = 0;
        for (int i = 0; i < sizes.Length; i++)
        {
            Assert.True(spool.TryAppend(new byte[sizes[i]], out _));
            largest = Math.Max(largest, MessageQueueBudget.Cost(sizes[i]));
            taken.AddRange(spool.TakeAvailable(takes[i % takes.Length]).Select(m => m.Sequence));
            Assert.InRange(spool.Budget.Bytes, 0, Math.Max(Budget, largest));
        }

        taken.AddRange((await spool.DrainAsync()).Select(m => m.Sequence));
        Assert.Equal(Enumerable.Range(1, sizes.Length).Select(i => (long)i), taken);
        Assert.InRange(spool.Budget.PeakBytes, 0, Math.Max(Budget, largest));
        Assert.Equal(0, spool.Budget.Bytes);
    }
}
