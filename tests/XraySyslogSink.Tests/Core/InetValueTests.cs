using System.Net;
using XraySyslogSink.Core;

namespace XraySyslogSink.Tests.Core;

public sealed class InetValueTests
{
    [Theory]
    [InlineData("1.2.3.4")]
    [InlineData("0.0.0.0")]
    [InlineData("255.255.255.255")]
    [InlineData("2001:db8::1")]
    [InlineData("::1")]
    [InlineData("::ffff:1.2.3.4")]
    public void Addresses_round_trip_through_their_text(string text)
    {
        Assert.True(InetValue.TryParse(System.Text.Encoding.ASCII.GetBytes(text), out InetValue value));
        Assert.Equal(IPAddress.Parse(text), value.ToIPAddress());
        Assert.True(value.IsHost);
        Assert.Equal(value, InetValue.FromIPAddress(IPAddress.Parse(text)));
    }

    [Theory]
    [InlineData("")]
    [InlineData("1.2.3")]
    [InlineData("1.2.3.4.5")]
    [InlineData("256.1.1.1")]
    [InlineData("1.2.3.04444")]
    [InlineData("example.com")]
    [InlineData("1.2.*.*")]
    [InlineData("fe80::1%eth0")]
    [InlineData("DNS")]
    public void Non_addresses_are_refused(string text)
    {
        Assert.False(InetValue.TryParse(System.Text.Encoding.ASCII.GetBytes(text), out _));
    }

    [Fact]
    public void A_network_keeps_its_prefix_length()
    {
        InetValue network = InetValue.FromIPv4(0x01020000, 16);
        Assert.False(network.IsHost);
        Assert.Equal("1.2.0.0/16", network.ToString());
        Assert.NotEqual(InetValue.FromIPv4(0x01020000), network);
    }

    [Fact]
    public void Default_means_no_address()
    {
        Assert.False(default(InetValue).HasValue);
        Assert.True(InetValue.FromIPv4(0).HasValue);
    }

    [Theory]
    [InlineData("2001:db8:0:0:0:0:0:1")]
    [InlineData("2001:DB8::")]
    [InlineData("1:2:3:4:5:6:7:8")]
    [InlineData("1:2:3:4:5:6:7::")]
    [InlineData("::2:3:4:5:6:7:8")]
    [InlineData("::")]
    [InlineData("1:2:3:4:5:6:1.2.3.4")]
    [InlineData("64:ff9b::192.0.2.33")]
    [InlineData("0001:0db8::000a")]
    public void IPv6_parsed_without_the_framework_matches_the_framework(string text)
    {
        Assert.True(InetValue.TryParseIPv6(System.Text.Encoding.ASCII.GetBytes(text), out ulong high, out ulong low));
        Assert.Equal(InetValue.FromIPAddress(IPAddress.Parse(text)), InetValue.FromIPv6(high, low));
    }

    [Theory]
    [InlineData("1:2:3:4:5:6:7:8:9")]
    [InlineData("1::2::3")]
    [InlineData(":1:2")]
    [InlineData("1:2:")]
    [InlineData("12345::1")]
    [InlineData("1:2:3:4:5:6:7:1.2.3.4")]
    [InlineData("fe80::1%eth0")]
    [InlineData("1:2:3:4:5:6:7:8::")]
    [InlineData("g::1")]
    public void Forms_the_fast_IPv6_parser_does_not_take_are_left_to_the_framework(string text)
    {
        Assert.False(InetValue.TryParseIPv6(System.Text.Encoding.ASCII.GetBytes(text), out _, out _));
        Assert.Equal(IPAddress.TryParse(text, out IPAddress? framework) && framework.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 && framework.ScopeId == 0,
            InetValue.TryParse(System.Text.Encoding.ASCII.GetBytes(text), out _));
    }

    [Fact]
    public void Random_IPv6_addresses_in_every_spelling_parse_like_the_framework_and_without_allocating()
    {
        var random = new Random(4);
        byte[] bytes = new byte[16];
        for (int n = 0; n < 2000; n++)
        {
            random.NextBytes(bytes);

            // Runs of zero groups so that "::" compression appears in the framework's own spelling.
            for (int g = random.Next(8), end = Math.Min(8, g + random.Next(5)); g < end; g++)
            {
                bytes[2 * g] = 0;
                bytes[(2 * g) + 1] = 0;
            }

            var address = new IPAddress(bytes);
            byte[] text = System.Text.Encoding.ASCII.GetBytes(address.ToString());
            long before = GC.GetAllocatedBytesForCurrentThread();
            bool parsed = InetValue.TryParse(text, out InetValue value);
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            Assert.True(parsed, address.ToString());
            Assert.Equal(InetValue.FromIPAddress(address), value);
            Assert.Equal(0, allocated);
        }
    }
}
