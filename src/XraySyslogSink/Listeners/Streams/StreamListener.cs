using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using XraySyslogSink.Core;
using XraySyslogSink.Listeners.Security;
using XraySyslogSink.Nodes;
using XraySyslogSink.Telemetry;

namespace XraySyslogSink.Listeners.Streams;

/// <summary>What one stream listener is: its configuration name, counter label, the layers a connection passes, and its protocol.</summary>
internal sealed record StreamListenerSpec(ListenerKind Kind, string Name, string Description, IReadOnlyList<IConnectionLayer> Layers, IStreamHandler Handler);

/// <summary>
/// The one accept loop of every stream listener (TCP, TLS, RELP, RELP over TLS), organised like Kestrel's socket
/// transport: accept, admit (<see cref="ConnectionAdmission"/>), keepalive, then each connection in its own task
/// through the listener's layers (TLS, or the plain-port check) to its protocol handler, tracked in a
/// <see cref="ConnectionRegistry"/> so a stop waits for it. Every way a connection ends is logged and counted here,
/// the same for every protocol.
/// </summary>
internal sealed partial class StreamListener : IListener
{
    // We only ever send acknowledgements: a small send buffer bounds what a peer that stops reading pins in the kernel.
    private const int SendBufferBytes = 64 * 1024;
    private const int KeepAliveIntervalSeconds = 30;
    private const int KeepAliveProbes = 4;

    private readonly StreamListenerSpec _spec;
    private readonly Socket _socket;
    private readonly ListenerOptions _options;
    private readonly ConnectionAdmission _admission;
    private readonly ConnectionRegistry _connections = new();
    private readonly PeerLogLimiter _logLimiter;
    private readonly SinkMetrics _metrics;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly CancellationTokenSource _abort = new();
    private Task _acceptLoop = Task.CompletedTask;
    private int _stopped;

    /// <summary>Names the node of each connection at accept time (certificate, <c>Nodes:Networks</c>).</summary>
    public NodeIdentityResolver Nodes { get; init; } = NodeIdentityResolver.None;

    public StreamListener(StreamListenerSpec spec, IPEndPoint endPoint, ListenerOptions options, SourceFilter sources, SinkMetrics metrics, TimeProvider timeProvider, ILogger logger)
    {
        _spec = spec;
        _options = options;
        _admission = new ConnectionAdmission(sources, spec.Kind, options);
        _logLimiter = new PeerLogLimiter(metrics, timeProvider);
        _metrics = metrics;
        _timeProvider = timeProvider;
        _logger = logger;
        _socket = ListenSocket.Bind(endPoint, backlog: 512);
        LocalEndPoint = (IPEndPoint)_socket.LocalEndPoint!;
        LogListening(spec.Description, LocalEndPoint);
    }

    public ListenerKind Kind => _spec.Kind;

    /// <summary>What this listener runs (for tests).</summary>
    internal StreamListenerSpec Spec => _spec;

    public IPEndPoint LocalEndPoint { get; }

    /// <summary>Connections admitted and not yet closed.</summary>
    public int ConnectionCount => _admission.Total;

