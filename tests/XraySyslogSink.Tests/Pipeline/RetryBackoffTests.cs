using Microsoft.Extensions.Time.Testing;
using XraySyslogSink.Pipeline;

namespace XraySyslogSink.Tests.Pipeline;

/// <summary>The retry policy of the writer, the importer and the start-up schema check, on a fake clock.</summary>
public sealed class RetryBackoffTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2025, 11, 17, 12, 0, 0, TimeSpan.Zero));

    [Fact]
    public void The_first_attempt_waits_the_initial_delay()
    {
        var backoff = new RetryBackoff(TimeSpan.FromMilliseconds(250), TimeSpan.FromSeconds(30), _time);

        Assert.Equal(1, backoff.Attempt);
        Assert.True(backoff.CanRetry);
        Assert.Equal(TimeSpan.FromMilliseconds(250), backoff.NextDelay);
    }

    [Fact]
    public async Task Each_failure_doubles_the_delay_up_to_the_maximum()
    {
        var backoff = new RetryBackoff(TimeSpan.FromMilliseconds(250), TimeSpan.FromSeconds(1.5), _time);
        List<TimeSpan> delays = [];
        for (int i = 0; i < 6; i++)
        {
            delays.Add(backoff.NextDelay);
            await FailAsync(backoff);
        }

        Assert.Equal(
            [TimeSpan.FromMilliseconds(250), TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1.5), TimeSpan.FromSeconds(1.5), TimeSpan.FromSeconds(1.5)],
            delays);
        Assert.Equal(7, backoff.Attempt);
    }

    [Fact]
    public async Task The_wait_lasts_the_delay_on_the_injected_clock()
    {
        var backoff = new RetryBackoff(TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(10), _time);

        Task wait = backoff.WaitAfterFailureAsync(CancellationToken.None);
        _time.Advance(TimeSpan.FromMilliseconds(1999));
        Assert.False(wait.IsCompleted);
        Assert.Equal(1, backoff.Attempt);

        _time.Advance(TimeSpan.FromMilliseconds(1));
        await wait.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(2, backoff.Attempt);
        Assert.Equal(TimeSpan.FromSeconds(4), backoff.NextDelay);
    }

    [Fact]
    public async Task A_cancelled_wait_counts_no_attempt()
    {
        var backoff = new RetryBackoff(TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(10), _time);
        using var cancel = new CancellationTokenSource();

        Task wait = backoff.WaitAfterFailureAsync(cancel.Token);
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => wait);
        Assert.Equal(1, backoff.Attempt);
        Assert.Equal(TimeSpan.FromSeconds(2), backoff.NextDelay);
    }

    [Fact]
    public async Task A_bounded_policy_stops_after_its_attempts()
    {
        var backoff = new RetryBackoff(TimeSpan.FromMilliseconds(10), TimeSpan.FromMilliseconds(40), _time, maxAttempts: 3);

        await FailAsync(backoff);
        Assert.True(backoff.CanRetry);
        await FailAsync(backoff);

        Assert.Equal(3, backoff.Attempt);
        Assert.False(backoff.CanRetry);
        await Assert.ThrowsAsync<InvalidOperationException>(() => backoff.WaitAfterFailureAsync(CancellationToken.None));
    }

    [Fact]
    public async Task Reset_starts_over_at_the_initial_delay()
    {
        var backoff = new RetryBackoff(TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(1), _time, maxAttempts: 2);
        await FailAsync(backoff);
        Assert.False(backoff.CanRetry);

        backoff.Reset();

        Assert.Equal(1, backoff.Attempt);
        Assert.True(backoff.CanRetry);
        Assert.Equal(TimeSpan.FromMilliseconds(100), backoff.NextDelay);
    }

    [Theory]
    [InlineData(-1, 10, 1)]
    [InlineData(10, 5, 1)]
    [InlineData(10, 20, 0)]
    public void Nonsensical_settings_are_refused(int initialMs, int maxMs, int maxAttempts)
    {
        Assert.Throws<ArgumentOutOfRangeException>(
            () => new RetryBackoff(TimeSpan.FromMilliseconds(initialMs), TimeSpan.FromMilliseconds(maxMs), _time, maxAttempts));
    }

    private async Task FailAsync(RetryBackoff backoff)
    {
        Task wait = backoff.WaitAfterFailureAsync(CancellationToken.None);
        _time.Advance(backoff.NextDelay);
        await wait.WaitAsync(TimeSpan.FromSeconds(5));
    }
}
