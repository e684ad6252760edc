using System.Net;
using System.Net.Sockets;
using XraySyslogSink.Core;

namespace XraySyslogSink.Nodes;

/// <summary>
/// The operator's mapping of source networks to node names (<c>Nodes:Networks</c>): <c>"node-a": ["10.1.0.0/24"]</c>.
/// A peer in several networks belongs to the most specific one (longest prefix), so a host entry can carve one
/// node out of a site's network. Immutable; <see cref="Find"/> is a loop over small arrays without allocating,
/// cheap enough for every UDP datagram.
/// </summary>
internal sealed class NodeNetworks
{
    private readonly Entry[] _v4;
    private readonly Entry[] _v6;

    private NodeNetworks(Entry[] v4, Entry[] v6)
    {
        _v4 = v4;
        _v6 = v6;
    }

    public static NodeNetworks Empty { get; } = new([], []);

    public bool IsEmpty => _v4.Length == 0 && _v6.Length == 0;

    /// <summary>
    /// Parses the mapping; on failure <paramref name="errors"/> names each bad entry by its key
    /// (<c>Nodes:Networks:node-a</c>) and the result is <see cref="Empty"/>.
    /// </summary>
    public static NodeNetworks Parse(IReadOnlyDictionary<string, string[]>? byName, string key, List<string> errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        if (byName is null || byName.Count == 0)
        {
            return Empty;
        }

        int before = errors.Count;
        var v4 = new List<Entry>();
        var v6 = new List<Entry>();
        var owners = new Dictionary<(ulong, ulong, bool, int), string>();
        foreach ((string name, string[] networks) in byName)
        {
            if (!NodeNames.IsValidName(name))
            {
                errors.Add($"{key}: '{Escape(name)}' is not a node name (1 to {NodeNames.MaxLength} characters, no control characters, not '-')");
                continue;
            }

            foreach (string text in networks ?? [])
            {
                if (!TryParseNetwork(text, out IPNetwork network, out string? error))
                {
                    errors.Add($"{key}:{name}: {error}");
                    continue;
                }

                Entry entry = Entry.From(network, name);
                if (owners.TryGetValue(entry.Key, out string? other))
                {
                    errors.Add($"{key}:{name}: '{text}' is already mapped to node '{other}'");
                    continue;
                }

                owners.Add(entry.Key, name);
                (entry.IsIPv6 ? v6 : v4).Add(entry);
            }
        }

        if (errors.Count > before)
        {
            return Empty;
        }

        // Most specific first, so the first match is the longest prefix.
        v4.Sort((a, b) => b.PrefixLength.CompareTo(a.PrefixLength));
        v6.Sort((a, b) => b.PrefixLength.CompareTo(a.PrefixLength));
        return new NodeNetworks([.. v4], [.. v6]);
    }

    /// <summary>The node whose network holds <paramref name="peer"/> (most specific wins), or null.</summary>
    public string? Find(InetValue peer)
    {
        if (!peer.HasValue)
        {
            return null;
        }

        Entry[] entries = peer.IsIPv6 ? _v6 : _v4;
        foreach (Entry entry in entries)
        {
            if ((peer.High & entry.MaskHigh) == entry.High && (peer.Low & entry.MaskLow) == entry.Low)
            {
                return entry.Name;
            }
        }

        return null;
    }

    /// <summary>Parses <c>10.0.0.0/8</c>, <c>2001:db8::/32</c> or a bare address (one host); host bits must be clear.</summary>
    private static bool TryParseNetwork(string? text, out IPNetwork network, out string? error)
    {
        network = default;
        error = null;
        string entry = (text ?? string.Empty).Trim();
        string withPrefix = entry.Contains('/', StringComparison.Ordinal) || !IPAddress.TryParse(entry, out IPAddress? host)
            ? entry
            : $"{entry}/{(host.AddressFamily == AddressFamily.InterNetworkV6 ? 128 : 32)}";
        if (!IPNetwork.TryParse(withPrefix, out network))
        {
            error = $"'{Escape(entry)}' is not an IPv4 or IPv6 network with its host bits clear (for example 10.1.0.0/24, 2001:db8::/64 or 192.0.2.7)";
            return false;
        }

        // IPNetwork masks host bits away silently; a typo such as 10.1.0.1/24 is more likely meant as a host.
        if (!IPAddress.TryParse(withPrefix.AsSpan(0, withPrefix.IndexOf('/', StringComparison.Ordinal)), out IPAddress? written) || !written.Equals(network.BaseAddress))
        {
            error = $"'{Escape(entry)}' has host bits set beyond /{network.PrefixLength}";
            return false;
        }

        if (network.BaseAddress.IsIPv4MappedToIPv6)
        {
            error = $"'{Escape(entry)}': write IPv4 networks in IPv4 form (peers are matched unmapped)";
            return false;
        }

        return true;
    }

    private static string Escape(string text) => NodeText.Escape(text);

    private readonly record struct Entry(ulong High, ulong Low, ulong MaskHigh, ulong MaskLow, bool IsIPv6, int PrefixLength, string Name)
    {
        public (ulong, ulong, bool, int) Key => (High, Low, IsIPv6, PrefixLength);

        public static Entry From(IPNetwork network, string name)
        {
            InetValue address = InetValue.FromIPAddress(network.BaseAddress);
            int prefix = network.PrefixLength;
            if (address.IsIPv6)
            {
                ulong maskHigh = prefix == 0 ? 0 : prefix >= 64 ? ulong.MaxValue : ulong.MaxValue << (64 - prefix);
                ulong maskLow = prefix <= 64 ? 0 : prefix == 128 ? ulong.MaxValue : ulong.MaxValue << (128 - prefix);
                return new Entry(address.High, address.Low, maskHigh, maskLow, true, prefix, name);
            }

            ulong mask = prefix == 0 ? 0 : (ulong)(uint.MaxValue << (32 - prefix));
            return new Entry(0, address.Low, 0, mask, false, prefix, name);
        }
    }
}
