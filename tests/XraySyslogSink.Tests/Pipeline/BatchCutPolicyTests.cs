using Microsoft.Extensions.Time.Testing;
using XraySyslogSink.Pipeline;

namespace XraySyslogSink.Tests.Pipeline;

/// <summary>When the writer cuts a batch by time: the interval minus the predicted flush, counted from receipt.</summary>
public sealed class BatchCutPolicyTests
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2025, 11, 17, 12, 0, 0, TimeSpan.Zero));
    private readonly BatchCutPolicy _policy;

    public BatchCutPolicyTests()
    {
        _policy = new BatchCutPolicy(Interval, _time);
    }

    [Fact]
    public void Without_flush_history_fresh_rows_are_cut_an_interval_after_their_receipt()
    {
        _policy.Opened(ReceivedAgo(TimeSpan.FromMilliseconds(200)));

        Assert.Equal(TimeSpan.FromMilliseconds(800), _policy.UntilCut);
        _time.Advance(TimeSpan.FromMilliseconds(799));
        Assert.False(_policy.Due);
        _time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.True(_policy.Due);
    }

    [Fact]
    public void Recent_flush_time_is_taken_off_so_the_commit_lands_within_the_interval()
    {
        _policy.Flushed(TimeSpan.FromMilliseconds(300));

        _policy.Opened(ReceivedAgo(TimeSpan.FromMilliseconds(50)));

        Assert.Equal(TimeSpan.FromMilliseconds(300), _policy.PredictedFlush);
        Assert.Equal(TimeSpan.FromMilliseconds(650), _policy.UntilCut);
    }

    [Fact]
    public void The_prediction_is_the_longest_of_the_last_flushes_and_forgets_older_ones()
    {
        _policy.Flushed(TimeSpan.FromMilliseconds(400));
        _policy.Flushed(TimeSpan.FromMilliseconds(100));
        Assert.Equal(TimeSpan.FromMilliseconds(400), _policy.PredictedFlush);

        for (int i = 1; i < BatchCutPolicy.RememberedFlushes; i++)
        {
            _policy.Flushed(TimeSpan.FromMilliseconds(100 + i));
        }

        // The 400 ms flush is now the ninth most recent.
        Assert.Equal(TimeSpan.FromMilliseconds(100 + BatchCutPolicy.RememberedFlushes - 1), _policy.PredictedFlush);
    }

    [Fact]
    public void A_slow_flush_keeps_a_batch_open_at_least_half_an_interval()
    {
        // A commit retried through a database outage took 30 s: the prediction stops at half the interval.
        _policy.Flushed(TimeSpan.FromSeconds(30));

        _policy.Opened(ReceivedAgo(TimeSpan.Zero));

        Assert.Equal(Interval / 2, _policy.PredictedFlush);
        Assert.Equal(Interval / 2, _policy.UntilCut);
    }

    [Fact]
    public void Rows_already_late_count_from_the_batch_opening_so_a_backlog_still_makes_large_batches()
    {
        _policy.Flushed(TimeSpan.FromMilliseconds(200));

        // Replayed after an outage, or queued behind a sender faster than the database.
        _policy.Opened(ReceivedAgo(TimeSpan.FromSeconds(5)));

        Assert.Equal(TimeSpan.FromMilliseconds(800), _policy.UntilCut);
        Assert.True(_policy.Late);
    }

    [Fact]
    public void Fresh_rows_and_rows_without_a_receipt_time_are_not_late()
    {
        _policy.Opened(ReceivedAgo(TimeSpan.FromSeconds(5)));
        _policy.Opened(ReceivedAgo(TimeSpan.FromMilliseconds(100)));
        Assert.False(_policy.Late);

        _policy.Opened(0);
        Assert.False(_policy.Late);
    }

    [Fact]
    public void Rows_partly_late_are_cut_at_once()
    {
        _policy.Flushed(TimeSpan.FromMilliseconds(200));

        // 790 ms old with 800 ms of budget: 10 ms left, less than a fresh batch would get.
        _policy.Opened(ReceivedAgo(TimeSpan.FromMilliseconds(790)));

        Assert.Equal(TimeSpan.FromMilliseconds(10), _policy.UntilCut);
    }

    [Fact]
    public void Rows_without_a_receipt_time_wait_an_interval_from_the_opening()
    {
        _policy.Opened(0);

        Assert.Equal(Interval, _policy.UntilCut);
    }

    private long ReceivedAgo(TimeSpan age) => (_time.GetUtcNow() - age).UtcTicks;
}
