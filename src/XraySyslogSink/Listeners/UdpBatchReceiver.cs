using System.Buffers.Binary;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using XraySyslogSink.Core;

namespace XraySyslogSink.Listeners;

/// <summary>
/// Takes up to <see cref="Capacity"/> datagrams from a UDP socket in one system call (Linux <c>recvmmsg</c>), into
/// slots of one pinned buffer. At a few hundred thousand datagrams a second the call per datagram is a large part of a
/// receive thread's time; a batch pays it once. Where <c>recvmmsg</c> is not there (another system, a 32-bit process,
/// a C library without it) it receives one datagram per call, as <see cref="Socket.ReceiveFrom(Span{byte}, SocketFlags, System.Net.SocketAddress)"/> does.
/// One receiver per socket and thread; not thread-safe.
/// </summary>
internal sealed class UdpBatchReceiver
{
    /// <summary>Most datagrams per call: beyond a few dozen the saving per datagram no longer grows.</summary>
    public const int MaxBatch = 32;

    /// <summary>Bytes of slots one receiver may pin, whatever <c>Listeners:MaxMessageSize</c> is.</summary>
    private const int MaxPinnedBytes = 1024 * 1024;

    // Linux: MSG_TRUNC makes the reported length the datagram's own even when it did not fit its slot, so an
    // oversize datagram is recognised without a 64 KiB slot; MSG_WAITFORONE blocks for the first datagram only.
    private const int MsgTrunc = 0x20;
    private const int MsgWaitForOne = 0x10000;
    private const int EIntr = 4;
    private const int EAgain = 11;

    // sockaddr_in6 is 28 bytes, the larger of the two families.
    private const int NameSize = 28;
    private const int NameStride = 32;
    private const ushort LinuxAfInet = 2;
    private const ushort LinuxAfInet6 = 10;

    // Without recvmmsg: one slot the size of the largest UDP payload, so an oversize datagram shows its length.
    private const int MaxDatagramSize = 65_535;

    private readonly int _slotSize;
    private readonly byte[] _data;
    private readonly byte[] _names;
    private readonly MessageHeader[] _headers;

    // The headers point into these; held so they live (pinned) as long as the headers are used.
    private readonly IoVector[] _vectors;
    private readonly System.Net.SocketAddress _singleName;
    private bool _batched;

    public UdpBatchReceiver(int slotSize, AddressFamily family)
        : this(slotSize, family, OperatingSystem.IsLinux() && Environment.Is64BitProcess)
    {
    }

    /// <summary>With <paramref name="batched"/> false, one datagram per call as on systems without <c>recvmmsg</c> (tests take that path too).</summary>
    internal UdpBatchReceiver(int slotSize, AddressFamily family, bool batched)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(slotSize, 1);
        _batched = batched;
        _slotSize = _batched ? slotSize : MaxDatagramSize;
        Capacity = _batched ? Math.Clamp(MaxPinnedBytes / slotSize, 1, MaxBatch) : 1;
        _data = GC.AllocateUninitializedArray<byte>(checked(Capacity * _slotSize), pinned: true);
        _names = GC.AllocateArray<byte>(Capacity * NameStride, pinned: true);
        _headers = GC.AllocateArray<MessageHeader>(Capacity, pinned: true);
        _vectors = GC.AllocateArray<IoVector>(Capacity, pinned: true);
        for (int i = 0; i < Capacity; i++)
        {
            _vectors[i] = new IoVector { Base = Marshal.UnsafeAddrOfPinnedArrayElement(_data, i * _slotSize), Length = (nuint)_slotSize };
            _headers[i].Name = Marshal.UnsafeAddrOfPinnedArrayElement(_names, i * NameStride);
            _headers[i].Vector = Marshal.UnsafeAddrOfPinnedArrayElement(_vectors, i);
            _headers[i].VectorCount = 1;
        }

