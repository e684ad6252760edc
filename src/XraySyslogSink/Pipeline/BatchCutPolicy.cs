namespace XraySyslogSink.Pipeline;

/// <summary>
/// When the writer cuts its open batch by time: early enough that the oldest row's age at the cut plus the time
/// recent batches took from their cut to their commit stays within <see cref="WriterOptions.FlushInterval"/>, which
/// an operator reads as "rows are committed within about this long".
/// </summary>
/// <remarks>
/// <para>The age counts from the row's receipt by a listener when the batch's first rows arrive fresh, so the time
/// they spent in the spool and the parsers is inside the interval too. Rows that arrive already older than the
/// interval allows (a backlog: replay after an outage, or a sender faster than the database) are late whatever the
/// writer does; such a batch counts from its opening instead, so that it still collects rows for most of an interval
/// and batches stay large when throughput is what matters.</para>
/// <para>The flush time predicted is the longest of the last few (cut to commit: preparation, the wait for the
/// previous commit, the commit), at most half the interval, so one slow commit shortens only the next few batches and
/// a batch is always open for at least half an interval. The size limit (<see cref="WriterOptions.BatchSize"/>) is
/// the writer's, not this type's.</para>
/// <para>The writer's loop opens batches and asks when to cut; its commits report their durations from another task.</para>
/// </remarks>
internal sealed class BatchCutPolicy
{
    /// <summary>How many recent flushes the prediction remembers.</summary>
    internal const int RememberedFlushes = 8;

    private readonly TimeSpan _interval;
    private readonly TimeSpan _longestPrediction;
    private readonly TimeProvider _timeProvider;
    private readonly TimeSpan[] _recent = new TimeSpan[RememberedFlushes];
    private readonly Lock _recentLock = new();
    private int _recentCount;
    private int _recentNext;
    private DateTimeOffset _cutAt;

    public BatchCutPolicy(TimeSpan interval, TimeProvider timeProvider)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(interval, TimeSpan.Zero);
        ArgumentNullException.ThrowIfNull(timeProvider);
        _interval = interval;
        _longestPrediction = interval / 2;
        _timeProvider = timeProvider;
    }

    /// <summary>How long a batch is expected to take from its cut to its commit: the longest recent one, capped.</summary>
    public TimeSpan PredictedFlush
    {
        get
        {
            TimeSpan longest = TimeSpan.Zero;
            lock (_recentLock)
            {
                for (int i = 0; i < _recentCount; i++)
                {
                    longest = longest > _recent[i] ? longest : _recent[i];
                }
            }

            return longest < _longestPrediction ? longest : _longestPrediction;
        }
    }

    /// <summary>
    /// The batch's first rows arrived; <paramref name="oldestReceivedAtTicks"/> is the earliest receipt (UTC ticks)
    /// among them, 0 when none has one (dead letters only, or rows built outside the listeners).
    /// </summary>
    public void Opened(long oldestReceivedAtTicks)
    {
        DateTimeOffset now = _timeProvider.GetUtcNow();
        TimeSpan budget = _interval - PredictedFlush;
        Late = false;
        if (oldestReceivedAtTicks > 0)
        {
            var fresh = new DateTimeOffset(oldestReceivedAtTicks, TimeSpan.Zero) + budget;
            if (fresh > now)
            {
                _cutAt = fresh;
                return;
            }

            Late = true;
        }

        _cutAt = now + budget;
    }

    /// <summary>
    /// Whether the open batch's rows were already late when it opened (a backlog): the writer then also cuts it as soon
    /// as nothing more is queued and the database has nothing else to do, since waiting longer would not make it
    /// larger, only later.
    /// </summary>
    public bool Late { get; private set; }

    /// <summary>How long until the open batch is to be cut; zero or less: now.</summary>
    public TimeSpan UntilCut => _cutAt - _timeProvider.GetUtcNow();

    /// <summary>Whether the open batch is due to be cut.</summary>
    public bool Due => UntilCut <= TimeSpan.Zero;

    /// <summary>A batch committed <paramref name="sinceCut"/> after it was cut (called from the commit's task).</summary>
    public void Flushed(TimeSpan sinceCut)
    {
        lock (_recentLock)
        {
            _recent[_recentNext] = sinceCut;
            _recentNext = (_recentNext + 1) % RememberedFlushes;
            _recentCount = Math.Min(_recentCount + 1, RememberedFlushes);
        }
    }
}
