using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using XraySyslogSink.Core;
using XraySyslogSink.Listeners.Security;
using XraySyslogSink.Nodes;
using XraySyslogSink.Spool;
using XraySyslogSink.Telemetry;

namespace XraySyslogSink.Listeners;

/// <summary>
/// Receives syslog over UDP: one datagram is one message. <c>Listeners:UdpReceivers</c> sockets share the port
/// (<see cref="UdpSocketGroup"/>), each read by its own thread with blocking receives: no async machinery or thread
/// pool hop per datagram, and several datagrams per system call where the system allows (<see cref="UdpBatchReceiver"/>). A loop never waits for the pipeline: when the spool is full the datagram is dropped and
/// counted, because a UDP sender cannot be slowed down and a stalled loop would only move the loss into the kernel,
/// uncounted. Messages of one sender keep their order (the kernel sends a sender to one socket); messages of
/// different senders may interleave differently from their arrival.
/// </summary>
internal sealed partial class UdpSyslogListener : IListener
{
    private const string SourceNotAllowed = ConnectionAdmission.SourceNotAllowed;
    private const string SpoolFull = "spool_full";

    // How long a receive blocks before its loop reports its counts and looks whether it should stop.
    private const int IdleWakeMilliseconds = 100;

    /// <summary>The receive threads are named this and their index.</summary>
    internal const string ThreadNamePrefix = "udp-receive-";

    private readonly Socket[] _sockets;
    private readonly UdpReceiveTally[] _tallies;
    private readonly IMessageSpool _spool;
    private readonly SinkMetrics _metrics;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly int _maxMessageSize;
    private readonly SourceFilter _sources;
    private volatile bool _stopping;
    private int _disposed;
    private Task[] _loops = [];

    public UdpSyslogListener(IPEndPoint endPoint, ListenerOptions options, SourceFilter sources, IMessageSpool spool, SinkMetrics metrics, TimeProvider timeProvider, ILogger logger)
    {
        _sources = sources;
        _spool = spool;
        _metrics = metrics;
        _timeProvider = timeProvider;
        _logger = logger;
        _maxMessageSize = options.MaxMessageSize;
        _sockets = UdpSocketGroup.Bind(endPoint, options.EffectiveUdpReceivers, options.UdpReceiveBufferSize);
        _tallies = new UdpReceiveTally[_sockets.Length];
        for (int i = 0; i < _sockets.Length; i++)
        {
            _sockets[i].ReceiveTimeout = IdleWakeMilliseconds;
            _tallies[i] = new UdpReceiveTally(metrics, SourceNotAllowed, SpoolFull);
            _metrics.KernelDrops.Track(_sockets[i]);
        }

        LocalEndPoint = (IPEndPoint)_sockets[0].LocalEndPoint!;
        _metrics.DeclareUdpDropReason(SourceNotAllowed);
        _metrics.DeclareUdpDropReason(SpoolFull);

        // Linux reports double the usable size; halve it so the log matches what was asked for.
        int granted = _sockets[0].ReceiveBufferSize / 2;
        LogListening(LocalEndPoint, _sockets.Length, granted);
        if (granted < options.UdpReceiveBufferSize)
        {
            LogSmallReceiveBuffer(granted, options.UdpReceiveBufferSize);
        }
    }

    public ListenerKind Kind => ListenerKind.Udp;

    public IPEndPoint LocalEndPoint { get; }

    /// <summary>Names the node of each datagram at accept time (<c>Nodes:Networks</c>).</summary>
    internal NodeIdentityResolver Nodes { get; init; } = NodeIdentityResolver.None;

    /// <summary>Datagrams from allowed sources each receive socket has taken and reported so far, in socket order.</summary>
    internal IReadOnlyList<long> DatagramsPerSocket => [.. _tallies.Select(tally => tally.Reported)];

    public void Start()
    {
        var loops = new Task[_sockets.Length];
        for (int i = 0; i < loops.Length; i++)
        {
            Socket socket = _sockets[i];
            UdpReceiveTally tally = _tallies[i];
            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            loops[i] = done.Task;

            // A thread of its own with a name (the system's thread name, 15 bytes at most), so that a profiler, top -H
            // or scripts/bench.sh can tell the receive threads' CPU from the pipeline's.
            var thread = new Thread(() => RunReceiveLoop(socket, tally, done)) { IsBackground = true, Name = $"{ThreadNamePrefix}{i}" };
            thread.Start();
        }

        _loops = loops;
    }

