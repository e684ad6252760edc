using XraySyslogSink.Xray;
using static XraySyslogSink.Tests.Xray.ParsedLine;

namespace XraySyslogSink.Tests.Xray;

/// <summary>One case per form in the access-log reference, each checking every field.</summary>
public sealed class XrayLineParserFormTests
{
    private const string T = "2025/03/04 05:06:07.123456";
    private const string T0 = "2025/03/04 05:06:07";
    private const string NoTime = "";

    public static TheoryData<string, ParsedLine> Timestamps => new()
    {
        { "2025/03/04 05:06:07.123456 from 1.2.3.4:5678 accepted tcp:a.com:443 [in >> out]", Accepted(T, "1.2.3.4", 5678, "tcp", "a.com", 443, "in", "out") },
        { "2025/03/04 05:06:07 1.2.3.4:5678 accepted tcp:a.com:443 [out]", Accepted(T0, "1.2.3.4", 5678, "tcp", "a.com", 443, null, "out") },
        { "2024/02/29 23:59:59.999999 from 1.2.3.4:1 accepted tcp:a.com:1", Accepted("2024/02/29 23:59:59.999999", "1.2.3.4", 1, "tcp", "a.com", 1) },
        { "2025/13/01 00:00:00 1.2.3.4:1 accepted tcp:a.com:1", Malformed(XrayMalformedReason.InvalidTimestamp) },
        { "2025/02/30 00:00:00 1.2.3.4:1 accepted tcp:a.com:1", Malformed(XrayMalformedReason.InvalidTimestamp) },
        { "2025/02/28 24:00:00 1.2.3.4:1 accepted tcp:a.com:1", Malformed(XrayMalformedReason.InvalidTimestamp) },
        { "2025/02/28 00:00:00.12345 1.2.3.4:1 accepted tcp:a.com:1", Malformed(XrayMalformedReason.InvalidTimestamp) },
        { "2025/02/28 00:00:00.1234567 1.2.3.4:1 accepted tcp:a.com:1", Malformed(XrayMalformedReason.InvalidTimestamp) },
        { "2025/02/28 00:00:00. 1.2.3.4:1 accepted tcp:a.com:1", Malformed(XrayMalformedReason.InvalidTimestamp) },
        { "2025/02/28 00:00:00x 1.2.3.4:1 accepted tcp:a.com:1", Malformed(XrayMalformedReason.InvalidTimestamp) },
        { "0000/01/01 00:00:00 1.2.3.4:1 accepted tcp:a.com:1", Malformed(XrayMalformedReason.InvalidTimestamp) },
        { "2025-02-28 00:00:00 1.2.3.4:1 accepted tcp:a.com:1", Malformed(XrayMalformedReason.NoTimestamp) },
        { "2025/02/28", Malformed(XrayMalformedReason.NoTimestamp) },
        { "2025/02/28 00:00:00", Malformed(XrayMalformedReason.NoStatus) },
        { "", Malformed(XrayMalformedReason.Empty) },
        { " \r\n", Malformed(XrayMalformedReason.Empty) },
    };

    /// <summary>Bodies whose Go log prefix was stripped (journald): access lines without a time of their own.</summary>
    public static TheoryData<string, ParsedLine> Untimed => new()
    {
        { "1.2.3.4:1 accepted tcp:a.com:1", Accepted(NoTime, "1.2.3.4", 1, "tcp", "a.com", 1) },
        { "from 1.2.3.4:5 accepted tcp:x.org:443 [a >> b]", Accepted(NoTime, "1.2.3.4", 5, "tcp", "x.org", 443, "a", "b") },
        { "from tcp:[2001:db8::1]:5 accepted udp:8.8.8.8:53 [in -> out] email: 154\r\n", Accepted(NoTime, "2001:db8::1", 5, "udp", "8.8.8.8", 53, "in", "out", "154") },
        { "from 1.2.3.4:5 rejected  proxy/vless/encoding: invalid request user id", Rejected(NoTime, "1.2.3.4", 5, "proxy/vless/encoding: invalid request user id") },
        { "tcp:127.0.0.1:37240 accepted tcp:44.240.200.14:443 [socks >> proxy]", Accepted(NoTime, "127.0.0.1", 37240, "tcp", "44.240.200.14", 443, "socks", "proxy") },
        { "from 1.2.3.4:5 accepted tcp:x.org:65536", Malformed(XrayMalformedReason.InvalidDestinationPort) },
        { "[Warning] core: Xray 1.4.5 started", Other(XrayLineKind.SkippedErrorLog) },
        { "DNS accepted udp:1.1.1.1:53 [dns-out]", Other(XrayLineKind.SkippedInternalDns) },
        { "Connection accepted from somewhere", Malformed(XrayMalformedReason.NoTimestamp) },
        { "hello world", Malformed(XrayMalformedReason.NoTimestamp) },
    };

