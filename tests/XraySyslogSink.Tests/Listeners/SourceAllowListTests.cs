using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using XraySyslogSink.Core;
using XraySyslogSink.Listeners.Security;
using XraySyslogSink.Listeners;

namespace XraySyslogSink.Tests.Listeners;

public sealed class SourceAllowListTests
{
    private static InetValue Address(string text) => InetValue.FromIPAddress(IPAddress.Parse(text));

    [Fact]
    public void An_empty_list_allows_everyone()
    {
        Assert.True(SourceAllowList.TryParse([], out SourceAllowList list, out _));
        Assert.True(list.AllowsEveryone);
        Assert.True(list.Allows(Address("203.0.113.9")));
        Assert.True(list.Allows(Address("2001:db8::1")));
    }

    [Theory]
    [InlineData("10.0.0.0/8", "10.255.1.2", true)]
    [InlineData("10.0.0.0/8", "11.0.0.1", false)]
    [InlineData("192.0.2.7", "192.0.2.7", true)]
    [InlineData("192.0.2.7", "192.0.2.8", false)]
    [InlineData("0.0.0.0/0", "198.51.100.1", true)]
    [InlineData("0.0.0.0/0", "2001:db8::1", false)]
    [InlineData("2001:db8::/32", "2001:db8:ffff::1", true)]
    [InlineData("2001:db8::/32", "2001:db9::1", false)]
    [InlineData("2001:db8:0:0:8000::/65", "2001:db8::8000:0:0:1", true)]
    [InlineData("2001:db8:0:0:8000::/65", "2001:db8::7fff:0:0:1", false)]
    [InlineData("::1", "::1", true)]
    [InlineData("::/0", "10.0.0.1", false)]
    [InlineData("::/0", "fe80::1", true)]
    public void Matches_by_network(string entry, string peer, bool allowed)
    {
        Assert.True(SourceAllowList.TryParse([entry], out SourceAllowList list, out string? error), error);
        Assert.Equal(allowed, list.Allows(Address(peer)));
    }

    [Theory]
    [InlineData("10.0.0.1/8", "host bits")]
    [InlineData("10.0.0.0/33", "prefix")]
    [InlineData("2001:db8::/129", "prefix")]
    [InlineData("collector.example.net", "not an IPv4 or IPv6 network")]
    [InlineData("10.0.0.0/x", "prefix")]
    [InlineData("::ffff:10.0.0.0/104", "IPv4 form")]
    public void Rejects_what_is_not_a_network(string entry, string message)
    {
        Assert.False(SourceAllowList.TryParse(["127.0.0.1", entry], out _, out string? error));
        Assert.Contains(message, error, StringComparison.Ordinal);
        Assert.Contains(entry, error, StringComparison.Ordinal);
    }

    [Fact]
    public void Matching_allocates_nothing()
    {
        Assert.True(SourceAllowList.TryParse(["10.0.0.0/8", "192.0.2.0/24", "2001:db8::/32", "fd00::/8"], out SourceAllowList list, out _));
        InetValue v4 = Address("192.0.2.200");
        InetValue v6 = Address("fd12::1");
        InetValue outside = Address("198.51.100.1");
        list.Allows(v4);
        int allowed = 0;
        long allocated = SteadyStateAllocation.Measure(() =>
        {
            for (int i = 0; i < 10_000; i++)
            {
                allowed += (list.Allows(v4) ? 1 : 0) + (list.Allows(v6) ? 1 : 0) + (list.Allows(outside) ? 1 : 0);
            }
        });

        Assert.Equal(0, allocated);
        Assert.Equal(20_000 * (1 + SteadyStateAllocation.Rounds), allowed);
    }

    [Fact]
    public void Per_listener_lists_replace_the_common_one_and_a_bad_update_keeps_the_old_lists()
    {
        var options = new ListenerOptions
        {
            AllowedSources = ["10.0.0.0/8"],
            AllowedSourcesByListener = new(StringComparer.OrdinalIgnoreCase) { ["Udp"] = ["127.0.0.0/8"] },
        };
        using var filter = new SourceFilter(options, NullLogger.Instance);
        Assert.True(filter.For(ListenerKind.Udp).Allows(Address("127.0.0.1")));
        Assert.False(filter.For(ListenerKind.Udp).Allows(Address("10.1.1.1")));
        Assert.False(filter.For(ListenerKind.Tls).Allows(Address("127.0.0.1")));
        Assert.True(filter.For(ListenerKind.RelpTls).Allows(Address("10.1.1.1")));

        Assert.False(filter.Update(new ListenerOptions { AllowedSources = ["not-a-network"] }));
        Assert.True(filter.For(ListenerKind.Udp).Allows(Address("127.0.0.1")));

        Assert.True(filter.Update(new ListenerOptions()));
        Assert.True(filter.For(ListenerKind.Tcp).Allows(Address("198.51.100.1")));
    }

    [Fact]
    public void An_unknown_listener_name_is_an_error_naming_the_key()
    {
        var options = new ListenerOptions { AllowedSourcesByListener = new(StringComparer.OrdinalIgnoreCase) { ["Ftp"] = ["10.0.0.0/8"] } };
        Assert.StartsWith("Listeners:AllowedSourcesByListener:Ftp", SourceFilter.Validate(options), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new byte[] { 0x16, 0x03, 0x01, 0x02, 0x00 }, false, "Tls")]
    [InlineData(new byte[] { 0x16, 0x03, 0x03 }, false, "Tls")]
    [InlineData(new byte[] { 0x16, 0x03 }, false, "NeedMoreData")]
    [InlineData(new byte[] { 0x16 }, true, "Plain")]
    [InlineData(new byte[] { 0x16, 0x03, 0x05 }, false, "Plain")]
    [InlineData(new byte[] { (byte)'1', (byte)'2', (byte)' ', (byte)'<' }, false, "Plain")]
    [InlineData(new byte[] { (byte)'<', (byte)'1', (byte)'4', (byte)'>' }, false, "Plain")]
    [InlineData(new byte[] { (byte)'1' }, false, "Plain")]
    public void Recognises_a_TLS_record_header_at_the_start_of_a_plain_connection(byte[] start, bool completed, string expected)
    {
        var read = new ReadResult(new ReadOnlySequence<byte>(start), isCanceled: false, isCompleted: completed);
        Assert.Equal(expected, MisdirectedTls.Inspect(read).ToString());
    }

    [Theory]
    [InlineData("AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89", true)]
    [InlineData("abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789", true)]
    [InlineData("abcdef0123456789abcdef0123456789abcdef0123456789abcdef012345678", false)]
    [InlineData("zz", false)]
    public void Parses_SHA256_fingerprints_as_openssl_prints_them(string text, bool valid)
    {
        byte[]? parsed = TlsCredentials.ParseFingerprint(text);
        Assert.Equal(valid, parsed is not null);
        if (parsed is not null)
        {
            Assert.Equal(0xAB, parsed[0]);
            Assert.Equal(0x89, parsed[31]);
        }
    }
}
