using System.Globalization;
using System.Net;
using System.Net.Sockets;
using XraySyslogSink.Core;

namespace XraySyslogSink.Listeners.Security;

/// <summary>
/// An immutable list of CIDR networks (<c>10.0.0.0/8</c>, <c>2001:db8::/32</c>, or a bare address for one host).
/// <see cref="Allows"/> is a loop over two small arrays of masks: no allocation, safe for the UDP receive loop.
/// An empty list allows everyone; the entry <c>private</c> stands for loopback and the private ranges. IPv4 peers are matched against the IPv4 entries only (an IPv4-mapped IPv6
/// peer such as <c>::ffff:10.1.2.3</c> is matched as <c>10.1.2.3</c>, since the listeners unmap it first).
/// </summary>
internal sealed class SourceAllowList
{
    private readonly (uint Network, uint Mask)[] _v4;
    private readonly (ulong High, ulong Low, ulong MaskHigh, ulong MaskLow)[] _v6;

    private SourceAllowList((uint, uint)[] v4, (ulong, ulong, ulong, ulong)[] v6, string[] entries)
    {
        _v4 = v4;
        _v6 = v6;
        Entries = entries;
    }

    /// <summary>The list that allows every address.</summary>
    public static SourceAllowList Everyone { get; } = new([], [], []);

    /// <summary>True when the list has no entries, i.e. allows everyone.</summary>
    public bool AllowsEveryone => _v4.Length == 0 && _v6.Length == 0;

    /// <summary>The entries as configured (for log lines).</summary>
    public IReadOnlyList<string> Entries { get; }

    /// <summary>Parses every entry; on failure <paramref name="error"/> names the first bad one.</summary>
    public static bool TryParse(IReadOnlyList<string>? entries, out SourceAllowList list, out string? error)
    {
        list = Everyone;
        error = null;
        if (entries is null || entries.Count == 0)
        {
            return true;
        }

        var v4 = new List<(uint, uint)>();
        var v6 = new List<(ulong, ulong, ulong, ulong)>();
        foreach (string raw in entries.SelectMany(Expand))
        {
            string entry = raw.Trim();
            int slash = entry.IndexOf('/', StringComparison.Ordinal);
            string addressText = slash < 0 ? entry : entry[..slash];
            if (!IPAddress.TryParse(addressText, out IPAddress? address) || (address.AddressFamily == AddressFamily.InterNetworkV6 && address.ScopeId != 0))
            {
                error = $"'{raw}' is not an IPv4 or IPv6 network (for example 10.0.0.0/8, 2001:db8::/32 or 192.0.2.7)";
                return false;
            }

            if (address.IsIPv4MappedToIPv6)
            {
                error = $"'{raw}': write IPv4 networks in IPv4 form (peers are matched unmapped)";
                return false;
            }

            bool isV6 = address.AddressFamily == AddressFamily.InterNetworkV6;
            int maxPrefix = isV6 ? 128 : 32;
            int prefix = maxPrefix;
            if (slash >= 0 && (!int.TryParse(entry.AsSpan(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out prefix) || prefix > maxPrefix))
            {
                error = $"'{raw}': the prefix length must be 0-{maxPrefix}";
                return false;
            }

            InetValue value = InetValue.FromIPAddress(address);
            if (isV6)
            {
                ulong maskHigh = prefix == 0 ? 0 : prefix >= 64 ? ulong.MaxValue : ulong.MaxValue << (64 - prefix);
                ulong maskLow = prefix <= 64 ? 0 : prefix == 128 ? ulong.MaxValue : ulong.MaxValue << (128 - prefix);
                if ((value.High & ~maskHigh) != 0 || (value.Low & ~maskLow) != 0)
                {
                    error = $"'{raw}' has host bits set beyond /{prefix}";
                    return false;
                }

                v6.Add((value.High, value.Low, maskHigh, maskLow));
            }
            else
            {
                uint mask = prefix == 0 ? 0 : uint.MaxValue << (32 - prefix);
                if (((uint)value.Low & ~mask) != 0)
                {
                    error = $"'{raw}' has host bits set beyond /{prefix}";
                    return false;
                }

                v4.Add(((uint)value.Low, mask));
            }
        }

        list = new SourceAllowList([.. v4], [.. v6], [.. entries]);
        return true;
    }

    /// <summary>The keyword entry that stands for loopback and the private ranges (the shipped configuration's list).</summary>
    public const string Private = "private";

    /// <summary>What <see cref="Private"/> stands for: loopback, RFC 1918 and IPv6 unique local addresses.</summary>
    public static IReadOnlyList<string> PrivateNetworks { get; } = ["127.0.0.0/8", "::1", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"];

    /// <summary>True when <paramref name="peer"/> is inside one of the networks, or the list is empty.</summary>
    public bool Allows(InetValue peer)
    {
        if (AllowsEveryone)
        {
            return true;
        }

        if (!peer.IsIPv6)
        {
            uint address = (uint)peer.Low;
            foreach ((uint network, uint mask) in _v4)
            {
                if ((address & mask) == network)
                {
                    return true;
                }
            }

            return false;
        }

        ulong high = peer.High;
        ulong low = peer.Low;
        foreach ((ulong netHigh, ulong netLow, ulong maskHigh, ulong maskLow) in _v6)
        {
            if ((high & maskHigh) == netHigh && (low & maskLow) == netLow)
            {
                return true;
            }
        }

        return false;
    }

    // One keyword, so the shipped list is a single array element: a list the operator writes from index 0 replaces it
    // whole, instead of .NET configuration merging the two arrays index by index.
    private static IEnumerable<string> Expand(string entry) =>
        string.Equals(entry.Trim(), Private, StringComparison.OrdinalIgnoreCase) ? PrivateNetworks : [entry];

    public override string ToString() => AllowsEveryone ? "everyone" : string.Join(", ", Entries);
}
