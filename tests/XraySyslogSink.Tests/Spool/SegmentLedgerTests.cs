using XraySyslogSink.Spool;

namespace XraySyslogSink.Tests.Spool;

public sealed class SegmentLedgerTests
{
    [Fact]
    public void Only_committed_synced_segments_are_taken_for_deletion()
    {
        var ledger = new SegmentLedger();
        SpoolSegment first = Segment(ledger, 1, 10);
        SpoolSegment dirty = Segment(ledger, 11, 20);
        dirty.Dirty = true;
        SpoolSegment pending = Segment(ledger, 21, 30);
        ledger.Commit(25);

        Assert.Equal([first], ledger.TakeDeletable(active: null, activeInUse: false));
        Assert.Equal([dirty, pending], ledger.Segments);
        Assert.Equal(200, ledger.Bytes);
    }

    [Fact]
    public void The_active_segment_goes_only_when_idle_and_it_holds_a_message()
    {
        var ledger = new SegmentLedger();
        SpoolSegment active = Segment(ledger, 1, 5);
        ledger.Commit(5);

        Assert.Empty(ledger.TakeDeletable(active, activeInUse: true));
        Assert.Equal([active], ledger.TakeDeletable(active, activeInUse: false));

        SpoolSegment empty = Segment(ledger, 6, 5);
        Assert.Empty(ledger.TakeDeletable(empty, activeInUse: false));
    }

    [Fact]
    public void The_committed_position_never_moves_back()
    {
        var ledger = new SegmentLedger();
        ledger.Commit(10);
        ledger.Commit(4);

        Assert.Equal(10, ledger.Committed);
    }

    [Fact]
    public void Next_and_upper_bound_go_by_number_even_after_a_deletion()
    {
        var ledger = new SegmentLedger();
        SpoolSegment first = Segment(ledger, 1, 10);
        SpoolSegment second = Segment(ledger, 11, 20);
        SpoolSegment third = Segment(ledger, 21, 30);

        Assert.Equal(10, ledger.UpperBound(first));
        Assert.Equal(long.MaxValue, ledger.UpperBound(third));
        ledger.Commit(20);
        ledger.TakeDeletable(third, activeInUse: true);
        Assert.Same(third, ledger.Next(second));
        Assert.Same(third, ledger.Next(first));
        Assert.Null(ledger.Next(third));
    }

    [Fact]
    public void Segments_are_kept_in_sequence_order()
    {
        var ledger = new SegmentLedger();
        Segment(ledger, 10, 20);

        Assert.Throws<InvalidOperationException>(() => Segment(ledger, 5, 9));
    }

    private static SpoolSegment Segment(SegmentLedger ledger, long first, long last)
    {
        var segment = new SpoolSegment(SpoolHarness.Directory, first) { LastSequence = last, Length = 100 };
        ledger.Add(segment);
        return segment;
    }
}
