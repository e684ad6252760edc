using XraySyslogSink.Storage;

namespace XraySyslogSink.Tests.Storage;

public sealed class DayRowsPoolTests
{
    [Fact]
    public void A_batchs_lists_come_back_empty_for_the_next_batch()
    {
        var pool = new DayRowsPool();
        DayRows rows = pool.Rent();
        for (int i = 0; i < 30_000; i++)
        {
            rows.Add(new RowRef(i / 512, i % 512));
        }

        Assert.Equal(30_000, rows.Segment.Count);
        Assert.Equal(new RowRef(58, 303), rows.Segment[29_999]);
        pool.Return(rows);

        DayRows again = pool.Rent();
        Assert.Same(rows, again);
        Assert.Equal(0, again.Count);
        again.Add(new RowRef(1, 2));
        Assert.Equal([new RowRef(1, 2)], again.Segment);
    }

    [Fact]
    public void Filling_a_reused_list_again_allocates_nothing()
    {
        var pool = new DayRowsPool();

        // A list grown per batch would be ~400 KB; reused, nothing.
        Assert.Equal(0, SteadyStateAllocation.Measure(() =>
        {
            for (int i = 0; i < 20; i++)
            {
                Fill(pool, 25_000);
            }
        }));
    }

    private static void Fill(DayRowsPool pool, int count)
    {
        DayRows rows = pool.Rent();
        for (int i = 0; i < count; i++)
        {
            rows.Add(new RowRef(i / 512, i % 512));
        }

        pool.Return(rows);
    }
}
