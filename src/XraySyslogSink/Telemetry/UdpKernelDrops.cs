using System.Globalization;
using System.Net.Sockets;

namespace XraySyslogSink.Telemetry;

/// <summary>
/// Datagrams the kernel dropped for our own UDP sockets (receive buffer full), read from the <c>drops</c>
/// column of <c>/proc/net/udp</c> and <c>/proc/net/udp6</c> in the rows whose inode is one of our sockets, summed
/// over them (a UDP listener has one socket per receiver, see <c>Listeners:UdpReceivers</c>).
/// Not a guess: it is the kernel's own per-socket count. Drops of a socket that has been closed stay in the
/// total. Reads the files on demand (the 10-second summary, a metrics scrape), never on the receive path.
/// Zero where <c>/proc</c> is not available.
/// </summary>
internal sealed class UdpKernelDrops
{
    private readonly Lock _lock = new();

    // Socket inode -> drops last read for it.
    private readonly Dictionary<ulong, long> _sockets = [];
    private long _closed;

    /// <summary>The kernel's drop count over every socket ever tracked.</summary>
    public long Total
    {
        get
        {
            lock (_lock)
            {
                Refresh();
                long total = _closed;
                foreach (long drops in _sockets.Values)
                {
                    total += drops;
                }

                return total;
            }
        }
    }

    /// <summary>Sockets counted now.</summary>
    internal int Tracked
    {
        get
        {
            lock (_lock)
            {
                return _sockets.Count;
            }
        }
    }

    /// <summary>Starts counting <paramref name="socket"/>'s kernel drops; ignored where its inode cannot be found.</summary>
    public void Track(Socket socket)
    {
        ulong inode = InodeOf(socket);
        if (inode == 0)
        {
            return;
        }

        lock (_lock)
        {
            _sockets[inode] = 0;
        }
    }

    /// <summary>Call before closing <paramref name="socket"/>: its last count is kept in the total.</summary>
    public void Untrack(Socket socket)
    {
        ulong inode = InodeOf(socket);
        lock (_lock)
        {
            if (inode == 0 || !_sockets.ContainsKey(inode))
            {
                return;
            }

            Refresh();
            _sockets.Remove(inode, out long last);
            _closed += last;
        }
    }

    /// <summary>The <c>drops</c> value of each row of a <c>/proc/net/udp</c>-format table whose inode is in <paramref name="inodes"/>.</summary>
    internal static void ReadDrops(string table, IDictionary<ulong, long> inodes) => Take(ProcNetUdp.Parse(table), inodes);

    /// <summary>The socket's inode from <c>/proc/self/fd/N</c> → <c>socket:[INODE]</c>; 0 when unknown.</summary>
    internal static ulong InodeOf(Socket socket)
    {
        if (!OperatingSystem.IsLinux())
        {
            return 0;
        }

        try
        {
            long fd = socket.SafeHandle.DangerousGetHandle().ToInt64();
            // FileInfo.LinkTarget is the raw readlink text; File.ResolveLinkTarget gives null for a target that is no file.
            string? target = new FileInfo($"/proc/self/fd/{fd.ToString(CultureInfo.InvariantCulture)}").LinkTarget;
            const string Prefix = "socket:[";
            if (target is not null && target.StartsWith(Prefix, StringComparison.Ordinal) && target.EndsWith(']'))
            {
                return ulong.TryParse(target.AsSpan(Prefix.Length, target.Length - Prefix.Length - 1), NumberStyles.None, CultureInfo.InvariantCulture, out ulong inode) ? inode : 0;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ObjectDisposedException)
        {
            // No /proc, or the socket is already closed.
        }

        return 0;
    }

    private static void Take(IEnumerable<ProcNetUdp.Row> rows, IDictionary<ulong, long> inodes)
    {
        foreach (ProcNetUdp.Row row in rows)
        {
            if (inodes.ContainsKey(row.Inode))
            {
                inodes[row.Inode] = row.Drops;
            }
        }
    }

    private void Refresh()
    {
        if (_sockets.Count > 0)
        {
            Take(ProcNetUdp.ReadAll(), _sockets);
        }
    }
}