    public void Start() => _acceptLoop = Task.Run(AcceptLoopAsync, CancellationToken.None);

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _stopped, 1) == 1)
        {
            return;
        }

        await _stop.CancelAsync();
        _socket.Close();
        await _acceptLoop;
        Task open = _connections.WhenAll();
        try
        {
            await open.WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            await _abort.CancelAsync();
            await open;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(CancellationToken.None);
        _socket.Dispose();
        _stop.Dispose();
        _abort.Dispose();
    }

    /// <summary>The peer address as stored with each message (IPv4-mapped IPv6 unmapped), or none.</summary>
    internal static InetValue PeerOf(EndPoint? remote) =>
        remote is IPEndPoint ip ? InetValue.FromIPAddress(ip.Address.IsIPv4MappedToIPv6 ? ip.Address.MapToIPv4() : ip.Address) : default;

    private async Task AcceptLoopAsync()
    {
        CancellationToken stop = _stop.Token;
        while (!stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _socket.AcceptAsync(stop);
            }
            catch (Exception) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (SocketException ex)
            {
                LogAcceptError(_spec.Name, ex.SocketErrorCode);
                continue;
            }

            EndPoint? remote = client.RemoteEndPoint;
            AdmissionTicket? ticket = _admission.TryAdmit(PeerOf(remote), out string? refusal);
            if (ticket is null)
            {
                _spec.Handler.OnRefused(refusal!);
                _metrics.ConnectionRejected(_spec.Name, refusal!);
                LogRefused(_spec.Name, remote, refusal!);
                client.Dispose();
                continue;
            }

            _metrics.ConnectionAccepted(_spec.Name);
            _connections.Start(id => ServeAsync(id, client, remote, ticket));
        }
    }

    private async Task ServeAsync(long id, Socket client, EndPoint? remote, AdmissionTicket ticket)
    {
        var connection = new StreamConnection(client, remote, ticket, _admission, _logLimiter, _options, _timeProvider, _stop.Token, _abort.Token);
        ConnectionEnd end = ConnectionEnd.Closed;
        string? detail = null;
        try
        {
            Configure(client);
            LogConnected(_spec.Name, remote);
            foreach (IConnectionLayer layer in _spec.Layers)
            {
                if (await layer.OnConnectedAsync(connection) is { } refused)
                {
                    end = refused;
                    return;
                }
            }

            // Decided once per connection, after TLS: every message it delivers carries it into the spool.
            connection.Node = Nodes.ForConnection(connection.Peer, (connection.Stream as System.Net.Security.SslStream)?.RemoteCertificate as System.Security.Cryptography.X509Certificates.X509Certificate2);
            await _spec.Handler.RunAsync(connection);
        }
        catch (ConnectionEndException ex)
        {
            (end, detail) = (ex.End, ex.Detail);
        }
        catch (Exception ex) when (ex is OperationCanceledException or ChannelClosedException)
        {
            // Stopping (a closed channel: the spool no longer takes messages).
            end = ConnectionEnd.Shutdown;
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException)
        {
            (end, detail) = (ConnectionEnd.IOError, ex.Message);
        }
        finally
        {
            Report(end, connection, detail is null ? null : NodeText.Escape(detail));
            await connection.DisposeAsync();
            _admission.Release(ticket);
            LogDisconnected(_spec.Name, remote, end);
            _connections.Remove(id);
        }
    }

    private void Configure(Socket client)
    {
        client.NoDelay = true;
        client.SendBufferSize = SendBufferBytes;
        if (_options.KeepAliveTime > TimeSpan.Zero)
        {
            client.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive, true);
            client.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveTime, (int)Math.Max(1, _options.KeepAliveTime.TotalSeconds));
            client.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveInterval, KeepAliveIntervalSeconds);
            client.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveRetryCount, KeepAliveProbes);
        }
    }

    /// <summary>Counts how a connection ended and logs it, within the per-peer log limit for the lines a peer can cause at will.</summary>
    private void Report(ConnectionEnd end, StreamConnection connection, string? detail)
    {
        EndPoint? remote = connection.Remote;
        switch (end)
        {
            case ConnectionEnd.BufferLimit:
                _metrics.ConnectionRejected(_spec.Name, ConnectionEnds.BufferLimit);
                if (connection.MayLog())
                {
                    LogBufferLimit(_spec.Name, remote, _options.MaxBufferedBytesPerConnection);
                }

                break;
            case ConnectionEnd.ProtocolError:
                _metrics.ConnectionRejected(_spec.Name, ConnectionEnds.FramingError);
                if (connection.MayLog())
                {
                    LogProtocolError(_spec.Name, remote, detail ?? end.Name());
                }

                break;
            case ConnectionEnd.SilentTimeout:
                _metrics.ConnectionRejected(_spec.Name, ConnectionEnds.SilentTimeout);
                if (connection.MayLog())
                {
                    LogSilentTimeout(_spec.Name, remote, _options.IdleTimeout);
                }

                break;
            case ConnectionEnd.IdleTimeout:
                LogIdleTimeout(_spec.Name, remote, _options.EstablishedIdleTimeout);
                break;
            case ConnectionEnd.SendTimeout:
                _metrics.ConnectionRejected(_spec.Name, ConnectionEnds.SendTimeout);
                LogSendTimeout(_spec.Name, remote, _options.SendTimeout);
                break;
            case ConnectionEnd.IOError:
                LogConnectionError(_spec.Name, remote, detail ?? "");
                break;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Listening for {Protocol} on {EndPoint}")]
    private partial void LogListening(string protocol, IPEndPoint endPoint);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Refusing {Listener} connection from {Remote}: {Reason}")]
    private partial void LogRefused(string listener, EndPoint? remote, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "{Listener} connection from {Remote}")]
    private partial void LogConnected(string listener, EndPoint? remote);

    [LoggerMessage(Level = LogLevel.Debug, Message = "{Listener} connection from {Remote} closed: {Reason}")]
    private partial void LogDisconnected(string listener, EndPoint? remote, ConnectionEnd reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Closing {Listener} connection from {Remote}: more than {Limit} bytes buffered (Listeners:MaxBufferedBytesPerConnection)")]
    private partial void LogBufferLimit(string listener, EndPoint? remote, int limit);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Closing {Listener} connection from {Remote}: {Error}")]
    private partial void LogProtocolError(string listener, EndPoint? remote, string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Listener} connection from {Remote} sent no valid frame and was quiet for {Timeout} (Listeners:IdleTimeout); closed")]
    private partial void LogSilentTimeout(string listener, EndPoint? remote, TimeSpan timeout);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Listener} connection from {Remote} idle for {Timeout} (Listeners:EstablishedIdleTimeout); closed")]
    private partial void LogIdleTimeout(string listener, EndPoint? remote, TimeSpan timeout);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Closing {Listener} connection from {Remote}: it took nothing we sent for {Timeout} (Listeners:SendTimeout)")]
    private partial void LogSendTimeout(string listener, EndPoint? remote, TimeSpan timeout);

    [LoggerMessage(Level = LogLevel.Debug, Message = "{Listener} connection from {Remote} failed: {Error}")]
    private partial void LogConnectionError(string listener, EndPoint? remote, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Listener} accept failed: {Error}")]
    private partial void LogAcceptError(string listener, SocketError error);
}
