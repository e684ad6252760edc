using System.Globalization;

namespace XraySyslogSink.IntegrationTests.Rsyslog;

/// <summary>One <c>logs</c> row as <see cref="Infrastructure.Database.LogsWithDimensions"/> returns it (without the partition).</summary>
public sealed record ExpectedRow(
    DateTime Timestamp,
    string Source,
    int SourcePort,
    string Action,
    string? Protocol,
    string? Destination,
    int? DestinationPort,
    string? InboundTag,
    string? OutboundTag,
    string? Email);

/// <summary>
/// Lines as xray (and v2fly) write them to an access log, each access line with the row it must become and a unique
/// source port to find that row by, plus lines of the same file that must be skipped (the node's own DNS queries,
/// the DNS query log, error-log lines). Forms follow docs/access-log.md.
/// </summary>
public sealed class NodeAccessLog
{
    private readonly List<string> _lines = [];
    private readonly Dictionary<int, ExpectedRow> _rows = [];
    private int _skipped;

    /// <summary>Every line in file order, access and skipped ones interleaved.</summary>
    public IReadOnlyList<string> Lines => _lines;

    public IReadOnlyDictionary<int, ExpectedRow> RowsBySourcePort => _rows;

    public int SkippedLines => _skipped;

    /// <summary><paramref name="rounds"/> rounds of eleven access forms and three skipped lines, one second apart.</summary>
    public static NodeAccessLog Build(int rounds)
    {
        var log = new NodeAccessLog();
        for (int round = 0; round < rounds; round++)
        {
            log.AddRound(round);
        }

        return log;
    }

    private void AddRound(int round)
    {
        int second = round * 15;
        int port = 40000 + (round * 100);
        int host = round + 1;

        Access(second + 1, micros: 123456, $"from 203.0.113.{host}:{port + 1} accepted tcp:www.example.com:443 [VLESS TCP REALITY >> direct] email: alice@example.com",
            $"203.0.113.{host}/32", port + 1, "accepted", "tcp", "www.example.com", 443, "VLESS TCP REALITY", "direct", "alice@example.com");
        // v2fly and Xray before 1.8.24: no "from", no microseconds, outbound tag only.
        Access(second + 2, micros: null, $"198.51.100.7:{port + 2} accepted udp:8.8.8.8:53 [dns-out]",
            "198.51.100.7/32", port + 2, "accepted", "udp", "8.8.8.8", 53, null, "dns-out", null);
        Access(second + 3, micros: 1, $"from [2001:db8::{host}]:{port + 3} accepted tcp:[2001:db8:1::2]:8443 [inbound-127.0.0.1:3010 -> proxy out] email: 412.6218924756_RykO",
            $"2001:db8::{host}/128", port + 3, "accepted", "tcp", "2001:db8:1::2", 8443, "inbound-127.0.0.1:3010", "proxy out", "412.6218924756_RykO");
        Access(second + 4, micros: 250000, $"from 192.0.2.9:{port + 4} rejected  proxy/vless/encoding: invalid request user id",
            "192.0.2.9/32", port + 4, "rejected", null, null, null, null, null, null);
        Skip(second + 4, "from DNS accepted udp:8.8.8.8:53 [dns-out]");
        // A mux/XUDP sub-stream: the tcp: prefix on the source is not the destination's protocol.
        Access(second + 5, micros: 999999, $"from tcp:192.0.2.10:{port + 5} accepted tcp:api.example.org:443 [socks-in ==> warp] email: 154",
            "192.0.2.10/32", port + 5, "accepted", "tcp", "api.example.org", 443, "socks-in", "warp", "154");
        // Shadowsocks-2022: a bare host:port has no protocol.
        Access(second + 6, micros: 0, $"from 192.0.2.11:{port + 6} accepted example.net:8388 [ss-in >> direct]",
            "192.0.2.11/32", port + 6, "accepted", null, "example.net", 8388, "ss-in", "direct", null);
        Skip(second + 6, "UDP:1.1.1.1:53 got answer: www.example.com. -> [93.184.216.34] 12.5ms");
        // HTTP CONNECT.
        Access(second + 7, micros: 500, $"from 192.0.2.12:{port + 7} accepted //connect.example.com:443 [http-in -> direct]",
            "192.0.2.12/32", port + 7, "accepted", "tcp", "connect.example.com", 443, "http-in", "direct", null);
        Access(second + 8, micros: 42, $"from 192.0.2.13:{port + 8} accepted tcp:example.jp:443 [入站 VLESS >> 直连] email: 用户-{host}",
            "192.0.2.13/32", port + 8, "accepted", "tcp", "example.jp", 443, "入站 VLESS", "直连", $"用户-{host}");
        Access(second + 9, micros: 7, $"from udp:[2001:db8::99]:{port + 9} accepted udp:1.1.1.1:443 [quic-in >> direct] email: user_9@panel",
            "2001:db8::99/128", port + 9, "accepted", "udp", "1.1.1.1", 443, "quic-in", "direct", "user_9@panel");
        Skip(second + 9, "[Info] [3021412873] proxy/vless/inbound: firstLen = 517");
        // v2ray before 4.34 / Xray 1.0–1.1.4: "email:" without its space and a trailing space.
        Access(second + 10, micros: null, $"192.0.2.14:{port + 10} accepted tcp:old.example.com:80 [direct] email:u00@internal ",
            "192.0.2.14/32", port + 10, "accepted", "tcp", "old.example.com", 80, null, "direct", "u00@internal");
        // A plain HTTP proxy request: the URL's default port.
        Access(second + 11, micros: 300000, $"from 192.0.2.15:{port + 11} accepted http://plain.example.com/index.html [http-in >> direct]",
            "192.0.2.15/32", port + 11, "accepted", "tcp", "plain.example.com", 80, "http-in", "direct", null);
    }

    private void Access(int second, int? micros, string body, string source, int sourcePort, string action, string? protocol,
        string? destination, int? destinationPort, string? inbound, string? outbound, string? email)
    {
        DateTime timestamp = new DateTime(2025, 11, 17, 8, 0, 0, DateTimeKind.Utc).AddSeconds(second).AddTicks((micros ?? 0) * 10L);
        _lines.Add(Stamp(timestamp, micros is not null) + " " + body);
        _rows.Add(sourcePort, new ExpectedRow(timestamp, source, sourcePort, action, protocol, destination, destinationPort, inbound, outbound, email));
    }

    private void Skip(int second, string body)
    {
        DateTime timestamp = new DateTime(2025, 11, 17, 8, 0, 0, DateTimeKind.Utc).AddSeconds(second);
        _lines.Add(Stamp(timestamp, withMicros: true) + " " + body);
        _skipped++;
    }

    private static string Stamp(DateTime timestamp, bool withMicros) =>
        timestamp.ToString(withMicros ? "yyyy/MM/dd HH:mm:ss.ffffff" : "yyyy/MM/dd HH:mm:ss", CultureInfo.InvariantCulture);
}
