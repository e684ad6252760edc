using System.Net;
using XraySyslogSink.Listeners.Security;

namespace XraySyslogSink.Listeners;

/// <summary>One configured listener (UDP, or a stream listener for TCP, TLS, RELP, RELP over TLS), as the supervisor runs it.</summary>
internal interface IListener : IAsyncDisposable
{
    ListenerKind Kind { get; }

    /// <summary>The bound address (with the real port when configured as 0).</summary>
    IPEndPoint LocalEndPoint { get; }

    void Start();

    /// <summary>
    /// Stops taking new input and waits until what was taken is finished (a RELP session acknowledges what it
    /// appended); when <paramref name="cancellationToken"/> fires first (the shutdown timeout), gives up at once.
    /// </summary>
    Task StopAsync(CancellationToken cancellationToken);
}
