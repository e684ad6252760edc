using XraySyslogSink.Xray;
using static XraySyslogSink.Tests.Xray.ParsedLine;

namespace XraySyslogSink.Tests.Xray;

/// <summary>
/// Lines as posted in public issue trackers (repository and issue number beside each), so the parser is
/// held to what nodes really wrote, redactions and copy-paste damage included.
/// </summary>
public sealed class XrayRealLineTests
{
    public static TheoryData<string, ParsedLine> RealLines => new()
    {
        // MHSanaei/3x-ui#3378 (Xray 25.8.3): the poster replaced the address with a word.
        { "2025/08/24 18:40:35.667467 from myiphere:57676 rejected  proxy/vless/encoding: invalid request user id", Malformed(XrayMalformedReason.SourceNotAddress) },

        // v2ray/v2ray-core#2898
        { "2021/07/04 12:08:01 114.89.46.91:53303 rejected  proxy/vless/encoding: invalid request user id", Rejected("2021/07/04 12:08:01", "114.89.46.91", 53303, "proxy/vless/encoding: invalid request user id") },

        // wyx2685/XrayR#16: single space after "rejected" as pasted.
        { "2023/11/12 15:16:07 46.143.46.222:15817 rejected proxy/vless/encoding: invalid request user id", Rejected("2023/11/12 15:16:07", "46.143.46.222", 15817, "proxy/vless/encoding: invalid request user id") },

        // v2ray/v2ray-core#938 (v2ray 3.x reason style)
        { "2018/03/08 22:17:51 180.153.194.207:6578 rejected  Proxy|VMess|Encoding: invalid user", Rejected("2018/03/08 22:17:51", "180.153.194.207", 6578, "Proxy|VMess|Encoding: invalid user") },

        // v2ray/v2ray-core#1583
        { "2019/03/03 04:45:52 172.18.0.3:49054 rejected  v2ray.com/core/proxy/vmess/encoding: invalid user", Rejected("2019/03/03 04:45:52", "172.18.0.3", 49054, "v2ray.com/core/proxy/vmess/encoding: invalid user") },

        // v2ray/discussion#169: redacted address.
        { "2019/02/28 08:37:05 xxx.xxx.xx.xx:xxxxx rejected  v2ray.com/core/proxy/vmess/encoding: invalid user", Malformed(XrayMalformedReason.SourceNotAddress) },

        // XTLS/Xray-core#5675 (Xray 26.2.6): redacted destination is kept as written.
        { "2026/02/09 23:50:47.497373 from tcp:127.0.0.1:9216 accepted tcp:xx.xx.xx.xx:443 [proxy]", Accepted("2026/02/09 23:50:47.497373", "127.0.0.1", 9216, "tcp", "xx.xx.xx.xx", 443, null, "proxy") },
        { "2026/02/09 23:50:47.495714 [Info] [1804476112] proxy/socks: TCP Connect request to tcp:xx.xx.xx.xx:443", Other(XrayLineKind.SkippedErrorLog) },

        // XTLS/Xray-core#2267
        { "2023/06/30 14:16:59 116.52.106.117:33448 accepted tcp:1.1.1.1:53 [direct]", Accepted("2023/06/30 14:16:59", "116.52.106.117", 33448, "tcp", "1.1.1.1", 53, null, "direct") },
        { "2023/06/30 14:16:59 [Debug] transport/internet: dialing to tcp:1.1.1.1:53", Other(XrayLineKind.SkippedErrorLog) },

        // XTLS/Xray-core#6608 (Xray 26.7.28, TUN inbound)
        { "2026/08/09 14:59:43.447897 from udp:10.0.0.1:137 accepted udp:10.0.255.255:137 [in-tun -> out-proxy]", Accepted("2026/08/09 14:59:43.447897", "10.0.0.1", 137, "udp", "10.0.255.255", 137, "in-tun", "out-proxy") },
        { "2026/08/09 14:59:44.786809 from tcp:10.0.0.1:53594 accepted tcp:72.145.35.109:443 [in-tun -> out-proxy]", Accepted("2026/08/09 14:59:44.786809", "10.0.0.1", 53594, "tcp", "72.145.35.109", 443, "in-tun", "out-proxy") },
        { "2026/08/09 14:59:42.637899 Using existing driver 0.14", Malformed(XrayMalformedReason.NoStatus) },

        // XTLS/Xray-core#1697
        { "2023/02/23 01:52:46 127.0.0.1:52556 accepted tcp:github.githubassets.com:443 [VLESS-TCP-Reality >> direct]", Accepted("2023/02/23 01:52:46", "127.0.0.1", 52556, "tcp", "github.githubassets.com", 443, "VLESS-TCP-Reality", "direct") },

        // yichya/luci-app-xray#227 (OpenWrt logread)
        { "2022/10/13 07:50:16 192.168.1.103:50807 accepted tcp:149.154.167.41:80 [tproxy_tcp_inbound -> direct]", Accepted("2022/10/13 07:50:16", "192.168.1.103", 50807, "tcp", "149.154.167.41", 80, "tproxy_tcp_inbound", "direct") },
        { "2022/10/13 07:50:17 UDP:192.168.14.30:53 cache HIT: www.apple.com -> [23.47.112.198]", Other(XrayLineKind.SkippedDnsQuery) },
        { "2022/10/13 07:50:18 127.0.0.1:45527 accepted udp:8.8.8.8:53 [dns_server_inbound_5300 -> dns_server_outbound]", Accepted("2022/10/13 07:50:18", "127.0.0.1", 45527, "udp", "8.8.8.8", 53, "dns_server_inbound_5300", "dns_server_outbound") },

        // yichya/luci-app-xray#314: the newer DNS log goes through the error log.
        { "2023/07/12 00:39:20 [Info] app/dns: UDP:8.8.8.8:53 got answer: catalog.gamepass.com. TypeA -> [139.175.236.49 139.175.236.40] 108.508761ms", Other(XrayLineKind.SkippedErrorLog) },
        { "2023/07/12 00:39:24 127.0.0.1:47304 accepted udp:1.1.1.1:53 [dns_server_inbound_5300 -> dns_server_outbound]", Accepted("2023/07/12 00:39:24", "127.0.0.1", 47304, "udp", "1.1.1.1", 53, "dns_server_inbound_5300", "dns_server_outbound") },

        // XTLS/Xray-core#785 (Xray 1.5.0, dnsLog on)
        { "2021/10/24 15:42:24 27.10.130.169:0 accepted tcp:www.google.com:443 [direct]", Accepted("2021/10/24 15:42:24", "27.10.130.169", 0, "tcp", "www.google.com", 443, null, "direct") },
        { "2021/10/24 15:42:24 DoH accepted https://1.1.1.1/dns-query [local]", Other(XrayLineKind.SkippedInternalDns) },
        { "2021/10/24 15:42:24 DOHL//1.1.1.1 got answer: www.google.com -> [172.217.161.228] 90.387432ms", Other(XrayLineKind.SkippedDnsQuery) },
        { "2021/10/24 15:42:24 DOHL//1.1.1.1 cache HIT: www.google.com -> [172.217.161.228]", Other(XrayLineKind.SkippedDnsQuery) },

        // yichya/openwrt-xray#11 (Xray 1.5.8)
        { "2022/07/11 17:35:56 UDP:8.8.8.8:53 cache HIT: connectivitycheck.gstatic.com -> [172.217.24.35]", Other(XrayLineKind.SkippedDnsQuery) },
        { "2022/07/11 17:36:00 192.168.10.176:54237 accepted tcp:203.205.235.132:80 [DIR]", Accepted("2022/07/11 17:36:00", "192.168.10.176", 54237, "tcp", "203.205.235.132", 80, null, "DIR") },

        // XTLS/Xray-core#2442
        { "2023/08/14 02:18:48 120.236.67.110:0 accepted tcp:img-s-msn-com.akamaized.net:443 [warp-proxy] email: b@b.com", Accepted("2023/08/14 02:18:48", "120.236.67.110", 0, "tcp", "img-s-msn-com.akamaized.net", 443, null, "warp-proxy", "b@b.com") },

        // 2dust/v2rayN#10158 (IPv6 TUN)
        { "2026/09/13 12:49:32.964170 from tcp:[fc00::10:1:0:1]:55962 accepted tcp:[2a00:1450:4001:2e::8]:443 [tun -> proxy]", Accepted("2026/09/13 12:49:32.964170", "fc00::10:1:0:1", 55962, "tcp", "2a00:1450:4001:2e::8", 443, "tun", "proxy") },
        { "2026/09/13 12:49:39.323263 from udp:10.1.0.1:52404 accepted udp:1.1.1.1:53 [tun -> dns]", Accepted("2026/09/13 12:49:39.323263", "10.1.0.1", 52404, "udp", "1.1.1.1", 53, "tun", "dns") },

        // v2ray/discussion#419 (no detour at all)
        { "2019/11/06 23:13:42 117.136.45.10:17044 accepted tcp:csi.gstatic.com:443", Accepted("2019/11/06 23:13:42", "117.136.45.10", 17044, "tcp", "csi.gstatic.com", 443) },

        // v2ray/v2ray-core#925: pasted with a leading space.
        { " 2018/03/06 18:48:41 [2001:da8:215:8f01:d4a7:cf05:5290:8a35]:50405 accepted tcp:www.googleapis.com:443", Accepted("2018/03/06 18:48:41", "2001:da8:215:8f01:d4a7:cf05:5290:8a35", 50405, "tcp", "www.googleapis.com", 443) },

        // v2ray/v2ray-core#2168: old v2ray trailing space.
        { "2020/01/08 09:55:43 127.0.0.1:37522 accepted tcp:149.154.175.54:443 [direct] ", Accepted("2020/01/08 09:55:43", "127.0.0.1", 37522, "tcp", "149.154.175.54", 443, null, "direct") },

        // XTLS/Xray-core#3431, #4340: error-log and start-up output in the same stream.
        { "2024/06/06 07:56:25 [Info] [2679230895] proxy/vless/inbound: firstLen = 56", Other(XrayLineKind.SkippedErrorLog) },
        { "2025/01/31 12:36:52 Using default config:  /usr/local/etc/xray/config.json", Malformed(XrayMalformedReason.NoStatus) },
        { "Xray 24.12.31 (Xray, Penetrates Everything.) 4be32e9 (go1.23.4 linux/amd64)", Malformed(XrayMalformedReason.NoTimestamp) },
    };

    [Theory]
    [MemberData(nameof(RealLines))]
    public void Parses_lines_seen_in_the_field(string line, ParsedLine expected) =>
        Assert.Equal(expected, ParsedLine.Of(line));
}
