using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using XraySyslogSink.Core;
using XraySyslogSink.Listeners.Security;
using XraySyslogSink.Spool;
using XraySyslogSink.Syslog;
using XraySyslogSink.Telemetry;

namespace XraySyslogSink.Listeners;

/// <summary>
/// Receives syslog over TCP, or over TLS (RFC 5425) when given a <see cref="TlsAuthenticator"/>. Each connection is
/// admitted by a <see cref="ConnectionAdmission"/> (allow list, total and per-source limits), reads through its own
/// <see cref="PipeReader"/> (over the <see cref="System.Net.Security.SslStream"/> for TLS), frames with a
/// <see cref="SyslogFrameDecoder"/> and appends to the spool, waiting while it is full, so a long database outage
/// slows the senders (TCP backpressure) instead of losing lines. On the plain port a TLS ClientHello is recognised,
/// reported once per address and the connection closed.
/// </summary>
internal sealed partial class TcpSyslogListener : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly ListenerOptions _options;
    private readonly IMessageSpool _spool;
    private readonly SinkMetrics _metrics;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly TlsAuthenticator? _tls;
    private readonly ConnectionAdmission _admission;
    private readonly MisdirectedTls _misdirected;
    private readonly Transport _transport;
    private readonly string _name;
    private readonly CancellationTokenSource _stop = new();
    private int _disposed;
    private readonly Dictionary<long, Task> _connections = [];
    private long _nextConnectionId;
    private Task _acceptLoop = Task.CompletedTask;

    public TcpSyslogListener(IPEndPoint endPoint, ListenerOptions options, TlsAuthenticator? tls, SourceFilter sources, IMessageSpool spool, SinkMetrics metrics, TimeProvider timeProvider, ILogger logger)
    {
        _tls = tls;
        _transport = tls is null ? Transport.Tcp : Transport.Tls;
        _name = _transport.Name();
        _admission = new ConnectionAdmission(sources, tls is null ? ListenerKind.Tcp : ListenerKind.Tls, options);
        _misdirected = new MisdirectedTls(logger);
        _options = options;
        _spool = spool;
        _metrics = metrics;
        _timeProvider = timeProvider;
        _logger = logger;
        _socket = ListenSocket.Bind(endPoint, backlog: 512);

        LocalEndPoint = (IPEndPoint)_socket.LocalEndPoint!;
        LogListening(_name, LocalEndPoint);
    }

    public IPEndPoint LocalEndPoint { get; }

    public int ConnectionCount => _admission.Total;

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

            EndPoint? remote = client.RemoteEndPoint;
            InetValue peer = PeerOf(remote);
            string? refusal = _admission.TryAdmit(peer);
            if (refusal is not null)
            {
                _metrics.ConnectionRejected(_name, refusal);
                LogRefused(remote, refusal);
                client.Dispose();
                continue;
            }

            _metrics.ConnectionAccepted(_name);
            long id = Interlocked.Increment(ref _nextConnectionId);
            lock (_connections)
            {
                _connections[id] = Task.Run(() => ServeAsync(id, client, remote, peer), CancellationToken.None);
            }
        }
    }

    /// <summary>The peer address as stored with each message (IPv4-mapped IPv6 unmapped), or none.</summary>
    internal static InetValue PeerOf(EndPoint? remote) =>
        remote is IPEndPoint ip ? InetValue.FromIPAddress(ip.Address.IsIPv4MappedToIPv6 ? ip.Address.MapToIPv4() : ip.Address) : default;

    private async Task ServeAsync(long id, Socket client, EndPoint? remote, InetValue peer)
    {
        client.NoDelay = true;
        Stream stream = new NetworkStream(client, ownsSocket: true);
        PipeReader? reader = null;
        var decoder = new SyslogFrameDecoder(_options.MaxMessageSize, _options.MaxOctetCount);
        using var idle = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
        try
        {
            LogConnected(remote);
            if (_tls is not null)
            {
                System.Net.Security.SslStream? secured = await _tls.AuthenticateAsync(stream, remote, _name, _stop.Token);
                if (secured is null)
                {
                    return;
                }

                stream = secured;
            }

            reader = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 64 * 1024, minimumReadSize: 16 * 1024));
            StreamEnd end = await ReadFramesAsync(reader, decoder, peer, idle);
            if (end == StreamEnd.TlsOnPlainPort)
            {
                _metrics.ConnectionRejected(_name, MisdirectedTls.Reason);
                _misdirected.Report(peer, remote, "Listeners:Tcp", "Listeners:Tls");
            }
            else if (end == StreamEnd.BufferLimit)
            {
                _metrics.ConnectionRejected(_name, StreamEndReasons.BufferLimit);
                LogBufferLimit(remote, _options.MaxBufferedBytesPerConnection);
            }
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
            _metrics.ConnectionRejected(_name, "framing_error");
            LogFramingError(remote, ex.Message);
        }
        catch (ChannelClosedException)
        {
            // Shutting down: the message queue is complete.
        }
        finally
        {
            if (reader is not null)
            {
                await reader.CompleteAsync();
            }

            await stream.DisposeAsync();
            _admission.Release(peer);
            LogDisconnected(remote);
            lock (_connections)
            {
                _connections.Remove(id);
            }
        }
    }

    private async Task<StreamEnd> ReadFramesAsync(PipeReader reader, SyslogFrameDecoder decoder, InetValue peer, CancellationTokenSource idle)
    {
        bool firstBytes = _tls is null;
        while (true)
        {
            idle.CancelAfter(_options.IdleTimeout);
            ReadResult read = await reader.ReadAsync(idle.Token);
            ReadOnlySequence<byte> buffer = read.Buffer;
            StreamStart start = MisdirectedTls.Gate(reader, read, ref firstBytes);
            if (start != StreamStart.Plain)
            {
                if (start == StreamStart.Tls)
                {
                    return StreamEnd.TlsOnPlainPort;
                }

                continue;
            }

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
                        _metrics.MessageOversize(_transport);
                        continue;
                    }

                    if (status == FrameStatus.ProtocolError)
                    {
                        throw new ProtocolViolationException("the octet count is larger than Listeners:MaxOctetCount or not a number");
                    }

                    messages++;
                    bytes += frame.Length;
                    var message = ReceivedMessage.Copy(frame, peer, _transport, receivedAt);
                    // Backpressure: while the spool is full this waits, and the connection is not read.
                    await _spool.AppendAsync(message, _stop.Token);
                }
            }
            finally
            {
                if (messages > 0)
                {
                    _metrics.MessagesReceived(_transport, messages, bytes);
                }

                reader.AdvanceTo(buffer.Start, buffer.End);
            }

            if (read.IsCompleted)
            {
                if (decoder.EndedInsideFrame)
                {
                    _metrics.MessageIncomplete(_transport);
                }

                return StreamEnd.Closed;
            }

            if (buffer.Length > _options.MaxBufferedBytesPerConnection)
            {
                return StreamEnd.BufferLimit;
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Listening for syslog on {Scheme}://{EndPoint}")]
    private partial void LogListening(string scheme, IPEndPoint endPoint);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Refusing connection from {Remote}: {Reason}")]
    private partial void LogRefused(EndPoint? remote, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Closing connection from {Remote}: more than {Limit} bytes buffered (Listeners:MaxBufferedBytesPerConnection)")]
    private partial void LogBufferLimit(EndPoint? remote, int limit);

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

    [LoggerMessage(Level = LogLevel.Warning, Message = "Accept failed: {Error}")]
    private partial void LogAcceptError(SocketError error);
}