    public static TheoryData<string, ParsedLine> Sources => new()
    {
        { $"{T} from 1.2.3.4:0 accepted tcp:a.com:443", Accepted(T, "1.2.3.4", 0, "tcp", "a.com", 443) },
        { $"{T} from 1.2.3.4:65535 accepted tcp:a.com:443", Accepted(T, "1.2.3.4", 65535, "tcp", "a.com", 443) },
        { $"{T} from [2001:db8::1]:5678 accepted tcp:a.com:443", Accepted(T, "2001:db8::1", 5678, "tcp", "a.com", 443) },
        { $"{T} from tcp:1.2.3.4:5678 accepted udp:a.com:53", Accepted(T, "1.2.3.4", 5678, "udp", "a.com", 53) },
        { $"{T} from udp:[2001:db8::1]:5678 accepted tcp:a.com:443", Accepted(T, "2001:db8::1", 5678, "tcp", "a.com", 443) },
        { $"{T} from tcp:[::ffff:1.2.3.4]:5678 accepted tcp:a.com:443", Accepted(T, "::ffff:1.2.3.4", 5678, "tcp", "a.com", 443) },
        { $"{T} from 1.2.*.*:5678 accepted tcp:a.com:443", Accepted(T, "1.2.0.0/16", 5678, "tcp", "a.com", 443) },
        { $"{T} from 1.*.*.*:5678 accepted tcp:a.com:443", Accepted(T, "1.0.0.0/8", 5678, "tcp", "a.com", 443) },
        { $"{T} from 1.2.3.*:5678 accepted tcp:a.com:443", Accepted(T, "1.2.3.0/24", 5678, "tcp", "a.com", 443) },
        { $"{T} from tcp:1.2.*.*:5678 accepted tcp:a.com:443", Accepted(T, "1.2.0.0/16", 5678, "tcp", "a.com", 443) },
        { $"{T} from [2001:db8::/32]:443 accepted tcp:a.com:443", Accepted(T, "2001:db8::/32", 443, "tcp", "a.com", 443) },
        { $"{T} from 2001:db8::/32:443 accepted tcp:a.com:443", Accepted(T, "2001:db8::/32", 443, "tcp", "a.com", 443) },
        { $"{T} from 1.*.3.*:5678 accepted tcp:a.com:443", Malformed(XrayMalformedReason.SourceNotAddress) },
        { $"{T} from *.*.*.*:5678 accepted tcp:a.com:443", Malformed(XrayMalformedReason.SourceNotAddress) },
        { $"{T} from [Masked IPv4]:5678 accepted tcp:a.com:443", Malformed(XrayMalformedReason.SourceNotAddress) },
        { $"{T} from Masked IPv6 accepted tcp:a.com:443", Malformed(XrayMalformedReason.SourceNotAddress) },
        { $"{T} from [Masked IPv6]:5678 accepted tcp:a.com:443", Malformed(XrayMalformedReason.SourceNotAddress) },
        { $"{T} from unix:/dev/shm/xray.sock accepted tcp:a.com:443", Malformed(XrayMalformedReason.SourceNotAddress) },
        { $"{T} from @xhttp accepted tcp:a.com:443", Malformed(XrayMalformedReason.SourceNotAddress) },
        { $"{T} from  accepted tcp:a.com:443", Malformed(XrayMalformedReason.SourceNotAddress) },
        { $"{T} from tcp: accepted tcp:a.com:443", Malformed(XrayMalformedReason.SourceNotAddress) },
        { $"{T} from accepted tcp:a.com:443", Malformed(XrayMalformedReason.SourceNotAddress) },
        { $"{T} from 1.2.3.4:65536 accepted tcp:a.com:443", Malformed(XrayMalformedReason.InvalidSourcePort) },
        { $"{T} from 1.2.3.4 accepted tcp:a.com:443", Malformed(XrayMalformedReason.InvalidSourcePort) },
        { $"{T} from [2001:db8::1] accepted tcp:a.com:443", Malformed(XrayMalformedReason.InvalidSourcePort) },
        { $"{T} from 1.2.3.4:x accepted tcp:a.com:443", Malformed(XrayMalformedReason.InvalidSourcePort) },
        { $"{T} from 1.2.3.256:1 accepted tcp:a.com:443", Malformed(XrayMalformedReason.SourceNotAddress) },
        { $"{T} from DNS accepted udp:8.8.8.8:53 [dns-out]", Other(XrayLineKind.SkippedInternalDns) },
        { $"{T0} DoH accepted https://1.1.1.1/dns-query [local]", Other(XrayLineKind.SkippedInternalDns) },
    };

