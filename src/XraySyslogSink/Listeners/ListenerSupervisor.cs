using System.Net;
using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using XraySyslogSink.Core;
using XraySyslogSink.Listeners.Security;
using XraySyslogSink.Nodes;
using XraySyslogSink.Spool;
using XraySyslogSink.Telemetry;

namespace XraySyslogSink.Listeners;

/// <summary>
/// Starts the listeners the configuration turns on (UDP, TCP, TLS, RELP, RELP over TLS). Started last and stopped
/// first, so at shutdown nothing new is accepted while the later stages drain; once every listener has stopped it
/// completes the message queue.
/// </summary>
internal sealed partial class ListenerSupervisor : IHostedService, IAsyncDisposable
{
    private readonly ListenerOptions _options;
    private readonly ChannelWriter<ReceivedMessage> _messages;
    private readonly TlsOptions _tlsOptions;
    private readonly SinkMetrics _metrics;
    private readonly ListenerFactory _factory;
    private readonly SourceFilter _sources;
    private readonly ILogger<ListenerSupervisor> _logger;
    private readonly List<IListener> _listeners = [];
    private TlsAuthenticator? _authenticator;

    public ListenerSupervisor(IOptions<ListenerOptions> options, IOptions<TlsOptions> tlsOptions, SourceFilter sources, ChannelWriter<ReceivedMessage> messages, IMessageSpool spool, SinkMetrics metrics, TimeProvider timeProvider, ILogger<ListenerSupervisor> logger, NodeIdentityResolver? nodes = null)
    {
        _options = options.Value;
        _tlsOptions = tlsOptions.Value;
        _messages = messages;
        _metrics = metrics;
        _logger = logger;
        _sources = sources;
        _factory = new ListenerFactory(_options, sources, spool, metrics, timeProvider, logger) { Nodes = nodes ?? NodeIdentityResolver.None };
    }

    /// <summary>The bound UDP address (with the real port when configured as 0), or null when off.</summary>
    public IPEndPoint? UdpEndPoint => EndPointOf(ListenerKind.Udp);

    /// <summary>The bound TCP address, or null when off.</summary>
    public IPEndPoint? TcpEndPoint => EndPointOf(ListenerKind.Tcp);

    /// <summary>The bound RELP address, or null when off.</summary>
    public IPEndPoint? RelpEndPoint => EndPointOf(ListenerKind.Relp);

    /// <summary>The bound TLS (RFC 5425) address, or null when off.</summary>
    public IPEndPoint? TlsEndPoint => EndPointOf(ListenerKind.Tls);

    /// <summary>The bound RELP-over-TLS address, or null when off.</summary>
    public IPEndPoint? RelpTlsEndPoint => EndPointOf(ListenerKind.RelpTls);

    /// <summary>The running listeners (for tests).</summary>
    internal IReadOnlyList<IListener> Listeners => _listeners;

    public IPEndPoint? EndPointOf(ListenerKind kind) => _listeners.Find(listener => listener.Kind == kind)?.LocalEndPoint;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        List<(ListenerKind Kind, IPEndPoint EndPoint)> configured = ListenerFactory.Configured(_options);
        if (configured.Count == 0)
        {
            LogNoListeners();
        }

        foreach (string warning in ListenerExposure.Warnings(configured, _tlsOptions, _sources))
        {
            LogExposed(warning);
        }

        if (configured.Exists(listener => ListenerFactory.IsTls(listener.Kind)))
        {
            _authenticator = TlsAuthenticator.Create(_tlsOptions, _metrics, _logger);
        }

        foreach ((ListenerKind kind, IPEndPoint endPoint) in configured)
        {
            IListener listener = _factory.Create(kind, endPoint, _authenticator);
            _listeners.Add(listener);
            listener.Start();
        }

        return Task.CompletedTask;
    }

    /// <summary>Stops every listener at once; RELP sessions first acknowledge what they appended, until the shutdown timeout.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        try
        {
            await Task.WhenAll(_listeners.Select(listener => listener.StopAsync(cancellationToken)));
        }
        finally
        {
            _messages.TryComplete();
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (IListener listener in _listeners)
        {
            await listener.DisposeAsync();
        }

        _listeners.Clear();
        _authenticator?.Dispose();
        _authenticator = null;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Warning}")]
    private partial void LogExposed(string warning);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Listeners:Udp, Listeners:Tcp, Listeners:Tls, Listeners:Relp and Listeners:RelpTls are all empty: nothing will be received")]
    private partial void LogNoListeners();
}
