using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using XraySyslogSink.Core;
using XraySyslogSink.Listeners.Security;
using XraySyslogSink.Spool;
using XraySyslogSink.Telemetry;

namespace XraySyslogSink.Listeners.Relp;

/// <summary>
/// Accepts RELP sessions (rsyslog's <c>omrelp</c>, or <c>omrelp tls="on"</c> when given a <see cref="TlsAuthenticator"/>)
/// admitted by a <see cref="ConnectionAdmission"/>, and runs a <see cref="RelpSession"/> for each. Stopping ends
/// the sessions after they have acknowledged every message they already handed to the spool.
/// </summary>
internal sealed partial class RelpListener : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly IMessageSpool _spool;
    private readonly ListenerOptions _options;
    private readonly SinkMetrics _metrics;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly TlsAuthenticator? _tls;
    private readonly ConnectionAdmission _admission;
    private readonly MisdirectedTls _misdirected;
    private readonly string _name;
    private readonly CancellationTokenSource _stop = new();
    private readonly CancellationTokenSource _abort = new();
    private readonly Dictionary<long, Task> _sessions = [];
    private long _nextSessionId;
    private int _stopped;
    private Task _acceptLoop = Task.CompletedTask;

    public RelpListener(IPEndPoint endPoint, ListenerOptions options, TlsAuthenticator? tls, SourceFilter sources, IMessageSpool spool, SinkMetrics metrics, TimeProvider timeProvider, ILogger logger)
    {
        _tls = tls;
        _name = tls is null ? "relp" : "relp_tls";
        _admission = new ConnectionAdmission(sources, tls is null ? ListenerKind.Relp : ListenerKind.RelpTls, options);
        _misdirected = new MisdirectedTls(logger);
        _options = options;
        _spool = spool;
        _metrics = metrics;
        _timeProvider = timeProvider;
        _logger = logger;
        _socket = ListenSocket.Bind(endPoint, backlog: 512);

        LocalEndPoint = (IPEndPoint)_socket.LocalEndPoint!;
        LogListening(tls is null ? "RELP" : "RELP over TLS", LocalEndPoint);
    }

    public IPEndPoint LocalEndPoint { get; }

    public int SessionCount => _admission.Total;

    public void Start() => _acceptLoop = Task.Run(AcceptLoopAsync, CancellationToken.None);

    /// <summary>
    /// Stops accepting and reading, waits until every session has acknowledged what it appended, and when
    /// <paramref name="cancellationToken"/> fires first (the shutdown timeout) drops the sessions as they are.
    /// </summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _stopped, 1) == 1)
        {
            return;
        }

        await _stop.CancelAsync();
        _socket.Close();
        await _acceptLoop;
        Task[] open;
        lock (_sessions)
        {
            open = [.. _sessions.Values];
        }

        try
        {
            await Task.WhenAll(open).WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            await _abort.CancelAsync();
            await Task.WhenAll(open);
        }

        _socket.Dispose();
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(CancellationToken.None);
        _stop.Dispose();
        _abort.Dispose();
    }

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
                LogAcceptError(ex.SocketErrorCode);
                continue;
            }

            EndPoint? remote = client.RemoteEndPoint;
            InetValue peer = TcpSyslogListener.PeerOf(remote);
            string? refusal = _admission.TryAdmit(peer);
            if (refusal is not null)
            {
                if (refusal == ConnectionAdmission.TooManyConnections)
                {
                    _metrics.RelpSessionRefused();
                }

                _metrics.ConnectionRejected(_name, refusal);
                LogRefused(remote, refusal);
                client.Dispose();
                continue;
            }

            _metrics.ConnectionAccepted(_name);
            long id = Interlocked.Increment(ref _nextSessionId);
            lock (_sessions)
            {
                _sessions[id] = Task.Run(() => RunSessionAsync(id, client, remote, peer), CancellationToken.None);
            }
        }
    }

    private async Task RunSessionAsync(long id, Socket client, EndPoint? remote, InetValue peer)
    {
        try
        {
            client.NoDelay = true;
            Stream stream = new NetworkStream(client, ownsSocket: true);
            if (_tls is not null)
            {
                System.Net.Security.SslStream? secured = await _tls.AuthenticateAsync(stream, remote, _name, _stop.Token);
                if (secured is null)
                {
                    return;
                }

                stream = secured;
            }

            var session = new RelpSession(stream, remote, peer, _spool, _options, _metrics, _timeProvider, _logger, _stop.Token, _abort.Token)
            {
                DetectTls = _tls is null,
            };
            StreamEnd end = await session.RunAsync();
            if (end == StreamEnd.TlsOnPlainPort)
            {
                _metrics.ConnectionRejected(_name, MisdirectedTls.Reason);
                _misdirected.Report(peer, remote, "Listeners:Relp", "Listeners:RelpTls");
            }
            else if (end == StreamEnd.BufferLimit)
            {
                _metrics.ConnectionRejected(_name, StreamEndReasons.BufferLimit);
            }
        }
        finally
        {
            _admission.Release(peer);
            lock (_sessions)
            {
                _sessions.Remove(id);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Listening for {Protocol} on tcp://{EndPoint}")]
    private partial void LogListening(string protocol, IPEndPoint endPoint);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Refusing RELP session from {Remote}: {Reason}")]
    private partial void LogRefused(EndPoint? remote, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "RELP accept failed: {Error}")]
    private partial void LogAcceptError(SocketError error);
}