    public static TheoryData<string, ParsedLine> Destinations => new()
    {
        { $"{T} from 1.2.3.4:1 accepted tcp:www.a.com:443", Accepted(T, "1.2.3.4", 1, "tcp", "www.a.com", 443) },
        { $"{T} from 1.2.3.4:1 accepted udp:8.8.8.8:53", Accepted(T, "1.2.3.4", 1, "udp", "8.8.8.8", 53) },
        { $"{T} from 1.2.3.4:1 accepted tcp:[2001:db8::2]:443", Accepted(T, "1.2.3.4", 1, "tcp", "2001:db8::2", 443) },
        { $"{T} from 1.2.3.4:1 accepted a.com:443", Accepted(T, "1.2.3.4", 1, "", "a.com", 443) },
        { $"{T} from 1.2.3.4:1 accepted [2001:db8::2]:443", Accepted(T, "1.2.3.4", 1, "", "2001:db8::2", 443) },
        { $"{T} from 1.2.3.4:1 accepted udp:36196", Accepted(T, "1.2.3.4", 1, "", "udp", 36196) },
        { $"{T} from 1.2.3.4:1 accepted tcp:443 [in >> out]", Accepted(T, "1.2.3.4", 1, "", "tcp", 443, "in", "out") },
        { $"{T} from 1.2.3.4:1 accepted //a.com:443", Accepted(T, "1.2.3.4", 1, "tcp", "a.com", 443) },
        { $"{T} from 1.2.3.4:1 accepted http://a.com/path?q=1", Accepted(T, "1.2.3.4", 1, "tcp", "a.com", 80) },
        { $"{T} from 1.2.3.4:1 accepted http://a.com:8080/x", Accepted(T, "1.2.3.4", 1, "tcp", "a.com", 8080) },
        { $"{T} from 1.2.3.4:1 accepted http://a.com", Accepted(T, "1.2.3.4", 1, "tcp", "a.com", 80) },
        { $"{T} from 1.2.3.4:1 accepted https://dns.google/dns-query [in >> out]", Accepted(T, "1.2.3.4", 1, "tcp", "dns.google", 443, "in", "out") },
        { $"{T} from 1.2.3.4:1 accepted https://[2001:db8::3]:8443/dns-query", Accepted(T, "1.2.3.4", 1, "tcp", "2001:db8::3", 8443) },
        { $"{T} from 1.2.3.4:1 accepted tcp:1.2.*.*:443", Accepted(T, "1.2.3.4", 1, "tcp", "1.2.*.*", 443) },
        { $"{T} from 1.2.3.4:1 accepted tcp:a.com:0", Accepted(T, "1.2.3.4", 1, "tcp", "a.com", 0) },
        { $"{T} from 1.2.3.4:1 accepted tcp:a.com:65536", Malformed(XrayMalformedReason.InvalidDestinationPort) },
        { $"{T} from 1.2.3.4:1 accepted tcp:a.com", Malformed(XrayMalformedReason.InvalidDestinationPort) },
        { $"{T} from 1.2.3.4:1 accepted tcp::443", Malformed(XrayMalformedReason.InvalidDestination) },
        { $"{T} from 1.2.3.4:1 accepted tcp:[2001:db8::2:443", Malformed(XrayMalformedReason.InvalidDestination) },
        { $"{T} from 1.2.3.4:1 accepted", Malformed(XrayMalformedReason.InvalidDestination) },
        { $"{T} from 1.2.3.4:1 accepted  [in >> out]", Malformed(XrayMalformedReason.InvalidDestination) },
        { $"{T} from 1.2.3.4:1 accepted tcp:a.com:443 [in >> out", Malformed(XrayMalformedReason.InvalidDetour) },
        { $"{T} from 1.2.3.4:1 granted tcp:a.com:443", Malformed(XrayMalformedReason.NoStatus) },
    };

