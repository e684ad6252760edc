using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using XraySyslogSink.Spool;
using XraySyslogSink.Telemetry;

namespace XraySyslogSink.Listeners.Relp;

/// <summary>
/// Accepts RELP sessions (rsyslog's <c>omrelp</c>) and runs a <see cref="RelpSession"/> for each. Stopping ends
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
    private readonly CancellationTokenSource _stop = new();
    private readonly CancellationTokenSource _abort = new();
    private readonly Dictionary<long, Task> _sessions = [];
    private long _nextSessionId;
    private int _stopped;
    private Task _acceptLoop = Task.CompletedTask;

    public RelpListener(IPEndPoint endPoint, ListenerOptions options, IMessageSpool spool, SinkMetrics metrics, TimeProvider timeProvider, ILogger logger)
    {
        _options = options;
        _spool = spool;
        _metrics = metrics;
        _timeProvider = timeProvider;
        _logger = logger;
        _socket = ListenSocket.Bind(endPoint, backlog: 512);

        LocalEndPoint = (IPEndPoint)_socket.LocalEndPoint!;
        LogListening(LocalEndPoint);
    }

    public IPEndPoint LocalEndPoint { get; }

    public int SessionCount
    {
        get
        {
            lock (_sessions)
            {
                return _sessions.Count;
            }
        }
    }

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

            if (SessionCount >= _options.MaxConnections)
            {
                _metrics.RelpSessionRefused();
                LogTooManySessions(client.RemoteEndPoint, _options.MaxConnections);
                client.Dispose();
                continue;
            }

            long id = Interlocked.Increment(ref _nextSessionId);
            var session = new RelpSession(client, _spool, _options, _metrics, _timeProvider, _logger, _stop.Token, _abort.Token);
            lock (_sessions)
            {
                _sessions[id] = Task.Run(() => RunSessionAsync(id, session), CancellationToken.None);
            }
        }
    }

    private async Task RunSessionAsync(long id, RelpSession session)
    {
        try
        {
            await session.RunAsync();
        }
        finally
        {
            lock (_sessions)
            {
                _sessions.Remove(id);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Listening for RELP on tcp://{EndPoint}")]
    private partial void LogListening(IPEndPoint endPoint);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refusing RELP session from {Remote}: already {Limit} sessions (Listeners:MaxConnections)")]
    private partial void LogTooManySessions(EndPoint? remote, int limit);

    [LoggerMessage(Level = LogLevel.Warning, Message = "RELP accept failed: {Error}")]
    private partial void LogAcceptError(SocketError error);
}
