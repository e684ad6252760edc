using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using XraySyslogSink.Core;
using XraySyslogSink.Listeners.Security;
using XraySyslogSink.Listeners;

namespace XraySyslogSink.Tests.Listeners;

public sealed class ListenerExposureTests
{
    [Fact]
    public void A_plain_listener_beyond_loopback_without_an_allow_list_is_warned_about_and_UDP_is_called_spoofable()
    {
        var options = new ListenerOptions { Udp = "0.0.0.0:5514", Tcp = "[::]:5514", Relp = "127.0.0.1:2514" };
        List<string> warnings = Warnings(options, new TlsOptions());
        Assert.Equal(2, warnings.Count);
        Assert.StartsWith("Listeners:Udp (0.0.0.0:5514) accepts every source address", warnings[0], StringComparison.Ordinal);
        Assert.Contains("forged", warnings[0], StringComparison.Ordinal);
        Assert.StartsWith("Listeners:Tcp ([::]:5514) accepts every source address", warnings[1], StringComparison.Ordinal);
    }

    [Fact]
    public void An_allow_list_silences_the_warning_for_the_listeners_it_covers()
    {
        var options = new ListenerOptions
        {
            Udp = "0.0.0.0:5514",
            Tcp = "0.0.0.0:5514",
            AllowedSourcesByListener = new(StringComparer.OrdinalIgnoreCase) { ["Udp"] = ["10.0.0.0/8"] },
        };
        Assert.Equal(["Listeners:Tcp"], Warnings(options, new TlsOptions()).Select(warning => warning[..warning.IndexOf(' ', StringComparison.Ordinal)]));
        options.AllowedSources = ["192.0.2.0/24"];
        Assert.Empty(Warnings(options, new TlsOptions()));
    }

    [Theory]
    [InlineData(ClientCertificateMode.None, 2)]
    [InlineData(ClientCertificateMode.Optional, 2)]
    [InlineData(ClientCertificateMode.Require, 0)]
    public void A_TLS_listener_beyond_loopback_that_authenticates_no_node_is_warned_about(ClientCertificateMode mode, int expected)
    {
        var options = new ListenerOptions { Udp = "", Tcp = "", Tls = "0.0.0.0:6514", RelpTls = "[::]:2515", AllowedSources = ["10.0.0.0/8"] };
        List<string> warnings = Warnings(options, new TlsOptions { ClientCertificates = mode });
        Assert.Equal(expected, warnings.Count);
        Assert.All(warnings, warning => Assert.Contains($"authenticates no node (Tls:ClientCertificates={mode})", warning, StringComparison.Ordinal));

        options.Tls = "127.0.0.1:6514";
        options.RelpTls = "[::1]:2515";
        Assert.Empty(Warnings(options, new TlsOptions { ClientCertificates = mode }));
    }

    [Fact]
    public void The_shipped_configuration_accepts_loopback_and_private_ranges_only()
    {
        string root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "XraySyslogSink.sln")))
        {
            root = Path.GetDirectoryName(root) ?? throw new InvalidOperationException("repository root not found");
        }

        var options = new ListenerOptions();
        new ConfigurationBuilder().AddJsonFile(Path.Combine(root, "config", "appsettings.json")).Build().GetSection(ListenerOptions.SectionName).Bind(options);
        var filter = new SourceFilter(options, NullLogger.Instance);
        foreach (ListenerKind kind in Enum.GetValues<ListenerKind>())
        {
            SourceAllowList list = filter.For(kind);
            foreach (string allowed in (string[])["127.0.0.1", "10.1.2.3", "172.16.0.9", "172.31.255.1", "192.168.1.1", "::1", "fd00::7"])
            {
                Assert.True(list.Allows(InetValue.FromIPAddress(IPAddress.Parse(allowed))), $"{kind} refuses {allowed}");
            }

            foreach (string refused in (string[])["8.8.8.8", "172.32.0.1", "100.64.0.1", "192.0.2.1", "2001:db8::1", "11.0.0.1"])
            {
                Assert.False(list.Allows(InetValue.FromIPAddress(IPAddress.Parse(refused))), $"{kind} accepts {refused}");
            }
        }

        Assert.Empty(Warnings(options, new TlsOptions()));
        Assert.Equal([SourceAllowList.Private], options.AllowedSources);
    }

    [Fact]
    public void A_list_the_operator_writes_from_index_0_replaces_the_shipped_keyword_whole()
    {
        var memory = new Dictionary<string, string?> { ["Listeners:AllowedSources:0"] = "private" };
        var overrides = new Dictionary<string, string?> { ["Listeners:AllowedSources:0"] = "203.0.113.0/24" };
        var options = new ListenerOptions();
        new ConfigurationBuilder().AddInMemoryCollection(memory).AddInMemoryCollection(overrides).Build().GetSection(ListenerOptions.SectionName).Bind(options);
        SourceAllowList list = new SourceFilter(options, NullLogger.Instance).For(ListenerKind.Tcp);
        Assert.True(list.Allows(InetValue.FromIPAddress(IPAddress.Parse("203.0.113.9"))));
        Assert.False(list.Allows(InetValue.FromIPAddress(IPAddress.Parse("10.0.0.1"))));
    }

    private static List<string> Warnings(ListenerOptions options, TlsOptions tls) =>
        ListenerExposure.Warnings(ListenerFactory.Configured(options), tls, new SourceFilter(options, NullLogger.Instance));
}