    public static TheoryData<string, ParsedLine> Detours => new()
    {
        { $"{T} from 1.2.3.4:1 accepted tcp:a.com:443 [in >> out]", Accepted(T, "1.2.3.4", 1, "tcp", "a.com", 443, "in", "out") },
        { $"{T} from 1.2.3.4:1 accepted tcp:a.com:443 [in -> out]", Accepted(T, "1.2.3.4", 1, "tcp", "a.com", 443, "in", "out") },
        { $"{T} from 1.2.3.4:1 accepted tcp:a.com:443 [in ==> out]", Accepted(T, "1.2.3.4", 1, "tcp", "a.com", 443, "in", "out") },
        { $"{T} from 1.2.3.4:1 accepted tcp:a.com:443 [out]", Accepted(T, "1.2.3.4", 1, "tcp", "a.com", 443, null, "out") },
        { $"{T} from 1.2.3.4:1 accepted tcp:a.com:443", Accepted(T, "1.2.3.4", 1, "tcp", "a.com", 443) },
        { $"{T} from 1.2.3.4:1 accepted tcp:a.com:443 [VLESS TCP REALITY >> DIRECT]", Accepted(T, "1.2.3.4", 1, "tcp", "a.com", 443, "VLESS TCP REALITY", "DIRECT") },
        { $"{T} from 1.2.3.4:1 accepted tcp:a.com:443 [inbound-127.0.0.1:3010 -> api]", Accepted(T, "1.2.3.4", 1, "tcp", "a.com", 443, "inbound-127.0.0.1:3010", "api") },
        { $"{T} from 1.2.3.4:1 accepted tcp:a.com:443 [Входящий 🇩🇪 -> 直连]", Accepted(T, "1.2.3.4", 1, "tcp", "a.com", 443, "Входящий 🇩🇪", "直连") },
        { $"{T} from 1.2.3.4:1 accepted tcp:a.com:443 [in >> a -> b]", Accepted(T, "1.2.3.4", 1, "tcp", "a.com", 443, "in", "a -> b") },
        { $"{T} from 1.2.3.4:1 accepted tcp:a.com:443 [in -> a >> b]", Accepted(T, "1.2.3.4", 1, "tcp", "a.com", 443, "in", "a >> b") },
        { $"{T} from 1.2.3.4:1 accepted tcp:a.com:443 [in[1] >> out[2]]", Accepted(T, "1.2.3.4", 1, "tcp", "a.com", 443, "in[1]", "out[2]") },
        { $"{T} from 1.2.3.4:1 accepted tcp:a.com:443 [in] x >> out] email: u", Accepted(T, "1.2.3.4", 1, "tcp", "a.com", 443, "in] x", "out", "u") },
        { $"{T} from 1.2.3.4:1 accepted tcp:a.com:443 [ >> out]", Accepted(T, "1.2.3.4", 1, "tcp", "a.com", 443, "", "out") },
        { $"{T} from 1.2.3.4:1 accepted tcp:a.com:443 []", Accepted(T, "1.2.3.4", 1, "tcp", "a.com", 443) },
        { $"{T} from 1.2.3.4:1 accepted tcp:a.com:443 [in -> block] blocked by rule", Accepted(T, "1.2.3.4", 1, "tcp", "a.com", 443, "in", "block", reason: "blocked by rule") },
    };

