using XraySyslogSink.Core;
using XraySyslogSink.Telemetry;

namespace XraySyslogSink.Listeners.Security;

/// <summary>
/// Rate-limits the per-connection log lines of one listener by peer address: each address gets
/// <see cref="PerMinute"/> lines a minute, the rest are counted (<c>xraysink.log.suppressed</c>) and not written, so
/// one client that reconnects thousands of times a second cannot flood the log. The memory is bounded: at most
/// <see cref="MaxPeers"/> addresses per minute are tracked, later ones in that minute are only counted.
/// </summary>
internal sealed class PeerLogLimiter(SinkMetrics metrics, TimeProvider timeProvider)
{
    public const int PerMinute = 5;
    public const int MaxPeers = 4096;

    private static readonly TimeSpan Window = TimeSpan.FromMinutes(1);

    private readonly Dictionary<InetValue, int> _logged = [];
    private DateTimeOffset _windowEnds = DateTimeOffset.MinValue;

    /// <summary>True when a line about <paramref name="peer"/> may be written now; otherwise it is counted as suppressed.</summary>
    public bool TryLog(InetValue peer)
    {
        bool allowed;
        lock (_logged)
        {
            DateTimeOffset now = timeProvider.GetUtcNow();
            if (now >= _windowEnds)
            {
                _logged.Clear();
                _windowEnds = now + Window;
            }

            _logged.TryGetValue(peer, out int count);
            allowed = count < PerMinute && (count > 0 || _logged.Count < MaxPeers);
            if (allowed)
            {
                _logged[peer] = count + 1;
            }
        }

        if (!allowed)
        {
            metrics.LogSuppressed();
        }

        return allowed;
    }
}
