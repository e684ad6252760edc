using System.Globalization;
using System.Net;
using System.Text;

namespace XraySyslogSink.Telemetry;

/// <summary>
/// Reads Linux's UDP socket tables, <c>/proc/net/udp</c> and <c>/proc/net/udp6</c>: one row per socket with its
/// local address, inode and the kernel's drop count. Empty where <c>/proc</c> is not available.
/// </summary>
internal static class ProcNetUdp
{
    private static readonly string[] Tables = ["/proc/net/udp", "/proc/net/udp6"];

    /// <summary>
    /// One socket: <paramref name="LocalAddress"/> as the table writes it (hex; all zeros for the wildcard), the
    /// local port, the socket's inode and the datagrams the kernel dropped for it.
    /// </summary>
    internal readonly record struct Row(string LocalAddress, int LocalPort, ulong Inode, long Drops)
    {
        public bool IsWildcard => LocalAddress.AsSpan().IndexOfAnyExcept('0') < 0;
    }

    /// <summary>
    /// <paramref name="address"/> as the tables write it: the bytes in network order read as 32-bit words in the
    /// machine's order (little-endian here), each as 8 hex digits; 127.0.0.1 is <c>0100007F</c>.
    /// </summary>
    public static string Hex(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        byte[] bytes = address.GetAddressBytes();
        var hex = new StringBuilder(bytes.Length * 2);
        for (int word = 0; word < bytes.Length; word += 4)
        {
            uint value = BitConverter.ToUInt32(bytes, word);
            hex.Append(value.ToString("X8", CultureInfo.InvariantCulture));
        }

        return hex.ToString();
    }

    /// <summary>The rows of both tables as they are now.</summary>
    public static List<Row> ReadAll()
    {
        List<Row> rows = [];
        foreach (string path in Tables)
        {
            try
            {
                rows.AddRange(Parse(File.ReadAllText(path)));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // No IPv6 table (IPv6 disabled) or no /proc at all.
            }
        }

        return rows;
    }

    /// <summary>
    /// The rows of one table. Columns: sl local rem st tx:rx tr:tm retrnsmt uid timeout inode ref pointer drops;
    /// local is <c>ADDRESS:PORT</c> in hex.
    /// </summary>
    public static IEnumerable<Row> Parse(string table)
    {
        const int LocalColumn = 1;
        const int InodeColumn = 9;
        const int DropsColumn = 12;
        using var reader = new StringReader(table);
        reader.ReadLine(); // header
        while (reader.ReadLine() is { } line)
        {
            string[] columns = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (columns.Length <= DropsColumn)
            {
                continue;
            }

            string local = columns[LocalColumn];
            int colon = local.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0
                && int.TryParse(local.AsSpan(colon + 1), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out int port)
                && ulong.TryParse(columns[InodeColumn], NumberStyles.None, CultureInfo.InvariantCulture, out ulong inode)
                && long.TryParse(columns[DropsColumn], NumberStyles.None, CultureInfo.InvariantCulture, out long drops))
            {
                yield return new Row(local[..colon], port, inode, drops);
            }
        }
    }
}