    public static TheoryData<string, ParsedLine> EmailsAndEndings => new()
    {
        { $"{T} from 1.2.3.4:1 accepted tcp:a.com:443 [in >> out] email: user@example.com", Accepted(T, "1.2.3.4", 1, "tcp", "a.com", 443, "in", "out", "user@example.com") },
        { $"{T} from 1.2.3.4:1 accepted tcp:a.com:443 [VLESS TCP REALITY >> DIRECT] email: 412.6218924756_RykO", Accepted(T, "1.2.3.4", 1, "tcp", "a.com", 443, "VLESS TCP REALITY", "DIRECT", "412.6218924756_RykO") },
        { $"{T} from 1.2.3.4:1 accepted tcp:a.com:443 [in >> out] email: 154", Accepted(T, "1.2.3.4", 1, "tcp", "a.com", 443, "in", "out", "154") },
        { $"{T} from 1.2.3.4:1 accepted tcp:a.com:443 email: 154", Accepted(T, "1.2.3.4", 1, "tcp", "a.com", 443, email: "154") },
        { $"{T} from 1.2.3.4:1 accepted tcp:a.com:443 [in >> out] email: Иван Петров (admin)", Accepted(T, "1.2.3.4", 1, "tcp", "a.com", 443, "in", "out", "Иван Петров (admin)") },
        { $"{T0} 1.2.3.4:1 accepted tcp:a.com:443 [direct] email:u00@internal ", Accepted(T0, "1.2.3.4", 1, "tcp", "a.com", 443, null, "direct", "u00@internal") },
        { $"{T0} 1.2.3.4:1 accepted tcp:a.com:443 [direct] ", Accepted(T0, "1.2.3.4", 1, "tcp", "a.com", 443, null, "direct") },
        { $"{T} from 1.2.3.4:1 accepted tcp:a.com:443 [in >> out] email: u@x\r\n", Accepted(T, "1.2.3.4", 1, "tcp", "a.com", 443, "in", "out", "u@x") },
        { $"{T} from 1.2.3.4:1 accepted tcp:a.com:443 [in >> out]\r\n", Accepted(T, "1.2.3.4", 1, "tcp", "a.com", 443, "in", "out") },
        { $"{T} from 1.2.3.4:1 accepted tcp:a.com:443 [in >> out]\n", Accepted(T, "1.2.3.4", 1, "tcp", "a.com", 443, "in", "out") },
        { $"{T} from 1.2.3.4:1 accepted tcp:a.com:443 [in >> out] email: ", Accepted(T, "1.2.3.4", 1, "tcp", "a.com", 443, "in", "out") },
        { $"\uFEFF{T} from 1.2.3.4:1 accepted tcp:a.com:443", Accepted(T, "1.2.3.4", 1, "tcp", "a.com", 443) },
    };

