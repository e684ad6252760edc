namespace XraySyslogSink.IntegrationTests.Cli;

/// <summary>
/// A saved access log with known content: three users on 2025-11-17 (UTC), raw and syslog-wrapped lines, a
/// rejected line, an error-log line, an empty line and a line that is not xray's. Reports over it have known output.
/// </summary>
internal static class KnownLog
{
    public const string Text = """
        2025/11/17 08:00:00.000000 from 203.0.113.10:50001 accepted tcp:www.example.com:443 [vless-in >> direct] email: alice@example.com
        2025/11/17 08:05:00.000000 from 203.0.113.10:50002 accepted tcp:api.example.com:443 [vless-in >> direct] email: alice@example.com
        2025/11/17 08:10:00.000000 from 203.0.113.10:50003 accepted udp:dns.example.net:53 [vless-in >> direct] email: alice@example.com
        2025/11/17 09:30:00.000000 from 198.51.100.7:50004 accepted tcp:www.example.com:443 [vless-in -> proxy-de] email: alice@example.com
        2025/11/17 09:45:00.000000 from 198.51.100.7:50005 accepted tcp:video.example.org:443 [vless-in -> proxy-de] email: alice@example.com
        2025/11/17 08:20:00.000000 from 203.0.113.10:50006 accepted tcp:www.example.com:443 [trojan-in >> direct] email: bob@example.com
        2025/11/17 08:40:00.000000 from 203.0.113.10:50007 accepted tcp:mail.example.com:993 [trojan-in >> direct] email: bob@example.com
        2025/11/17 10:00:00.000000 from 192.0.2.55:50008 accepted tcp:blocked.example:443 [trojan-in -> block] email: carol@example.com
        2025/11/17 10:02:00.000000 from 192.0.2.55:50009 accepted udp:time.example.net:123 [trojan-in >> direct] email: carol@example.com
        2025/11/17 10:03:00.000000 from 192.0.2.55:50010 rejected  proxy/trojan: invalid password
        Nov 17 10:05:00 node-1 xray[812]: 2025/11/17 10:05:00.000000 from 203.0.113.10:50011 accepted tcp:www.example.com:443 [trojan-in >> direct] email: bob@example.com
        2025/11/17 10:06:00.000000 [Info] [1804476112] proxy/socks: TCP Connect request to tcp:1.2.3.4:443

        this is not an xray line

        """;

    /// <summary>The top-endpoints report over the log's day, as a table.</summary>
    public const string TopEndpoints = """
        endpoint           connections  users  first_seen           last_seen
        -----------------  -----------  -----  -------------------  -------------------
        www.example.com              4      2  2025-11-17 08:00:00  2025-11-17 10:05:00
        api.example.com              1      1  2025-11-17 08:05:00  2025-11-17 08:05:00
        blocked.example              1      1  2025-11-17 10:00:00  2025-11-17 10:00:00
        dns.example.net              1      1  2025-11-17 08:10:00  2025-11-17 08:10:00
        mail.example.com             1      1  2025-11-17 08:40:00  2025-11-17 08:40:00
        time.example.net             1      1  2025-11-17 10:02:00  2025-11-17 10:02:00
        video.example.org            1      1  2025-11-17 09:45:00  2025-11-17 09:45:00
        (7 rows)

        """;

    public const int Lines = 14;

    public const int Rows = 11;

    /// <summary>Long after the log was written: an import accepts lines of any age.</summary>
    public static readonly DateTimeOffset Now = new(2026, 6, 1, 12, 0, 0, TimeSpan.Zero);

    /// <summary>The summary's deterministic lines for a first import of <see cref="Text"/> (after the name line).</summary>
    public const string FirstImportSummary = """
          lines         14 read of 14
          rows          11
          skipped       2 (empty 1, error_log 1)
          dead letters  1 (no timestamp 1)

        """;
}
