using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using XraySyslogSink.Core;
using XraySyslogSink.Listeners.Security;
using XraySyslogSink.Spool;
using XraySyslogSink.Telemetry;

namespace XraySyslogSink.Listeners;

/// <summary>
/// Receives syslog over UDP: one datagram is one message. The receive loop never waits for the pipeline:
/// when the spool is full the datagram is dropped and counted, because a UDP sender cannot be
/// slowed down and a stalled loop would only move the loss into the kernel, uncounted.
/// </summary>
internal sealed partial class UdpSyslogListener : IListener
{
    // The largest UDP payload; receiving into a buffer this size lets oversize datagrams be recognised.
    private const int MaxDatagramSize = 65_535;
    private const string SourceNotAllowed = ConnectionAdmission.SourceNotAllowed;
    private const string SpoolFull = "spool_full";

    private readonly Socket _socket;
    private readonly IMessageSpool _spool;
    private readonly SinkMetrics _metrics;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly int _maxMessageSize;
    private readonly SourceFilter _sources;
    private readonly CancellationTokenSource _stop = new();
    private int _disposed;
    private Task _loop = Task.CompletedTask;

    public UdpSyslogListener(IPEndPoint endPoint, ListenerOptions options, SourceFilter sources, IMessageSpool spool, SinkMetrics metrics, TimeProvider timeProvider, ILogger logger)
    {
        _sources = sources;
        _spool = spool;
        _metrics = metrics;
        _timeProvider = timeProvider;
        _logger = logger;
        _maxMessageSize = options.MaxMessageSize;
        _socket = new Socket(endPoint.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            if (endPoint.AddressFamily == AddressFamily.InterNetworkV6)
            {
                _socket.DualMode = true;
            }

            SetReceiveBuffer(_socket, options.UdpReceiveBufferSize);
            _socket.Bind(endPoint);
        }
        catch
        {
            _socket.Dispose();
            throw;
        }

        LocalEndPoint = (IPEndPoint)_socket.LocalEndPoint!;
        _metrics.KernelDrops.Track(_socket);
        _metrics.DeclareUdpDropReason(SourceNotAllowed);
        _metrics.DeclareUdpDropReason(SpoolFull);

        // Linux reports double the usable size; halve it so the log matches what was asked for.
        int granted = _socket.ReceiveBufferSize / 2;
        LogListening(LocalEndPoint, granted);
        if (granted < options.UdpReceiveBufferSize)
        {
            LogSmallReceiveBuffer(granted, options.UdpReceiveBufferSize);
        }
    }

    public ListenerKind Kind => ListenerKind.Udp;

    public IPEndPoint LocalEndPoint { get; }

    public void Start() => _loop = Task.Run(ReceiveLoopAsync, CancellationToken.None);

    /// <summary>A datagram is taken whole or not at all: nothing to finish, so stopping is disposing.</summary>
    public Task StopAsync(CancellationToken cancellationToken) => DisposeAsync().AsTask();

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        await _stop.CancelAsync();
        _metrics.KernelDrops.Untrack(_socket);
        _socket.Close();
        try
        {
            await _loop;
        }
        catch (OperationCanceledException)
        {
        }

        _socket.Dispose();
        _stop.Dispose();
    }

    private async Task ReceiveLoopAsync()
    {
        byte[] buffer = GC.AllocateUninitializedArray<byte>(MaxDatagramSize, pinned: true);
        var peerAddress = new SocketAddress(_socket.AddressFamily);
        CancellationToken stop = _stop.Token;
        while (!stop.IsCancellationRequested)
        {
            int received;
            try
            {
                received = await _socket.ReceiveFromAsync(buffer, SocketFlags.None, peerAddress, stop);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (ObjectDisposedException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (SocketException ex) when (!stop.IsCancellationRequested)
            {
                // ICMP errors and similar surface here on some kernels; the socket itself is still good.
                LogReceiveError(ex.SocketErrorCode);
                continue;
            }

            InetValue peer = PeerOf(peerAddress);
            if (!_sources.For(ListenerKind.Udp).Allows(peer))
            {
                _metrics.UdpDropped(SourceNotAllowed);
                continue;
            }

            _metrics.MessagesReceived(Transport.Udp, 1, received);
            if (received > _maxMessageSize)
            {
                _metrics.MessageOversize(Transport.Udp);
                continue;
            }

            ReadOnlySpan<byte> datagram = TrimTrailer(buffer.AsSpan(0, received));
            if (datagram.IsEmpty)
            {
                continue;
            }

            var message = ReceivedMessage.Copy(datagram, peer, Transport.Udp, _timeProvider.GetUtcNow());
            if (!_spool.TryAppend(message, out _))
            {
                _metrics.UdpDropped(SpoolFull);
            }
        }
    }

    /// <summary>
    /// Asks for the buffer with SO_RCVBUFFORCE first, which passes net.core.rmem_max when the daemon has
    /// CAP_NET_ADMIN; otherwise the plain request, which the kernel caps.
    /// </summary>
    private static void SetReceiveBuffer(Socket socket, int bytes)
    {
        const int SolSocket = 1;
        const int SoRcvBufForce = 33;
        if (OperatingSystem.IsLinux())
        {
            try
            {
                Span<byte> value = stackalloc byte[sizeof(int)];
                BinaryPrimitives.WriteInt32LittleEndian(value, bytes);
                socket.SetRawSocketOption(SolSocket, SoRcvBufForce, value);
                return;
            }
            catch (SocketException)
            {
                // No CAP_NET_ADMIN: fall back to the capped request below.
            }
        }

        socket.ReceiveBufferSize = bytes;
    }

    /// <summary>Some senders end datagrams with LF or NUL; it is framing, not content.</summary>
    private static ReadOnlySpan<byte> TrimTrailer(ReadOnlySpan<byte> datagram)
    {
        int end = datagram.Length;
        while (end > 0 && (datagram[end - 1] == (byte)'\n' || datagram[end - 1] == (byte)'\r' || datagram[end - 1] == 0))
        {
            end--;
        }

        return datagram[..end];
    }

    /// <summary>Reads the peer from the raw sockaddr without allocating an <see cref="IPEndPoint"/> per datagram.</summary>
    internal static InetValue PeerOf(SocketAddress address)
    {
        ReadOnlySpan<byte> raw = address.Buffer.Span;
        if (address.Family == AddressFamily.InterNetwork)
        {
            return InetValue.FromIPv4(BinaryPrimitives.ReadUInt32BigEndian(raw.Slice(4, 4)));
        }

        // sockaddr_in6: family(2) port(2) flowinfo(4) address(16) scope(4)
        ReadOnlySpan<byte> v6 = raw.Slice(8, 16);
        ulong high = BinaryPrimitives.ReadUInt64BigEndian(v6);
        ulong low = BinaryPrimitives.ReadUInt64BigEndian(v6[8..]);
        return high == 0 && (low >> 32) == 0xFFFF
            ? InetValue.FromIPv4((uint)low)
            : InetValue.FromIPv6(high, low);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Listening for syslog on udp://{EndPoint} (receive buffer {Granted} bytes)")]
    private partial void LogListening(IPEndPoint endPoint, int granted);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The kernel granted a UDP receive buffer of {Granted} bytes, less than the {Requested} asked for; raise net.core.rmem_max to avoid kernel drops in bursts")]
    private partial void LogSmallReceiveBuffer(int granted, int requested);

    [LoggerMessage(Level = LogLevel.Debug, Message = "UDP receive error {Error}")]
    private partial void LogReceiveError(SocketError error);
}