    public static TheoryData<string, ParsedLine> RejectedLines => new()
    {
        { $"{T} from 1.2.3.4:1 rejected  proxy/vless/encoding: invalid request user id", Rejected(T, "1.2.3.4", 1, "proxy/vless/encoding: invalid request user id") },
        { $"{T} from 1.2.3.4:1 rejected  proxy/vless/inbound: x > websocket: close 1000 (normal) email: u1", Rejected(T, "1.2.3.4", 1, "proxy/vless/inbound: x > websocket: close 1000 (normal)", "u1") },
        { $"{T} from 1.2.3.4:1 rejected  ", Rejected(T, "1.2.3.4", 1, "") },
        { $"{T} from 1.2.3.4:1 rejected", Rejected(T, "1.2.3.4", 1, "") },
        { $"{T} from 1.2.3.4:1 rejected proxy/vless/encoding: invalid request version", Rejected(T, "1.2.3.4", 1, "proxy/vless/encoding: invalid request version") },
        { $"{T} from 1.2.3.4:1 rejected tcp:a.com:443 [in -> block] blocked", Rejected(T, "1.2.3.4", 1, "blocked") },
        { $"{T} from 1.2.3.4:1 rejected tcp:a.com:443 email: u2", Rejected(T, "1.2.3.4", 1, "", "u2") },
        { $"{T} from 1.2.3.4:1 rejected  mentions accepted and email: twice email: real", Rejected(T, "1.2.3.4", 1, "mentions accepted and email: twice", "real") },
    };

    public static TheoryData<string, ParsedLine> NotAccessLines => new()
    {
        { $"{T} UDP:8.8.8.8:53 got answer: www.a.com. TypeA -> [1.2.3.4, 5.6.7.8] 12.5ms", Other(XrayLineKind.SkippedDnsQuery) },
        { $"{T} localhost cache HIT: www.a.com -> [1.2.3.4]", Other(XrayLineKind.SkippedDnsQuery) },
        { $"{T} DOH//dns.google cache OPTIMISTE: www.a.com -> [1.2.3.4]", Other(XrayLineKind.SkippedDnsQuery) },
        { $"{T} [Debug] app/log: Logger started", Other(XrayLineKind.SkippedErrorLog) },
        { $"{T} [Info] [123] proxy/vless/inbound: firstLen = 56", Other(XrayLineKind.SkippedErrorLog) },
        { $"{T} [Warning] core: Xray 25.1.30 started", Other(XrayLineKind.SkippedErrorLog) },
        { $"{T} [Error] app/proxyman/inbound: connection ends > accepted", Other(XrayLineKind.SkippedErrorLog) },
        { $"2025/13/04 05:06:07 [Info] bad date but skipped", Other(XrayLineKind.SkippedErrorLog) },
        { $"{T} [Notice] something", Malformed(XrayMalformedReason.NoStatus) },
        { "A unified platform for anti-censorship.", Malformed(XrayMalformedReason.NoTimestamp) },
    };

    [Theory]
    [MemberData(nameof(Timestamps))]
    [MemberData(nameof(Untimed))]
    [MemberData(nameof(Sources))]
    [MemberData(nameof(Destinations))]
    [MemberData(nameof(Detours))]
    [MemberData(nameof(EmailsAndEndings))]
    [MemberData(nameof(RejectedLines))]
    [MemberData(nameof(NotAccessLines))]
    public void Parses_every_form_of_the_reference(string line, ParsedLine expected) =>
        Assert.Equal(expected, ParsedLine.Of(line));

    [Fact]
    public void Microseconds_become_ticks()
    {
        ParsedLine parsed = ParsedLine.Of("2025/03/04 05:06:07.000001 1.2.3.4:1 accepted tcp:a.com:1");
        Assert.Equal(new DateTime(2025, 3, 4, 5, 6, 7).Ticks + 10, parsed.Time.Ticks);
    }

    [Fact]
    public void Masked_source_is_a_network_value()
    {
        XrayLineParser.Parse("2025/03/04 05:06:07 from 10.20.*.*:5 accepted tcp:a.com:1"u8, out XrayAccessLine a, out _);
        Assert.Equal(XraySyslogSink.Core.InetValue.FromIPv4(0x0A140000, 16), a.SourceIp);
        Assert.False(a.SourceIp.IsHost);
    }

    [Fact]
    public void Reason_names_are_distinct_for_every_reason()
    {
        XrayMalformedReason[] reasons = Enum.GetValues<XrayMalformedReason>().Where(r => r != XrayMalformedReason.None).ToArray();
        string[] names = reasons.Select(r => r.Name()).ToArray();
        Assert.DoesNotContain("unknown", names);
        Assert.Equal(names.Length, names.Distinct().Count());
    }
}
