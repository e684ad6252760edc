namespace XraySyslogSink.Core;

/// <summary>
/// At most N dead letters per second for one worker. A fixed one-second window is enough here:
/// the goal is a ceiling on what garbage can write, not smooth shaping.
/// </summary>
internal sealed class DeadLetterLimiter
{
    private readonly TimeProvider _timeProvider;
    private readonly int _perSecond;
    private long _windowStart;
    private int _usedInWindow;

    public DeadLetterLimiter(int perSecond, TimeProvider timeProvider)
    {
        _perSecond = perSecond;
        _timeProvider = timeProvider;
        _windowStart = timeProvider.GetTimestamp();
    }

    public bool TryAcquire()
    {
        long now = _timeProvider.GetTimestamp();
        if (_timeProvider.GetElapsedTime(_windowStart, now) >= TimeSpan.FromSeconds(1))
        {
            _windowStart = now;
            _usedInWindow = 0;
        }

        if (_usedInWindow >= _perSecond)
        {
            return false;
        }

        _usedInWindow++;
        return true;
    }
}
