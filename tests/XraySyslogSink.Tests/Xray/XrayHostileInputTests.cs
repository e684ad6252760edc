using System.Text;
using CsCheck;
using XraySyslogSink.Xray;

namespace XraySyslogSink.Tests.Xray;

/// <summary>Whatever arrives on the socket, the parser classifies it and never throws.</summary>
public sealed class XrayHostileInputTests
{
    private static readonly byte[][] Seeds =
    [
        "2025/03/04 05:06:07.123456 from tcp:[2001:db8::1]:5678 accepted tcp:a.com:443 [VLESS TCP >> out] email: u@x"u8.ToArray(),
        "2025/03/04 05:06:07 1.2.*.*:1 rejected  proxy/vless/encoding: invalid request user id email:u "u8.ToArray(),
        "2025/03/04 05:06:07 from DNS accepted https://[::1]:8443/dns-query [in -> out]"u8.ToArray(),
        "2025/03/04 05:06:07 UDP:8.8.8.8:53 got answer: a.com -> [1.2.3.4] 1ms"u8.ToArray(),
    ];

    [Fact]
    public void Random_bytes_never_throw() =>
        Gen.Byte.Array[0, 400].Sample(bytes => Check(bytes), iter: 20_000);

    [Fact]
    public void Mutated_real_lines_never_throw() =>
        Gen.Select(Gen.Int[0, Seeds.Length - 1], Gen.Int[0, 200].Array[1, 6], Gen.Byte.Array[6], Gen.Int[0, 2].Array[6], (seed, positions, values, ops) =>
        {
            var line = new List<byte>(Seeds[seed]);
            for (int i = 0; i < positions.Length && line.Count > 0; i++)
            {
                int at = positions[i] % line.Count;
                switch (ops[i])
                {
                    case 0: line[at] = values[i]; break;
                    case 1: line.Insert(at, values[i]); break;
                    default: line.RemoveAt(at); break;
                }
            }

            return line.ToArray();
        }).Sample(bytes => Check(bytes), iter: 20_000);

    public static TheoryData<string> HostileLines => new()
    {
        "\0",
        "2025/03/04 05:06:07\0from 1.2.3.4:1 accepted tcp:a.com:443",
        "2025/03/04 05:06:07 from 1.2.3.4:1\0accepted tcp:a.com:443",
        "2025/03/04 05:06:07 from 1.2.3.4:1 accepted tcp:a\0.com:443 [\0 >> \0] email: \0",
        "2025/03/04 05:06:07 from [:1 accepted tcp:[:443",
        "2025/03/04 05:06:07 from [] accepted tcp:[]:443",
        "2025/03/04 05:06:07 from ]:[ accepted tcp:]:[",
        "2025/03/04 05:06:07 from ::::: accepted :::::",
        "2025/03/04 05:06:07 from *.*.*.*:1 accepted tcp:a:1", // would be /0: not an address
        "2025/03/04 05:06:07 from [1.2.3.4/99]:1 accepted tcp:a:1",
        "2025/03/04 05:06:07 from 1.2.3.4/33:1 accepted tcp:a:1",
        "2025/03/04 05:06:07 from [fe80::1%eth0]:1 accepted tcp:a:1",
        "2025/03/04 05:06:07 from 1.2.3.4:99999999999999999999 accepted tcp:a:99999999999999999999",
        "2025/03/04 05:06:07 accepted accepted accepted",
        "2025/03/04 05:06:07 rejected rejected rejected",
        "2025/03/04 05:06:07 from 1.2.3.4:1 accepted https://",
        "2025/03/04 05:06:07 from 1.2.3.4:1 accepted http://@/",
        "2025/03/04 05:06:07 from 1.2.3.4:1 accepted tcp:a:1 [ ]",
        "2025/03/04 05:06:07 from 1.2.3.4:1 accepted tcp:a:1 [ ==> ]",
        "2025/03/04 05:06:07 from 1.2.3.4:1 accepted tcp:a:1 [[[[[[[]]]]]]",
        "2025/03/04 05:06:07 from 1.2.3.4:1 accepted tcp:a:1 ] email:",
        "2025/03/04 05:06:07 from 1.2.3.4:1 accepted tcp:a:1  email:  email: ",
        "9999/12/31 23:59:59.999999 from 1.2.3.4:1 accepted tcp:a:1",
        "2025/03/04 05:06:07.999999999999999999999999 from 1.2.3.4:1 accepted tcp:a:1",
    };

    [Theory]
    [MemberData(nameof(HostileLines))]
    public void Crafted_lines_never_throw(string line) => Check(Encoding.UTF8.GetBytes(line));

    [Fact]
    public void Invalid_utf8_is_carried_as_bytes()
    {
        byte[] line = [.. "2025/03/04 05:06:07 from 1.2.3.4:1 accepted tcp:a.com:443 [\xC0\xAF >> "u8, 0xFF, 0xFE, .. "] email: "u8, 0xED, 0xA0, 0x80];
        Assert.Equal(XrayLineKind.Access, XrayLineParser.Parse(line, out XrayAccessLine a, out _));
        Assert.Equal(new byte[] { 0xFF, 0xFE }, a.OutboundTag.ToArray());
        Assert.Equal(new byte[] { 0xED, 0xA0, 0x80 }, a.Email.ToArray());
    }

    [Fact]
    public void Very_long_lines_never_throw()
    {
        byte[] head = "2025/03/04 05:06:07 from 1.2.3.4:1 accepted tcp:a.com:443 ["u8.ToArray();
        byte[] line = new byte[4 * 1024 * 1024];
        line.AsSpan().Fill((byte)' ');
        head.CopyTo(line, 0);
        Check(line);
        line.AsSpan(head.Length).Fill((byte)']');
        Check(line);
        line.AsSpan().Fill((byte)'[');
        Check(line);
        line.AsSpan().Clear();
        Check(line);
        byte[] manyTokens = Encoding.ASCII.GetBytes("2025/03/04 05:06:07 " + string.Concat(Enumerable.Repeat("x ", 500_000)));
        Assert.Equal(XrayLineKind.Malformed, XrayLineParser.Parse(manyTokens, out _, out XrayMalformedReason reason));
        Assert.Equal(XrayMalformedReason.NoStatus, reason);
    }

    /// <summary>Parses and checks the invariants every result must keep.</summary>
    private static void Check(ReadOnlySpan<byte> line)
    {
        XrayLineKind kind = XrayLineParser.Parse(line, out XrayAccessLine a, out XrayMalformedReason reason);
        Assert.True(Enum.IsDefined(kind));
        Assert.Equal(kind == XrayLineKind.Malformed, reason != XrayMalformedReason.None);
        if (kind != XrayLineKind.Access)
        {
            return;
        }

        Assert.True(a.SourceIp.HasValue);
        Assert.InRange(a.SourcePort, 0, 65535);
        Assert.InRange(a.DestinationPort, -1, 65535);
        Assert.True(a.HasOutboundTag || !a.HasInboundTag);
        Assert.True(a.HasEmail == !a.Email.IsEmpty);
        if (a.Action == XraySyslogSink.Core.AccessAction.Accepted)
        {
            Assert.False(a.DestinationHost.IsEmpty);
        }
    }
}
