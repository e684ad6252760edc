using System.Net;
using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using XraySyslogSink.Core;
using XraySyslogSink.Listeners.Relp;
using XraySyslogSink.Listeners.Security;
using XraySyslogSink.Spool;
using XraySyslogSink.Telemetry;

namespace XraySyslogSink.Listeners;

/// <summary>
/// Owns the UDP, TCP, TLS, RELP and RELP-over-TLS listeners. Started last and stopped first, so at shutdown nothing new is
/// accepted while the later stages drain; once every listener has stopped it completes the message queue.
/// </summary>
internal sealed partial class ListenerSupervisor : IHostedService, IAsyncDisposable
{
    private readonly ListenerOptions _options;
    private readonly ChannelWriter<ReceivedMessage> _messages;
    private readonly IMessageSpool _spool;
    private readonly SinkMetrics _metrics;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger<ListenerSupervisor> _logger;
    private readonly TlsOptions _tlsOptions;
    private readonly SourceFilter _sources;
    private UdpSyslogListener? _udp;
    private TcpSyslogListener? _tcp;
    private TcpSyslogListener? _tls;
    private RelpListener? _relp;
    private RelpListener? _relpTls;
    private TlsAuthenticator? _authenticator;

    public ListenerSupervisor(IOptions<ListenerOptions> options, IOptions<TlsOptions> tlsOptions, SourceFilter sources, ChannelWriter<ReceivedMessage> messages, IMessageSpool spool, SinkMetrics metrics, TimeProvider timeProvider, ILogger<ListenerSupervisor> logger)
    {
        _tlsOptions = tlsOptions.Value;
        _sources = sources;
        _spool = spool;
        _options = options.Value;
        _messages = messages;
        _metrics = metrics;
        _timeProvider = timeProvider;
        _logger = logger;
    }

    /// <summary>The bound UDP address (with the real port when configured as 0), or null when off.</summary>
    public IPEndPoint? UdpEndPoint => _udp?.LocalEndPoint;

    /// <summary>The bound TCP address, or null when off.</summary>
    public IPEndPoint? TcpEndPoint => _tcp?.LocalEndPoint;

    /// <summary>The bound RELP address, or null when off.</summary>
    public IPEndPoint? RelpEndPoint => _relp?.LocalEndPoint;

    /// <summary>The bound TLS (RFC 5425) address, or null when off.</summary>
    public IPEndPoint? TlsEndPoint => _tls?.LocalEndPoint;

    /// <summary>The bound RELP-over-TLS address, or null when off.</summary>
    public IPEndPoint? RelpTlsEndPoint => _relpTls?.LocalEndPoint;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        // Validated at start; parsing again here only turns the text into end points.
        IPEndPoint? udp = ListenAddress.TryParse(_options.Udp, out IPEndPoint? parsedUdp, out string? udpError) ? parsedUdp : throw new InvalidOperationException(udpError);
        IPEndPoint? tcp = ListenAddress.TryParse(_options.Tcp, out IPEndPoint? parsedTcp, out string? tcpError) ? parsedTcp : throw new InvalidOperationException(tcpError);
        IPEndPoint? relp = ListenAddress.TryParse(_options.Relp, out IPEndPoint? parsedRelp, out string? relpError) ? parsedRelp : throw new InvalidOperationException(relpError);
        IPEndPoint? tls = ListenAddress.TryParse(_options.Tls, out IPEndPoint? parsedTls, out string? tlsError) ? parsedTls : throw new InvalidOperationException(tlsError);
        IPEndPoint? relpTls = ListenAddress.TryParse(_options.RelpTls, out IPEndPoint? parsedRelpTls, out string? relpTlsError) ? parsedRelpTls : throw new InvalidOperationException(relpTlsError);
        if (udp is null && tcp is null && relp is null && tls is null && relpTls is null)
        {
            LogNoListeners();
        }

        if (tls is not null || relpTls is not null)
        {
            _authenticator = TlsAuthenticator.Create(_tlsOptions, _metrics, _logger);
        }

        if (udp is not null)
        {
            _udp = new UdpSyslogListener(udp, _options, _sources, _spool, _metrics, _timeProvider, _logger);
            _udp.Start();
        }

        if (tcp is not null)
        {
            _tcp = new TcpSyslogListener(tcp, _options, null, _sources, _spool, _metrics, _timeProvider, _logger);
            _tcp.Start();
        }

        if (tls is not null)
        {
            _tls = new TcpSyslogListener(tls, _options, _authenticator, _sources, _spool, _metrics, _timeProvider, _logger);
            _tls.Start();
        }

        if (relp is not null)
        {
            _relp = new RelpListener(relp, _options, null, _sources, _spool, _metrics, _timeProvider, _logger);
            _relp.Start();
        }

        if (relpTls is not null)
        {
            _relpTls = new RelpListener(relpTls, _options, _authenticator, _sources, _spool, _metrics, _timeProvider, _logger);
            _relpTls.Start();
        }

        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        try
        {
            if (_udp is not null)
            {
                await _udp.DisposeAsync();
                _udp = null;
            }

            foreach (TcpSyslogListener? stream in (TcpSyslogListener?[])[_tcp, _tls])
            {
                if (stream is not null)
                {
                    await stream.DisposeAsync().AsTask().WaitAsync(cancellationToken);
                }
            }

            _tcp = null;
            _tls = null;
            foreach (RelpListener? relp in (RelpListener?[])[_relp, _relpTls])
            {
                if (relp is not null)
                {
                    // Sessions first acknowledge what they appended; the shutdown timeout cuts that short.
                    await relp.StopAsync(cancellationToken);
                    await relp.DisposeAsync();
                }
            }

            _relp = null;
            _relpTls = null;
        }
        finally
        {
            _messages.TryComplete();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_udp is not null)
        {
            await _udp.DisposeAsync();
            _udp = null;
        }

        if (_tcp is not null)
        {
            await _tcp.DisposeAsync();
            _tcp = null;
        }

        if (_tls is not null)
        {
            await _tls.DisposeAsync();
            _tls = null;
        }

        if (_relp is not null)
        {
            await _relp.DisposeAsync();
            _relp = null;
        }

        if (_relpTls is not null)
        {
            await _relpTls.DisposeAsync();
            _relpTls = null;
        }

        _authenticator?.Dispose();
        _authenticator = null;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Listeners:Udp, Listeners:Tcp, Listeners:Tls, Listeners:Relp and Listeners:RelpTls are all empty: nothing will be received")]
    private partial void LogNoListeners();
}
