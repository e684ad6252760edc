using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using XraySyslogSink.Listeners;
using XraySyslogSink.Listeners.Security;
using XraySyslogSink.Telemetry;

namespace XraySyslogSink.Tests.Listeners;

/// <summary>The UDP listener's receive sockets on 127.0.0.1 with an in-memory spool; counts bounded, waits bounded.</summary>
public sealed class UdpSyslogListenerTests : IAsyncDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    private readonly RecordingSpool _spool = new();
    private readonly SinkMetrics _metrics = new();
    private readonly List<UdpSyslogListener> _listeners = [];

    [Fact]
    public async Task Several_receive_sockets_share_the_port_and_take_every_datagram_of_many_senders()
    {
        UdpSyslogListener listener = Start(new ListenerOptions { UdpReceivers = 4 });
        Assert.Equal(4, listener.DatagramsPerSocket.Count);
        Assert.Equal(4, _metrics.KernelDrops.Tracked);

        // 16 senders (16 source ports the kernel spreads over the sockets), 10 waves of one datagram each: every
        // wave is awaited before the next, so no receive buffer can overflow and the count must be exact.
        const int Senders = 16;
        const int Waves = 10;
        Socket[] senders = [.. Enumerable.Range(0, Senders).Select(_ => Sender(listener.LocalEndPoint))];
        try
        {
            var sent = new HashSet<string>(StringComparer.Ordinal);
            for (int wave = 0; wave < Waves; wave++)
            {
                for (int s = 0; s < Senders; s++)
                {
                    string text = $"<14>wave {wave} sender {s}";
                    senders[s].Send(Encoding.ASCII.GetBytes(text));
                    sent.Add(text);
                }

                Assert.True(await EventuallyAsync(() => _spool.Messages.Count >= sent.Count), $"{_spool.Messages.Count} of {sent.Count} after wave {wave}");
            }

            Assert.Equal(sent.Order(StringComparer.Ordinal), _spool.Messages.Select(m => m.Text).Order(StringComparer.Ordinal));
            Assert.True(await EventuallyAsync(() => listener.DatagramsPerSocket.Sum() == Senders * Waves));
            Assert.True(listener.DatagramsPerSocket.Count(n => n > 0) >= 2, $"per socket: {string.Join(", ", listener.DatagramsPerSocket)}");
            Assert.Equal(Senders * Waves, _metrics.TotalMessages);
        }
        finally
        {
            foreach (Socket sender in senders)
            {
                sender.Dispose();
            }
        }
    }

    [Fact]
    public async Task One_sender_lands_on_one_socket_and_keeps_its_order()
    {
        UdpSyslogListener listener = Start(new ListenerOptions { UdpReceivers = 3 });
        using Socket sender = Sender(listener.LocalEndPoint);
        string[] sent = [.. Enumerable.Range(0, 200).Select(i => $"<14>line {i:D3}")];
        for (int i = 0; i < sent.Length; i++)
        {
            sender.Send(Encoding.ASCII.GetBytes(sent[i]));
            if (i % 50 == 49)
            {
                int expected = i + 1;
                Assert.True(await EventuallyAsync(() => _spool.Messages.Count >= expected));
            }
        }

        Assert.Equal(sent, _spool.Messages.Select(m => m.Text));
        Assert.True(await EventuallyAsync(() => listener.DatagramsPerSocket.Sum() == sent.Length));
        Assert.Equal(1, listener.DatagramsPerSocket.Count(n => n > 0));
    }

    [Fact]
    public async Task Datagrams_a_full_spool_refuses_are_counted_as_dropped_and_the_others_kept()
    {
        var spool = RecordingSpool.Holding(3);
        UdpSyslogListener listener = Start(new ListenerOptions { UdpReceivers = 1 }, spool: spool);
        using Socket sender = Sender(listener.LocalEndPoint);
        for (int i = 0; i < 8; i++)
        {
            sender.Send(Encoding.ASCII.GetBytes($"<14>line {i}"));
        }

        Assert.True(await EventuallyAsync(() => _metrics.TotalUdpDropped == 5), $"{_metrics.TotalUdpDropped} dropped");
        Assert.Equal(["<14>line 0", "<14>line 1", "<14>line 2"], spool.Messages.Select(m => m.Text));
        Assert.Equal(8, _metrics.TotalMessages);
    }

    [Fact]
    public void A_second_listener_on_the_port_is_refused_rather_than_sharing_the_senders()
    {
        UdpSyslogListener first = Start(new ListenerOptions { UdpReceivers = 2 });

        // SO_REUSEPORT would let it join (same user, same option): the group's own check refuses it.
        SocketException error = Assert.Throws<SocketException>(() => Start(new ListenerOptions { UdpReceivers = 2 }, first.LocalEndPoint));
        Assert.Equal(SocketError.AddressAlreadyInUse, error.SocketErrorCode);

        // A single socket without SO_REUSEPORT is refused by the kernel itself.
        SocketException single = Assert.Throws<SocketException>(() => Start(new ListenerOptions { UdpReceivers = 1 }, first.LocalEndPoint));
        Assert.Equal(SocketError.AddressAlreadyInUse, single.SocketErrorCode);
        Assert.Equal(2, _metrics.KernelDrops.Tracked);
    }

    [Fact]
    public async Task Stopping_ends_every_receive_loop_and_untracks_the_sockets_promptly()
    {
        UdpSyslogListener listener = Start(new ListenerOptions { UdpReceivers = 4 });
        Task stopped = listener.StopAsync(CancellationToken.None);

        Assert.Same(stopped, await Task.WhenAny(stopped, Task.Delay(Patience)));
        await stopped;
        Assert.Equal(0, _metrics.KernelDrops.Tracked);
    }

    [Theory]
    [InlineData(0, 2, 2)]
    [InlineData(0, 1, 1)]
    [InlineData(0, 64, ListenerOptions.MaxAutoUdpReceivers)]
    [InlineData(6, 2, 6)]
    public void Zero_receivers_means_one_per_core_up_to_the_automatic_maximum(int configured, int cores, int expected)
    {
        Assert.Equal(expected, ListenerOptions.UdpReceiversFor(configured, cores));
    }

    public async ValueTask DisposeAsync()
    {
        foreach (UdpSyslogListener listener in _listeners)
        {
            await listener.DisposeAsync();
        }

        _metrics.Dispose();
    }

    private UdpSyslogListener Start(ListenerOptions options, IPEndPoint? endPoint = null, RecordingSpool? spool = null)
    {
        var listener = new UdpSyslogListener(endPoint ?? new IPEndPoint(IPAddress.Loopback, 0), options, new SourceFilter(options, NullLogger.Instance), spool ?? _spool, _metrics, TimeProvider.System, NullLogger.Instance);
        _listeners.Add(listener);
        listener.Start();
        return listener;
    }

    private static Socket Sender(IPEndPoint target)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Connect(target);
        return socket;
    }

    private static Task<bool> EventuallyAsync(Func<bool> condition) => Eventually.TrueAsync(condition, Patience);
}