        _singleName = new System.Net.SocketAddress(family);
    }

    /// <summary>Datagrams one <see cref="Receive"/> can return.</summary>
    public int Capacity { get; }

    /// <summary>Whether <see cref="Receive"/> takes several datagrams per system call here.</summary>
    public bool Batched => _batched;

    /// <summary>
    /// Waits up to the socket's receive timeout for a datagram and takes it with any others already queued, at most
    /// <see cref="Capacity"/>. Returns how many (0 when the wait timed out or the socket was shut down); throws
    /// <see cref="SocketException"/> for other errors.
    /// </summary>
    public int Receive(Socket socket)
    {
        if (_batched)
        {
            int count = ReceiveBatch(socket);
            if (count >= 0)
            {
                return count;
            }
        }

        return ReceiveOne(socket);
    }

    /// <summary>The datagram's bytes in slot <paramref name="index"/>: at most the slot, when <see cref="Length"/> is larger it was cut.</summary>
    public ReadOnlySpan<byte> Datagram(int index) =>
        _data.AsSpan(SlotOffset(index), (int)Math.Min(_headers[index].Length, (uint)_slotSize));

    /// <summary>The buffer every slot is in, so that a batch's datagrams can be passed on together (<see cref="SlotOffset"/>).</summary>
    public ReadOnlySpan<byte> Slots => _data;

    /// <summary>Where slot <paramref name="index"/> starts in <see cref="Slots"/>.</summary>
    public int SlotOffset(int index) => index * _slotSize;

    /// <summary>The datagram's own length in slot <paramref name="index"/>, also when it did not fit the slot.</summary>
    public int Length(int index) => (int)Math.Min(_headers[index].Length, int.MaxValue);

    /// <summary>The sender of the datagram in slot <paramref name="index"/>.</summary>
    public InetValue Peer(int index) =>
        _batched ? PeerOf(_names.AsSpan(index * NameStride, NameSize)) : PeerOf(_singleName);

    /// <summary>Reads a Linux <c>sockaddr_in</c>/<c>sockaddr_in6</c> (family in host order, then port and address in network order).</summary>
    internal static InetValue PeerOf(ReadOnlySpan<byte> sockaddr) =>
        BinaryPrimitives.ReadUInt16LittleEndian(sockaddr) switch
        {
            LinuxAfInet => AddressOf(sockaddr, ipv6: false),
            LinuxAfInet6 => AddressOf(sockaddr, ipv6: true),
            _ => default,
        };

    /// <summary>The peer of a one-datagram receive; the family from the address, whose byte layout varies by system.</summary>
    private static InetValue PeerOf(System.Net.SocketAddress address) => address.Family switch
    {
        AddressFamily.InterNetwork => AddressOf(address.Buffer.Span, ipv6: false),
        AddressFamily.InterNetworkV6 => AddressOf(address.Buffer.Span, ipv6: true),
        _ => default,
    };

    /// <summary>The address of a <c>sockaddr_in</c> (at byte 4) or <c>sockaddr_in6</c> (at byte 8), an IPv4-mapped one as IPv4; nothing allocated.</summary>
    private static InetValue AddressOf(ReadOnlySpan<byte> sockaddr, bool ipv6)
    {
        if (!ipv6)
        {
            return InetValue.FromIPv4(BinaryPrimitives.ReadUInt32BigEndian(sockaddr.Slice(4, 4)));
        }

        ReadOnlySpan<byte> v6 = sockaddr.Slice(8, 16);
        ulong high = BinaryPrimitives.ReadUInt64BigEndian(v6);
        ulong low = BinaryPrimitives.ReadUInt64BigEndian(v6[8..]);
        return high == 0 && (low >> 32) == 0xFFFF ? InetValue.FromIPv4((uint)low) : InetValue.FromIPv6(high, low);
    }

    /// <summary>One <c>recvmmsg</c> call: the count, 0 on timeout or shutdown, or -1 when it is not available here.</summary>
    private int ReceiveBatch(Socket socket)
    {
        for (int i = 0; i < Capacity; i++)
        {
            _headers[i].NameLength = NameSize;
            _headers[i].Length = 0;
        }

        bool added = false;
        try
        {
            socket.SafeHandle.DangerousAddRef(ref added);
            while (true)
            {
                int count = RecvMmsg(socket.SafeHandle.DangerousGetHandle(), Marshal.UnsafeAddrOfPinnedArrayElement(_headers, 0), (uint)Capacity, MsgWaitForOne | MsgTrunc, 0);
                if (count >= 0)
                {
                    return count;
                }

                int error = Marshal.GetLastPInvokeError();
                if (error == EIntr)
                {
                    continue;
                }

                if (error == EAgain)
                {
                    return 0;
                }

                throw new SocketException(error);
            }
        }
        catch (Exception ex) when (ex is EntryPointNotFoundException or DllNotFoundException)
        {
            _batched = false;
            return -1;
        }
        finally
        {
            if (added)
            {
                socket.SafeHandle.DangerousRelease();
            }
        }
    }

    private int ReceiveOne(Socket socket)
    {
        try
        {
            _headers[0].Length = (uint)socket.ReceiveFrom(_data, SocketFlags.None, _singleName);
            return 1;
        }
        catch (SocketException ex) when (ex.SocketErrorCode is SocketError.TimedOut or SocketError.WouldBlock)
        {
            return 0;
        }
    }

    // Every argument is a plain integer or address: nothing to marshal, so no generated stub is needed.
    [DllImport("libc.so.6", EntryPoint = "recvmmsg", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int RecvMmsg(nint socket, nint messages, uint count, int flags, nint timeout);

    /// <summary>Linux 64-bit <c>struct iovec</c>.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct IoVector
    {
        public nint Base;
        public nuint Length;
    }

    /// <summary>Linux 64-bit <c>struct mmsghdr</c>: a <c>struct msghdr</c> (56 bytes) and the received length.</summary>
    [StructLayout(LayoutKind.Explicit, Size = 64)]
    private struct MessageHeader
    {
        [FieldOffset(0)]
        public nint Name;

        [FieldOffset(8)]
        public uint NameLength;

        [FieldOffset(16)]
        public nint Vector;

        [FieldOffset(24)]
        public nuint VectorCount;

        [FieldOffset(32)]
        public nint Control;

        [FieldOffset(40)]
        public nuint ControlLength;

        [FieldOffset(48)]
        public int Flags;

        [FieldOffset(56)]
        public uint Length;
    }
}
