using System.Net;
using System.Net.Sockets;
using System.Text;
using XraySyslogSink.Core;
using XraySyslogSink.Listeners;

namespace XraySyslogSink.Tests.Listeners;

/// <summary>Datagrams queued on a loopback socket, taken by the batch receiver with recvmmsg and with the one-per-call path.</summary>
public sealed class UdpBatchReceiverTests : IDisposable
{
    private readonly List<Socket> _sockets = [];

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Queued_datagrams_come_out_whole_in_order_with_their_sender(bool batched)
    {
        (Socket receiving, Socket sending) = Pair(IPAddress.Loopback);
        var receiver = new UdpBatchReceiver(1000, AddressFamily.InterNetwork, batched);
        int sent = receiver.Capacity + 5;
        for (int i = 0; i < sent; i++)
        {
            sending.Send(Encoding.ASCII.GetBytes($"<14>datagram {i}"));
        }

        var texts = new List<string>();
        var peers = new HashSet<InetValue>();
        int calls = 0;
        while (texts.Count < sent && calls < sent + 10)
        {
            int count = receiver.Receive(receiving);
            calls++;
            for (int i = 0; i < count; i++)
            {
                texts.Add(Encoding.ASCII.GetString(receiver.Datagram(i)));
                Assert.Equal(receiver.Datagram(i).Length, receiver.Length(i));
                peers.Add(receiver.Peer(i));
            }
        }

        Assert.Equal(Enumerable.Range(0, sent).Select(i => $"<14>datagram {i}"), texts);
        Assert.Equal([InetValue.FromIPAddress(IPAddress.Loopback)], peers);
        Assert.Equal(batched, receiver.Batched);

        // Batched, what was queued comes in full slots: the capacity first, then the rest in one more call.
        Assert.Equal(batched ? 2 : sent, calls);
    }

    [Fact]
    public void Recvmmsg_is_used_on_64_bit_Linux()
    {
        var receiver = new UdpBatchReceiver(8193, AddressFamily.InterNetwork);
        Assert.Equal(OperatingSystem.IsLinux() && Environment.Is64BitProcess, receiver.Batched);
        Assert.Equal(receiver.Batched ? UdpBatchReceiver.MaxBatch : 1, receiver.Capacity);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void An_IPv6_sender_is_read_from_its_address(bool batched)
    {
        (Socket receiving, Socket sending) = Pair(IPAddress.IPv6Loopback);
        var receiver = new UdpBatchReceiver(100, AddressFamily.InterNetworkV6, batched);
        sending.Send("<14>six"u8);

        Assert.Equal(1, receiver.Receive(receiving));
        Assert.Equal("<14>six", Encoding.ASCII.GetString(receiver.Datagram(0)));
        Assert.Equal(InetValue.FromIPAddress(IPAddress.IPv6Loopback), receiver.Peer(0));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_datagram_longer_than_its_slot_reports_its_own_length(bool batched)
    {
        (Socket receiving, Socket sending) = Pair(IPAddress.Loopback);
        var receiver = new UdpBatchReceiver(100, AddressFamily.InterNetwork, batched);
        sending.Send(new byte[3000]);
        sending.Send("<14>after"u8);

        var lengths = new List<int>();
        for (int calls = 0; lengths.Count < 2 && calls < 5; calls++)
        {
            int count = receiver.Receive(receiving);
            for (int i = 0; i < count; i++)
            {
                lengths.Add(receiver.Length(i));
                Assert.True(receiver.Datagram(i).Length <= Math.Min(receiver.Length(i), batched ? 100 : 65_535));
            }
        }

        Assert.Equal([3000, 9], lengths);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_wait_past_the_receive_timeout_returns_nothing(bool batched)
    {
        (Socket receiving, _) = Pair(IPAddress.Loopback);
        receiving.ReceiveTimeout = 50;
        var receiver = new UdpBatchReceiver(100, AddressFamily.InterNetwork, batched);

        Assert.Equal(0, receiver.Receive(receiving));
    }

    [Fact]
    public void A_mapped_IPv4_sender_on_an_IPv6_socket_is_an_IPv4_peer()
    {
        // sockaddr_in6 of ::ffff:192.0.2.7, port 514: family 10 in host order, port and address in network order.
        byte[] sockaddr = new byte[28];
        sockaddr[0] = 10;
        sockaddr[2] = 0x02;
        sockaddr[3] = 0x02;
        sockaddr[18] = 0xFF;
        sockaddr[19] = 0xFF;
        sockaddr[20] = 192;
        sockaddr[22] = 2;
        sockaddr[23] = 7;

        Assert.Equal(InetValue.FromIPAddress(IPAddress.Parse("192.0.2.7")), UdpBatchReceiver.PeerOf(sockaddr));
    }

    public void Dispose()
    {
        foreach (Socket socket in _sockets)
        {
            socket.Dispose();
        }
    }

    private (Socket Receiving, Socket Sending) Pair(IPAddress address)
    {
        var receiving = new Socket(address.AddressFamily, SocketType.Dgram, ProtocolType.Udp) { ReceiveTimeout = 5000 };
        receiving.Bind(new IPEndPoint(address, 0));
        var sending = new Socket(address.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        sending.Connect(receiving.LocalEndPoint!);
        _sockets.Add(receiving);
        _sockets.Add(sending);
        return (receiving, sending);
    }
}
