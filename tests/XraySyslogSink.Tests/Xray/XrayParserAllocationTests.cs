using XraySyslogSink.Xray;

namespace XraySyslogSink.Tests.Xray;

/// <summary>The parser sits on the hot path: no allocation per line. Speed is measured by the benchmarks, not here.</summary>
public sealed class XrayParserAllocationTests
{
    private static readonly byte[][] Lines =
    [
        "2025/03/04 05:06:07.123456 from 91.108.56.136:51234 accepted tcp:www.google.com:443 [VLESS TCP REALITY >> DIRECT] email: 412.6218924756_RykO\n"u8.ToArray(),
        "2025/03/04 05:06:07.123456 from tcp:10.0.0.1:53594 accepted udp:8.8.8.8:53 [in-tun -> out-proxy]"u8.ToArray(),
        "2025/03/04 05:06:07 1.2.*.*:0 accepted a.com:443 [direct] email:u00@internal "u8.ToArray(),
        "2025/03/04 05:06:07.123456 from 114.89.46.91:53303 rejected  proxy/vless/encoding: invalid request user id"u8.ToArray(),
        "2025/03/04 05:06:07.123456 UDP:8.8.8.8:53 got answer: a.com -> [1.2.3.4] 1ms"u8.ToArray(),
        "2025/03/04 05:06:07.123456 [Info] [1] app/dispatcher: default route for tcp:a.com:443"u8.ToArray(),
    ];

    [Fact]
    public void Parsing_ipv4_lines_allocates_nothing()
    {
        Parse(1000);
        Assert.Equal(0, SteadyStateAllocation.Measure(() => Parse(30_000)));
    }

    private static int Parse(int count)
    {
        int access = 0;
        for (int i = 0; i < count; i++)
        {
            if (XrayLineParser.Parse(Lines[i % Lines.Length], out _, out _) == XrayLineKind.Access)
            {
                access++;
            }
        }

        return access;
    }
}
