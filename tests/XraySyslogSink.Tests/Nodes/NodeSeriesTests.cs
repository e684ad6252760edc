using System.Text;
using XraySyslogSink.Telemetry;

namespace XraySyslogSink.Tests.Nodes;

/// <summary>Per-node series stay bounded: beyond Nodes:MaxSeries every node is counted under "other".</summary>
public sealed class NodeSeriesTests
{
    [Fact]
    public void Names_beyond_the_bound_share_the_other_series_and_are_counted()
    {
        var series = new NodeSeries(maxSeries: 2);
        series.Preload(["node-a"]);

        int a = series.SlotOf("node-a"u8);
        int b = series.SlotOf("node-b".AsSpan());
        Assert.NotEqual(NodeSeries.OtherSlot, a);
        Assert.NotEqual(NodeSeries.OtherSlot, b);
        Assert.Equal(a, series.SlotOf("node-a".AsSpan()));
        for (int i = 0; i < 10_000; i++)
        {
            Assert.Equal(NodeSeries.OtherSlot, series.SlotOf(Encoding.ASCII.GetBytes($"invented-{i}")));
        }

        Assert.Equal(2, series.Count);
        Assert.Equal(10_000, series.OverflowLookups);
        Assert.Equal(["other", "node-a", "node-b"], series.Snapshot().Select(s => s.Node));
    }

    [Fact]
    public void A_node_literally_named_other_is_counted_in_the_other_series()
    {
        var series = new NodeSeries(maxSeries: 5);

        Assert.Equal(NodeSeries.OtherSlot, series.SlotOf("other"u8));
        Assert.Equal(0, series.Count);
    }

    [Fact]
    public void Tallies_add_up_per_node_and_last_seen_only_moves_forward()
    {
        var series = new NodeSeries(maxSeries: 4);
        int a = series.SlotOf("node-a"u8);
        int b = series.SlotOf("node-b"u8);
        var parser = new NodeTally(series);
        var writer = new NodeTally(series);

        parser.Line(a, 1_700_000_100);
        parser.Line(a, 1_700_000_050);
        parser.Line(b, 1_700_000_010);
        parser.DeadLetter(b);
        writer.Rows(a, 2);
        parser.ReportTo(series);
        writer.ReportTo(series);
        parser.Line(a, 1_700_000_000);
        parser.ReportTo(series);
        parser.ReportTo(series);

        NodeSeriesValues nodeA = series.Snapshot().Single(s => s.Node == "node-a");
        NodeSeriesValues nodeB = series.Snapshot().Single(s => s.Node == "node-b");
        Assert.Equal(new NodeSeriesValues("node-a", 3, 2, 0, 1_700_000_100), nodeA);
        Assert.Equal(new NodeSeriesValues("node-b", 1, 0, 1, 1_700_000_010), nodeB);
    }

    [Fact]
    public async Task Concurrent_new_names_never_take_more_slots_than_the_bound()
    {
        var series = new NodeSeries(maxSeries: 50);

        await Task.WhenAll(Enumerable.Range(0, 4).Select(t => Task.Run(() =>
        {
            for (int i = 0; i < 2_000; i++)
            {
                series.SlotOf(Encoding.ASCII.GetBytes($"n-{t}-{i % 100}"));
            }
        })));

        Assert.Equal(50, series.Count);
        Assert.Equal(51, series.Snapshot().Count);
        Assert.Equal(50, series.Snapshot().Skip(1).Select(s => s.Node).Distinct().Count());
    }
}