    /// <summary>A datagram is taken whole or not at all: nothing to finish, so stopping is disposing.</summary>
    public Task StopAsync(CancellationToken cancellationToken) => DisposeAsync().AsTask();

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        // Each loop sees the flag within the idle wake; shutting the receive side down wakes it at once.
        _stopping = true;
        foreach (Socket socket in _sockets)
        {
            try
            {
                socket.Shutdown(SocketShutdown.Receive);
            }
            catch (SocketException)
            {
                // Linux answers "not connected" for an unconnected UDP socket, yet wakes its readers.
            }
        }

        await Task.WhenAll(_loops);
        foreach (Socket socket in _sockets)
        {
            _metrics.KernelDrops.Untrack(socket);
            socket.Dispose();
        }
    }

    private void RunReceiveLoop(Socket socket, UdpReceiveTally tally, TaskCompletionSource done)
    {
        try
        {
            ReceiveLoop(socket, tally);
            done.SetResult();
        }
        catch (Exception ex)
        {
            done.SetException(ex);
        }
    }

    private void ReceiveLoop(Socket socket, UdpReceiveTally tally)
    {
        // A slot one byte larger than the largest message accepted: a datagram that fills it is oversize.
        var receiver = new UdpBatchReceiver(_maxMessageSize + 1, socket.AddressFamily);
        var accepted = new MessageSlice[receiver.Capacity];
        while (!_stopping)
        {
            int count;
            try
            {
                count = receiver.Receive(socket);
            }
            catch (Exception ex) when (_stopping && ex is SocketException or ObjectDisposedException)
            {
                break;
            }
            catch (SocketException ex)
            {
                // ICMP errors and similar surface here on some kernels; the socket itself is still good.
                LogReceiveError(ex.SocketErrorCode);
                continue;
            }

            if (count == 0)
            {
                tally.Report();
                continue;
            }

            // One receipt time for the datagrams one call took: they reached the process together.
            DateTimeOffset receivedAt = _timeProvider.GetUtcNow();
            int taken = 0;
            for (int i = 0; i < count; i++)
            {
                InetValue peer = receiver.Peer(i);
                if (TryAccept(receiver.Datagram(i), receiver.Length(i), peer, tally, out int length))
                {
                    NodeIdentity node = Nodes.HasNoNetworks ? default : Nodes.ForPeer(peer);
                    accepted[taken++] = new MessageSlice(receiver.SlotOffset(i), length, new MessageOrigin(peer, Transport.Udp, receivedAt, node));
                }
            }

            // The spool copies each datagram from its receive slot straight into its record, the whole batch under one
            // acquisition of the spool's lock.
            if (taken > 0)
            {
                tally.SpoolFull(taken - _spool.TryAppend(receiver.Slots, accepted.AsSpan(0, taken)));
            }
        }

        tally.Report();
    }

    /// <summary>
    /// Whether the datagram is to be spooled: from an allowed source, not oversize, not empty once its trailer is
    /// trimmed (<paramref name="length"/>: the bytes to keep, from the slot's start). Counts what it turns away.
    /// </summary>
    private bool TryAccept(ReadOnlySpan<byte> received, int receivedLength, InetValue peer, UdpReceiveTally tally, out int length)
    {
        length = 0;
        if (!_sources.For(ListenerKind.Udp).Allows(peer))
        {
            tally.NotAllowed();
            return false;
        }

        tally.Received(receivedLength);
        if (receivedLength > _maxMessageSize)
        {
            _metrics.MessageOversize(Transport.Udp);
            return false;
        }

        length = TrimTrailer(received).Length;
        return length > 0;
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

    [LoggerMessage(Level = LogLevel.Information, Message = "Listening for syslog on udp://{EndPoint} ({Receivers} receive sockets, receive buffer {Granted} bytes each)")]
    private partial void LogListening(IPEndPoint endPoint, int receivers, int granted);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The kernel granted a UDP receive buffer of {Granted} bytes, less than the {Requested} asked for; raise net.core.rmem_max to avoid kernel drops in bursts")]
    private partial void LogSmallReceiveBuffer(int granted, int requested);

    [LoggerMessage(Level = LogLevel.Debug, Message = "UDP receive error {Error}")]
    private partial void LogReceiveError(SocketError error);
}
