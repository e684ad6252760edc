using System.Net;
using XraySyslogSink.Pipeline;

namespace XraySyslogSink.Tests.Pipeline;

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
}
