namespace XraySyslogSink.Pipeline;

/// <summary>
/// When to try a failed operation again: the first retry after <c>initialDelay</c>, each later one after twice the
/// previous delay up to <c>maxDelay</c>, at most <c>maxAttempts</c> attempts in all. One instance follows one
/// operation (a batch, a start-up connection); <see cref="Reset"/> after it succeeds. Waits on the injected clock.
/// </summary>
/// <remarks>
/// Shared by the daemon's <see cref="BatchingWriter"/> (unbounded: a batch is retried until it commits, the queues
/// push back meanwhile), <c>xraysink import</c> (bounded: a person waits for it) and the start-up schema check.
/// Which failures deserve a retry is the caller's decision; this type only says how long to wait and whether
/// attempts are left.
/// </remarks>
internal sealed class RetryBackoff
{
    private readonly TimeSpan _initialDelay;
    private readonly TimeSpan _maxDelay;
    private readonly int _maxAttempts;
    private readonly TimeProvider _timeProvider;

    public RetryBackoff(TimeSpan initialDelay, TimeSpan maxDelay, TimeProvider timeProvider, int maxAttempts = int.MaxValue)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(initialDelay, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxDelay, initialDelay);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxAttempts, 1);
        ArgumentNullException.ThrowIfNull(timeProvider);
        _initialDelay = initialDelay;
        _maxDelay = maxDelay;
        _maxAttempts = maxAttempts;
        _timeProvider = timeProvider;
        NextDelay = initialDelay;
    }

    /// <summary>The number of the attempt under way, from 1.</summary>
    public int Attempt { get; private set; } = 1;

    /// <summary>Whether another attempt may follow the one under way.</summary>
    public bool CanRetry => Attempt < _maxAttempts;

    /// <summary>How long <see cref="WaitAfterFailureAsync"/> waits when the attempt under way fails.</summary>
    public TimeSpan NextDelay { get; private set; }

    /// <summary>
    /// The attempt under way failed: waits <see cref="NextDelay"/>, then counts the next attempt and doubles the
    /// delay (up to the maximum). Throws <see cref="InvalidOperationException"/> when no attempt is left.
    /// </summary>
    public async Task WaitAfterFailureAsync(CancellationToken cancellationToken)
    {
        if (!CanRetry)
        {
            throw new InvalidOperationException($"All {_maxAttempts} attempts are used up.");
        }

        await Task.Delay(NextDelay, _timeProvider, cancellationToken);
        Attempt++;
        NextDelay = NextDelay.Ticks > _maxDelay.Ticks / 2 ? _maxDelay : NextDelay * 2;
    }

    /// <summary>The operation succeeded (or a new one starts): the next failure waits the initial delay again.</summary>
    public void Reset()
    {
        Attempt = 1;
        NextDelay = _initialDelay;
    }
}
