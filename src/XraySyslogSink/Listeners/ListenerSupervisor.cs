using System.Net;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using XraySyslogSink.Pipeline;
using XraySyslogSink.Spool;
using XraySyslogSink.Telemetry;

namespace XraySyslogSink.Listeners;

/// <summary>
/// Owns the UDP and TCP listeners. Started last and stopped first, so at shutdown nothing new is
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

    public Task StartAsync(CancellationToken cancellationToken)
    {
        // Validated at start; parsing again here only turns the text into end points.
        IPEndPoint? udp = ListenAddress.TryParse(_options.Udp, out IPEndPoint? parsedUdp, out string? udpError) ? parsedUdp : throw new InvalidOperationException(udpError);
        IPEndPoint? tcp = ListenAddress.TryParse(_options.Tcp, out IPEndPoint? parsedTcp, out string? tcpError) ? parsedTcp : throw new InvalidOperationException(tcpError);
        if (udp is null && tcp is null)
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
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Listeners:Udp and Listeners:Tcp are both empty: nothing will be received")]
    private partial void LogNoListeners();
}
