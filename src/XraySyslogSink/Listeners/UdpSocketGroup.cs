using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using XraySyslogSink.Telemetry;

namespace XraySyslogSink.Listeners;

/// <summary>
/// The receive sockets of one UDP listener: <c>Listeners:UdpReceivers</c> sockets bound to the same address and port
/// with <c>SO_REUSEPORT</c> (Linux), so the kernel spreads senders over them, each with its own receive buffer and
/// drop count. The kernel picks the socket by a hash of the sender's address and port, so one sender always lands on
/// the same socket and its datagrams keep their order.
/// </summary>
/// <remarks>
/// <c>SO_REUSEPORT</c> would also let a second collector of the same user join the port and silently take a share of
/// the senders. So after binding (and before, when the port is fixed) the group looks for other sockets on the port
/// in <c>/proc/net/udp</c> and refuses to start with "address already in use", as a single socket would.
/// </remarks>
internal static class UdpSocketGroup
{
    private const int SolSocket = 1;
    private const int SoReusePort = 15;
    private const int SoRcvBufForce = 33;

    /// <summary>Binds <paramref name="count"/> sockets (1 without <c>SO_REUSEPORT</c>) to <paramref name="endPoint"/>; all or none.</summary>
    public static Socket[] Bind(IPEndPoint endPoint, int count, int receiveBufferSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        bool shared = count > 1;
        if (shared && endPoint.Port != 0)
        {
            ThrowIfTaken(endPoint, ours: []);
        }

        var sockets = new List<Socket>(count);
        try
        {
            IPEndPoint bindTo = endPoint;
            for (int i = 0; i < count; i++)
            {
                Socket socket = Open(bindTo, shared, receiveBufferSize);
                sockets.Add(socket);

                // The first socket may have been given a free port (port 0); the others join that one.
                bindTo = (IPEndPoint)socket.LocalEndPoint!;
            }

            if (shared)
            {
                ThrowIfTaken((IPEndPoint)sockets[0].LocalEndPoint!, [.. sockets.Select(UdpKernelDrops.InodeOf)]);
            }

            return [.. sockets];
        }
        catch
        {
            foreach (Socket socket in sockets)
            {
                socket.Dispose();
            }

            throw;
        }
    }

    private static Socket Open(IPEndPoint endPoint, bool shared, int receiveBufferSize)
    {
        var socket = new Socket(endPoint.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            if (endPoint.AddressFamily == AddressFamily.InterNetworkV6)
            {
                socket.DualMode = true;
            }

            if (shared)
            {
                SetFlag(socket, SoReusePort);
            }

            SetReceiveBuffer(socket, receiveBufferSize);
            socket.Bind(endPoint);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Throws "address already in use" when a socket that is not one of <paramref name="ours"/> is bound to the port
    /// of <paramref name="endPoint"/> on an address that overlaps it (the same one, or either is the wildcard).
    /// </summary>
    private static void ThrowIfTaken(IPEndPoint endPoint, HashSet<ulong> ours)
    {
        string address = ProcNetUdp.Hex(endPoint.Address);
        bool wildcard = endPoint.Address.Equals(IPAddress.Any) || endPoint.Address.Equals(IPAddress.IPv6Any);
        foreach (ProcNetUdp.Row row in ProcNetUdp.ReadAll())
        {
            if (row.LocalPort == endPoint.Port && !ours.Contains(row.Inode)
                && (wildcard || row.IsWildcard || string.Equals(row.LocalAddress, address, StringComparison.Ordinal)))
            {
                throw new SocketException((int)SocketError.AddressAlreadyInUse);
            }
        }
    }

    private static void SetFlag(Socket socket, int option)
    {
        Span<byte> value = stackalloc byte[sizeof(int)];
        BinaryPrimitives.WriteInt32LittleEndian(value, 1);
        socket.SetRawSocketOption(SolSocket, option, value);
    }

    /// <summary>
    /// Asks for the buffer with SO_RCVBUFFORCE first, which passes net.core.rmem_max when the daemon has
    /// CAP_NET_ADMIN; otherwise the plain request, which the kernel caps.
    /// </summary>
    private static void SetReceiveBuffer(Socket socket, int bytes)
    {
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
}
