using XraySyslogSink.Core;
using XraySyslogSink.Pipeline;

namespace XraySyslogSink.Tests.Pipeline;

/// <summary>The writer's exactly-once ordering: chunks come out in sequence order, each sequence once.</summary>
public sealed class ChunkReorderBufferTests
{
    [Fact]
    public void A_chunk_in_order_is_handed_out_at_once()
    {
        var order = new ChunkReorderBuffer(1);

        Assert.Equal(ReorderOutcome.Kept, order.Offer(Chunk(1, 3)));

        Assert.Equal([(1L, 3L)], TakeAll(order));
        Assert.Equal(4, order.NextSequence);
        Assert.Equal(0, order.Waiting);
    }

    [Fact]
    public void A_chunk_ahead_of_its_predecessor_waits_for_it()
    {
        var order = new ChunkReorderBuffer(1);

        Assert.Equal(ReorderOutcome.Kept, order.Offer(Chunk(6, 9)));
        Assert.Equal(ReorderOutcome.Kept, order.Offer(Chunk(4, 5)));
        Assert.Empty(TakeAll(order));
        Assert.Equal(2, order.Waiting);
        Assert.Equal(1, order.NextSequence);

        Assert.Equal(ReorderOutcome.Kept, order.Offer(Chunk(1, 3)));

        Assert.Equal([(1L, 3L), (4L, 5L), (6L, 9L)], TakeAll(order));
        Assert.Equal(10, order.NextSequence);
    }

    [Fact]
    public void A_gap_stops_the_hand_out_until_it_is_filled()
    {
        var order = new ChunkReorderBuffer(10);
        order.Offer(Chunk(10, 10));
        order.Offer(Chunk(12, 12));

        Assert.Equal([(10L, 10L)], TakeAll(order));
        Assert.Equal(1, order.Waiting);

        order.Offer(Chunk(11, 11));
        Assert.Equal([(11L, 11L), (12L, 12L)], TakeAll(order));
    }

    [Fact]
    public void A_chunk_already_handed_out_is_refused_as_stale()
    {
        var order = new ChunkReorderBuffer(1);
        order.Offer(Chunk(1, 5));
        TakeAll(order);

        Assert.Equal(ReorderOutcome.Stale, order.Offer(Chunk(1, 5)));
        Assert.Equal(ReorderOutcome.Stale, order.Offer(Chunk(3, 4)));
        Assert.Equal(0, order.Waiting);
        Assert.Equal(6, order.NextSequence);
    }

    [Fact]
    public void A_chunk_before_the_checkpoint_is_refused_as_stale()
    {
        var order = new ChunkReorderBuffer(101);

        Assert.Equal(ReorderOutcome.Stale, order.Offer(Chunk(90, 100)));
        Assert.Empty(TakeAll(order));
    }

    [Fact]
    public void A_second_chunk_for_the_same_sequences_is_refused_as_a_duplicate()
    {
        var order = new ChunkReorderBuffer(1);
        order.Offer(Chunk(5, 6));

        Assert.Equal(ReorderOutcome.Duplicate, order.Offer(Chunk(5, 6)));
        Assert.Equal(1, order.Waiting);
    }

    [Fact]
    public void Any_arrival_order_yields_every_chunk_once_in_sequence_order()
    {
        // Forty chunks of one to five sequences each, offered in many shuffled orders.
        List<(long First, long Last)> ranges = [];
        long next = 1;
        for (int i = 0; i < 40; i++)
        {
            long size = (i % 5) + 1;
            ranges.Add((next, next + size - 1));
            next += size;
        }

        for (int seed = 0; seed < 50; seed++)
        {
            var order = new ChunkReorderBuffer(1);
            List<(long, long)> taken = [];
            foreach ((long first, long last) in Shuffled(ranges, new Random(seed)))
            {
                Assert.Equal(ReorderOutcome.Kept, order.Offer(Chunk(first, last)));
                taken.AddRange(TakeAll(order));
            }

            Assert.Equal(ranges, taken);
            Assert.Equal(next, order.NextSequence);
            Assert.Equal(0, order.Waiting);
        }
    }

    [Fact]
    public void Releasing_at_shutdown_empties_the_buffer_and_counts_what_waited()
    {
        var order = new ChunkReorderBuffer(1);
        order.Offer(Chunk(3, 4));
        order.Offer(Chunk(7, 7));

        Assert.Equal(2, order.ReleaseWaiting());
        Assert.Equal(0, order.Waiting);
        Assert.Equal(1, order.NextSequence);

        order.Offer(Chunk(1, 2));
        Assert.Equal([(1L, 2L)], TakeAll(order));
    }

    [Fact]
    public void A_chunk_without_sequences_is_the_callers_mistake()
    {
        var order = new ChunkReorderBuffer(1);

        Assert.Throws<ArgumentException>(() => order.Offer(new RecordChunk()));
    }

    private static List<T> Shuffled<T>(List<T> items, Random random)
    {
        T[] copy = [.. items];
        random.Shuffle(copy);
        return [.. copy];
    }

    private static RecordChunk Chunk(long first, long last)
    {
        var chunk = new RecordChunk();
        chunk.CoverSequences(first, last);
        return chunk;
    }

    private static List<(long, long)> TakeAll(ChunkReorderBuffer order)
    {
        List<(long, long)> taken = [];
        while (order.TryTakeNext(out RecordChunk? chunk))
        {
            taken.Add((chunk.FirstSequence, chunk.LastSequence));
        }

        return taken;
    }
}
