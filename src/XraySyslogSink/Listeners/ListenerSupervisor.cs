using System.Net;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using XraySyslogSink.Listeners.Relp;
using XraySyslogSink.Pipeline;
using XraySyslogSink.Spool;
using XraySyslogSink.Telemetry;

namespace XraySyslogSink.Listeners;

/// <summary>
/// Owns the UDP, TCP and RELP listeners. Started last and stopped first, so at shutdown nothing new is
/// accepted while the later stages drain; once every listener has stopped it completes the message queue.
/// </summary>
internal sealed partial class ListenerSupervisor : IHostedService, IAsyncDisposable
{
    private readonly ListenerOptions _options;
    private readonly SinkChannels _channels;
    private readonly IMessageSpool _spool;
    private readonly SinkMetrics _metrics;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger<ListenerSupervisor> _logger;
    private UdpSyslogListener? _udp;
    private TcpSyslogListener? _tcp;
    private RelpListener? _relp;

    public ListenerSupervisor(IOptions<ListenerOptions> options, SinkChannels channels, IMessageSpool spool, SinkMetrics metrics, TimeProvider timeProvider, ILogger<ListenerSupervisor> logger)
    {
        _spool = spool;
        _options = options.Value;
        _channels = channels;
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

    public Task StartAsync(CancellationToken cancellationToken)
    {
        // Validated at start; parsing again here only turns the text into end points.
        IPEndPoint? udp = ListenAddress.TryParse(_options.Udp, out IPEndPoint? parsedUdp, out string? udpError) ? parsedUdp : throw new InvalidOperationException(udpError);
        IPEndPoint? tcp = ListenAddress.TryParse(_options.Tcp, out IPEndPoint? parsedTcp, out string? tcpError) ? parsedTcp : throw new InvalidOperationException(tcpError);
        IPEndPoint? relp = ListenAddress.TryParse(_options.Relp, out IPEndPoint? parsedRelp, out string? relpError) ? parsedRelp : throw new InvalidOperationException(relpError);
        if (udp is null && tcp is null && relp is null)
        {
            LogNoListeners();
        }

        if (udp is not null)
        {
            _udp = new UdpSyslogListener(udp, _options, _spool, _metrics, _timeProvider, _logger);
            _udp.Start();
        }

        if (tcp is not null)
        {
            _tcp = new TcpSyslogListener(tcp, _options, _spool, _metrics, _timeProvider, _logger);
            _tcp.Start();
        }

        if (relp is not null)
        {
            _relp = new RelpListener(relp, _options, _spool, _metrics, _timeProvider, _logger);
            _relp.Start();
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

            if (_tcp is not null)
            {
                TcpSyslogListener tcp = _tcp;
                _tcp = null;
                await tcp.DisposeAsync().AsTask().WaitAsync(cancellationToken);
            }

            if (_relp is not null)
            {
                // Sessions first acknowledge what they appended; the shutdown timeout cuts that short.
                await _relp.StopAsync(cancellationToken);
                await _relp.DisposeAsync();
                _relp = null;
            }
        }
        finally
        {
            _channels.Messages.Writer.TryComplete();
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

        if (_relp is not null)
        {
            await _relp.DisposeAsync();
            _relp = null;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Listeners:Udp, Listeners:Tcp and Listeners:Relp are all empty: nothing will be received")]
    private partial void LogNoListeners();
}
