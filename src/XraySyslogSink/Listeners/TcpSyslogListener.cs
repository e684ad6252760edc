using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using XraySyslogSink.Pipeline;
using XraySyslogSink.Spool;
using XraySyslogSink.Syslog;
using XraySyslogSink.Telemetry;

namespace XraySyslogSink.Listeners;

/// <summary>
/// Receives syslog over TCP. Each connection reads through its own <see cref="PipeReader"/>, frames with a
/// <see cref="SyslogFrameDecoder"/> and appends to the spool, waiting while it is full, so a long database outage
/// slows the senders (TCP backpressure) instead of losing lines.
/// </summary>
internal sealed partial class TcpSyslogListener : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly ListenerOptions _options;
    private readonly IMessageSpool _spool;
    private readonly SinkMetrics _metrics;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private int _disposed;
    private readonly Dictionary<long, Task> _connections = [];
    private long _nextConnectionId;
    private Task _acceptLoop = Task.CompletedTask;

    public TcpSyslogListener(IPEndPoint endPoint, ListenerOptions options, IMessageSpool spool, SinkMetrics metrics, TimeProvider timeProvider, ILogger logger)
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

    public int ConnectionCount
    {
        get
        {
            lock (_connections)
            {
                return _connections.Count;
            }
        }
    }

    public void Start() => _acceptLoop = Task.Run(AcceptLoopAsync, CancellationToken.None);

    /// <summary>Stops accepting, ends every connection after what it has already framed, and waits for them.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        await _stop.CancelAsync();
        _socket.Close();
        await _acceptLoop;
        Task[] open;
        lock (_connections)
        {
            open = [.. _connections.Values];
        }

        await Task.WhenAll(open);
        _socket.Dispose();
        _stop.Dispose();
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

            if (ConnectionCount >= _options.MaxConnections)
            {
                _metrics.ConnectionRejected("too_many_connections");
                LogTooManyConnections(client.RemoteEndPoint, _options.MaxConnections);
                client.Dispose();
                continue;
            }

            _metrics.ConnectionAccepted();
            long id = Interlocked.Increment(ref _nextConnectionId);
            lock (_connections)
            {
                _connections[id] = Task.Run(() => ServeAsync(id, client), CancellationToken.None);
            }
        }
    }

    private async Task ServeAsync(long id, Socket client)
    {
        EndPoint? remote = client.RemoteEndPoint;
        InetValue peer = remote is IPEndPoint ip ? InetValue.FromIPAddress(ip.Address.IsIPv4MappedToIPv6 ? ip.Address.MapToIPv4() : ip.Address) : default;
        client.NoDelay = true;
        var stream = new NetworkStream(client, ownsSocket: true);
        PipeReader reader = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 64 * 1024, minimumReadSize: 16 * 1024));
        var decoder = new SyslogFrameDecoder(_options.MaxMessageSize, _options.MaxOctetCount);
        using var idle = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
        try
        {
            LogConnected(remote);
            await ReadFramesAsync(reader, decoder, peer, idle);
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
        catch (OperationCanceledException)
        {
            LogIdleTimeout(remote, _options.IdleTimeout);
        }
        catch (IOException ex)
        {
            LogConnectionError(remote, ex.Message);
        }
        catch (ProtocolViolationException ex)
        {
            _metrics.ConnectionRejected("framing_error");
            LogFramingError(remote, ex.Message);
        }
        catch (ChannelClosedException)
        {
            // Shutting down: the message queue is complete.
        }
        finally
        {
            await reader.CompleteAsync();
            await stream.DisposeAsync();
            LogDisconnected(remote);
            lock (_connections)
            {
                _connections.Remove(id);
            }
        }
    }

    private async Task ReadFramesAsync(PipeReader reader, SyslogFrameDecoder decoder, InetValue peer, CancellationTokenSource idle)
    {
        while (true)
        {
            idle.CancelAfter(_options.IdleTimeout);
            ReadResult read = await reader.ReadAsync(idle.Token);
            ReadOnlySequence<byte> buffer = read.Buffer;
            long messages = 0;
            long bytes = 0;
            DateTimeOffset receivedAt = _timeProvider.GetUtcNow();
            try
            {
                bool final = false;
                while (true)
                {
                    FrameStatus status = decoder.TryReadFrame(ref buffer, out ReadOnlySequence<byte> frame);
                    if (status == FrameStatus.NeedMoreData && read.IsCompleted && !final)
                    {
                        // The sender closed: an unterminated last line is still a message.
                        final = true;
                        status = decoder.TryReadFinalFrame(ref buffer, out frame);
                    }

                    if (status == FrameStatus.NeedMoreData)
                    {
                        break;
                    }

                    if (status == FrameStatus.Oversize)
                    {
                        _metrics.MessageOversize(Transport.Tcp);
                        continue;
                    }

                    if (status == FrameStatus.ProtocolError)
                    {
                        throw new ProtocolViolationException("the octet count is larger than Listeners:MaxOctetCount or not a number");
                    }

                    messages++;
                    bytes += frame.Length;
                    var message = ReceivedMessage.Copy(frame, peer, Transport.Tcp, receivedAt);
                    // Backpressure: while the spool is full this waits, and the connection is not read.
                    await _spool.AppendAsync(message, _stop.Token);
                }
            }
            finally
            {
                if (messages > 0)
                {
                    _metrics.MessagesReceived(Transport.Tcp, messages, bytes);
                }

                reader.AdvanceTo(buffer.Start, buffer.End);
            }

            if (read.IsCompleted)
            {
                if (decoder.EndedInsideFrame)
                {
                    _metrics.MessageIncomplete(Transport.Tcp);
                }

                return;
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Listening for syslog on tcp://{EndPoint}")]
    private partial void LogListening(IPEndPoint endPoint);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Connection from {Remote}")]
    private partial void LogConnected(EndPoint? remote);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Connection from {Remote} closed")]
    private partial void LogDisconnected(EndPoint? remote);

    [LoggerMessage(Level = LogLevel.Information, Message = "Connection from {Remote} idle for {Timeout}; closed")]
    private partial void LogIdleTimeout(EndPoint? remote, TimeSpan timeout);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Connection from {Remote} failed: {Error}")]
    private partial void LogConnectionError(EndPoint? remote, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Closing connection from {Remote}: {Error}")]
    private partial void LogFramingError(EndPoint? remote, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refusing connection from {Remote}: already {Limit} connections (Listeners:MaxConnections)")]
    private partial void LogTooManyConnections(EndPoint? remote, int limit);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Accept failed: {Error}")]
    private partial void LogAcceptError(SocketError error);
}
