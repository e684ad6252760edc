using System.Net;
using System.Net.Sockets;
using XraySyslogSink.Telemetry;

namespace XraySyslogSink.Tests.Telemetry;

public sealed class UdpKernelDropsTests
{
    // Two rows as Linux 6.x writes them; the second socket (inode 4242) has dropped 17 datagrams.
    private const string Table = """
           sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
          1: 0100007F:14B2 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 1111 2 0000000000000000 3
          2: 0100007F:C350 00000000:0000 07 00000000:00034000 00:00000000 00000000     0        0 4242 2 0000000000000000 17
        """;

    [Fact]
    public void The_drops_column_is_read_for_our_inodes_only()
    {
        var inodes = new Dictionary<ulong, long> { [4242] = 0, [9999] = 0 };

        UdpKernelDrops.ReadDrops(Table, inodes);

        Assert.Equal(17, inodes[4242]);
        Assert.Equal(0, inodes[9999]);
        Assert.Equal(2, inodes.Count);
    }

    [Fact]
    public void A_socket_that_nobody_reads_counts_the_kernel_drops_of_a_burst()
    {
        using Socket receiver = Unread();
        var drops = new UdpKernelDrops();
        drops.Track(receiver);
        Assert.NotEqual(0UL, UdpKernelDrops.InodeOf(receiver));
        Assert.Equal(0, drops.Total);

        Flood(receiver, 2000);

        long dropped = drops.Total;
        Assert.InRange(dropped, 1, 2000);

        // The count survives the socket: it is kept when the listener untracks it before closing.
        drops.Untrack(receiver);
        receiver.Close();
        Assert.Equal(dropped, drops.Total);
    }

    [Fact]
    public void The_total_sums_the_kernel_drops_of_every_tracked_socket()
    {
        using Socket a = Unread();
        using Socket b = Unread();
        var both = new UdpKernelDrops();
        var onlyA = new UdpKernelDrops();
        var onlyB = new UdpKernelDrops();
        both.Track(a);
        both.Track(b);
        onlyA.Track(a);
        onlyB.Track(b);

        Flood(a, 2000);
        Flood(b, 1500);

        // Nothing is sent any more, so the kernel's counts stand still between the reads.
        long dropsA = onlyA.Total;
        long dropsB = onlyB.Total;
        Assert.InRange(dropsA, 1, 2000);
        Assert.InRange(dropsB, 1, 1500);
        Assert.Equal(dropsA + dropsB, both.Total);
    }

    private static Socket Unread()
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) { ReceiveBufferSize = 4096 };
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return socket;
    }

    private static void Flood(Socket receiver, int datagrams)
    {
        using var sender = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        sender.Connect(receiver.LocalEndPoint!);
        byte[] datagram = new byte[1000];
        for (int i = 0; i < datagrams; i++)
        {
            sender.Send(datagram);
        }
    }
}
