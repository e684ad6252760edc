using System.Text;
using XraySyslogSink.Core;
using XraySyslogSink.LoadGenerator;
using XraySyslogSink.Syslog;
using XraySyslogSink.Xray;

namespace XraySyslogSink.Tests.LoadGenerator;

/// <summary>bench.sh counts rows against lines sent: every generated line must be one row, identifiable and reproducible.</summary>
public sealed class LineFactoryTests
{
    private const int Lines = 40_000;

    [Theory]
    [InlineData(HeaderStyle.Rfc5424, SyslogFormat.Rfc5424)]
    [InlineData(HeaderStyle.Rfc3164, SyslogFormat.Rfc3164)]
    [InlineData(HeaderStyle.None, SyslogFormat.None)]
    public void Every_line_parses_as_an_access_row_with_its_own_time_and_port(HeaderStyle header, SyslogFormat format)
    {
        var factory = new LineFactory(new LineFactoryOptions { Header = header, Seed = 3, LinesPerLogSecond = 1_000 });
        byte[] buffer = new byte[LineFactory.MaxMessageBytes];
        var seen = new HashSet<(DateTime Second, int Port)>();
        int rejected = 0;
        int ipv6 = 0;
        for (long i = 0; i < Lines; i++)
        {
            ReadOnlySpan<byte> message = buffer.AsSpan(0, factory.Write(i, buffer));
            SyslogMessage syslog = SyslogHeaderParser.Parse(message);
            Assert.Equal(format, syslog.Format);
            XrayLineKind kind = XrayLineParser.Parse(syslog.Message, out XrayAccessLine line, out XrayMalformedReason reason);
            Assert.True(kind == XrayLineKind.Access, $"{Encoding.UTF8.GetString(message)}: {kind} {reason}");

            DateTime expected = factory.TimestampOf(i);
            DateTime second = new(expected.Ticks - (expected.Ticks % TimeSpan.TicksPerSecond), DateTimeKind.Unspecified);
            Assert.True(line.LocalTimestamp == DateTime.SpecifyKind(expected, DateTimeKind.Unspecified) || line.LocalTimestamp == second);
            Assert.Equal(factory.SourcePortOf(i), line.SourcePort);
            Assert.True(seen.Add((second, line.SourcePort)));
            rejected += line.Action == AccessAction.Rejected ? 1 : 0;
            ipv6 += line.SourceIp.IsIPv6 ? 1 : 0;
        }

        // The mix: about 5 % rejected, 15 % IPv6 clients; and the run crosses midnight (UTC).
        Assert.InRange(rejected, Lines * 3 / 100, Lines * 7 / 100);
        Assert.InRange(ipv6, Lines * 12 / 100, Lines * 18 / 100);
        Assert.NotEqual(factory.TimestampOf(0).Date, factory.TimestampOf(Lines - 1).Date);
    }

    [Fact]
    public void The_same_seed_gives_the_same_bytes_whatever_the_order_and_another_seed_does_not()
    {
        var a = new LineFactory(new LineFactoryOptions { Seed = 9, Header = HeaderStyle.Mixed });
        var b = new LineFactory(new LineFactoryOptions { Seed = 9, Header = HeaderStyle.Mixed });
        var c = new LineFactory(new LineFactoryOptions { Seed = 10, Header = HeaderStyle.Mixed });
        byte[] x = new byte[LineFactory.MaxMessageBytes];
        byte[] y = new byte[LineFactory.MaxMessageBytes];
        int differentFromOtherSeed = 0;
        for (long i = 999; i >= 0; i--)
        {
            int lx = a.Write(i, x);
            int ly = b.Write(i, y);
            Assert.True(x.AsSpan(0, lx).SequenceEqual(y.AsSpan(0, ly)));
            int lz = c.Write(i, y);
            differentFromOtherSeed += x.AsSpan(0, lx).SequenceEqual(y.AsSpan(0, lz)) ? 0 : 1;
        }

        Assert.True(differentFromOtherSeed > 900);
    }

    [Fact]
    public void Sequential_endpoints_make_every_line_a_new_endpoint_until_the_space_wraps()
    {
        var factory = new LineFactory(new LineFactoryOptions { EndpointMode = EndpointMode.Sequential, Endpoints = 3_000 });
        byte[] buffer = new byte[LineFactory.MaxMessageBytes];
        var endpoints = new HashSet<string>();
        for (long i = 0; i < 6_000; i++)
        {
            SyslogMessage syslog = SyslogHeaderParser.Parse(buffer.AsSpan(0, factory.Write(i, buffer)));
            XrayLineParser.Parse(syslog.Message, out XrayAccessLine line, out _);
            if (line.Action == AccessAction.Accepted)
            {
                endpoints.Add(Encoding.UTF8.GetString(line.DestinationHost));
            }
        }

        // Rejected lines (about 5 %) carry no destination; every endpoint number otherwise appears.
        Assert.InRange(endpoints.Count, 2_900, 3_000);
    }
}
