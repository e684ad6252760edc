using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using XraySyslogSink.Core;
using XraySyslogSink.Nodes;

namespace XraySyslogSink.Tests.Nodes;

/// <summary>Node identity, strongest first: certificate, network mapping, HOSTNAME, peer address.</summary>
public sealed class NodeIdentityTests
{
    private static readonly InetValue SitePeer = InetValue.FromIPAddress(IPAddress.Parse("10.1.0.9"));
    private static readonly InetValue HostPeer = InetValue.FromIPAddress(IPAddress.Parse("10.1.0.7"));
    private static readonly InetValue OtherPeer = InetValue.FromIPAddress(IPAddress.Parse("192.0.2.55"));
    private static readonly InetValue V6Peer = InetValue.FromIPAddress(IPAddress.Parse("2001:db8:7::42"));

    [Theory]
    [InlineData("node-a", true)]
    [InlineData("Node_A.example.org", true)]
    [InlineData("192.0.2.7", true)]
    [InlineData("", false)]
    [InlineData("-", false)]
    [InlineData("node\u0007a", false)]
    [InlineData("node\u007fa", false)]
    [InlineData("nodé", false)]
    public void A_hostname_names_a_node_only_when_it_is_a_valid_name(string hostname, bool valid) =>
        Assert.Equal(valid, NodeNames.IsValidHostname(System.Text.Encoding.UTF8.GetBytes(hostname)));

    [Fact]
    public void A_hostname_longer_than_the_name_column_is_not_a_node_name()
    {
        Assert.True(NodeNames.IsValidHostname(Enumerable.Repeat((byte)'a', 255).ToArray()));
        Assert.False(NodeNames.IsValidHostname(Enumerable.Repeat((byte)'a', 256).ToArray()));
    }

    [Theory]
    [InlineData("node a", true)]
    [InlineData("узел-1", true)]
    [InlineData(" node", false)]
    [InlineData("node\n", false)]
    [InlineData("-", false)]
    [InlineData("", false)]
    public void A_configured_or_certificate_name_may_hold_spaces_and_letters_but_no_control_characters(string name, bool valid) =>
        Assert.Equal(valid, NodeNames.IsValidName(name));

    [Fact]
    public void The_most_specific_network_names_the_node()
    {
        NodeIdentityResolver resolver = Resolver(new NodeOptions
        {
            Networks = new()
            {
                ["site-a"] = ["10.1.0.0/24"],
                ["node-a7"] = ["10.1.0.7"],
                ["node-v6"] = ["2001:db8:7::/64"],
            },
        });

        Assert.Equal(new NodeIdentity("site-a", NodeIdentitySource.Network), resolver.ForPeer(SitePeer));
        Assert.Equal(new NodeIdentity("node-a7", NodeIdentitySource.Network), resolver.ForPeer(HostPeer));
        Assert.Equal(new NodeIdentity("node-v6", NodeIdentitySource.Network), resolver.ForPeer(V6Peer));
        Assert.Null(resolver.ForPeer(OtherPeer).Name);
        Assert.Null(resolver.ForPeer(default).Name);
    }

    [Theory]
    [InlineData("10.1.0.1/24", "host bits")]
    [InlineData("10.1.0.0/33", "not an IPv4 or IPv6 network")]
    [InlineData("node-b.example", "not an IPv4 or IPv6 network")]
    [InlineData("::ffff:10.1.0.0/120", "IPv4 form")]
    public void A_bad_network_is_refused_naming_its_key(string network, string expected)
    {
        List<string> errors = [];
        NodeIdentityResolver.Create(new NodeOptions { Networks = new() { ["node-a"] = [network] } }, errors);

        string error = Assert.Single(errors);
        Assert.StartsWith("Nodes:Networks:node-a: ", error, StringComparison.Ordinal);
        Assert.Contains(expected, error, StringComparison.Ordinal);
    }

    [Fact]
    public void One_network_mapped_to_two_nodes_is_refused()
    {
        List<string> errors = [];
        NodeIdentityResolver.Create(new NodeOptions { Networks = new() { ["node-a"] = ["10.1.0.0/24"], ["node-b"] = ["10.1.0.0/24"] } }, errors);

        Assert.Contains("is already mapped to node 'node-a'", Assert.Single(errors), StringComparison.Ordinal);
    }

    [Fact]
    public void A_node_name_with_a_control_character_is_refused_escaped()
    {
        List<string> errors = [];
        NodeIdentityResolver.Create(new NodeOptions { Networks = new() { ["node\nforged"] = ["10.1.0.0/24"] } }, errors);

        string error = Assert.Single(errors);
        Assert.DoesNotContain('\n', error);
        Assert.Contains(@"node\u000aforged", error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_certificate_is_named_by_its_CN_or_by_the_name_its_fingerprint_maps_to()
    {
        using X509Certificate2 mapped = Certificate("CN=node-7f3a, O=Fleet");
        using X509Certificate2 plain = Certificate("CN=node-b, O=Fleet");
        string fingerprint = Convert.ToHexString(SHA256.HashData(mapped.RawData));
        string colons = string.Join(':', Enumerable.Range(0, 32).Select(i => fingerprint.Substring(2 * i, 2))).ToLowerInvariant();
        NodeIdentityResolver resolver = Resolver(new NodeOptions
        {
            CertificateNames = new() { ["tokyo-1"] = [colons] },
            Networks = new() { ["site-a"] = ["10.1.0.0/24"] },
        });

        Assert.Equal(new NodeIdentity("tokyo-1", NodeIdentitySource.Certificate), resolver.ForConnection(SitePeer, mapped));
        Assert.Equal(new NodeIdentity("node-b", NodeIdentitySource.Certificate), resolver.ForConnection(SitePeer, plain));
        Assert.Equal(new NodeIdentity("site-a", NodeIdentitySource.Network), resolver.ForConnection(SitePeer, null));
    }

    [Fact]
    public void A_certificate_without_a_usable_CN_falls_through_to_the_network_rule()
    {
        using X509Certificate2 noCn = Certificate("O=Fleet, OU=Nodes");
        using X509Certificate2 controlCn = Certificate("CN=\"node\u0001x\"");
        NodeIdentityResolver resolver = Resolver(new NodeOptions { Networks = new() { ["site-a"] = ["10.1.0.0/24"] } });

        Assert.Equal(new NodeIdentity("site-a", NodeIdentitySource.Network), resolver.ForConnection(SitePeer, noCn));
        Assert.Equal(new NodeIdentity("site-a", NodeIdentitySource.Network), resolver.ForConnection(SitePeer, controlCn));
        Assert.Null(resolver.ForConnection(OtherPeer, noCn).Name);
    }

    [Fact]
    public void A_bad_or_duplicate_fingerprint_is_refused_naming_its_key()
    {
        string fingerprint = new('a', 64);
        List<string> errors = [];
        NodeIdentityResolver.Create(new NodeOptions { CertificateNames = new() { ["node-a"] = ["abc"], ["node-b"] = [fingerprint], ["node-c"] = [fingerprint.ToUpperInvariant()] } }, errors);

        Assert.Equal(2, errors.Count);
        Assert.StartsWith("Nodes:CertificateNames:node-a: 'abc' is not a SHA-256 fingerprint", errors[0], StringComparison.Ordinal);
        Assert.StartsWith("Nodes:CertificateNames:node-c: fingerprint", errors[1], StringComparison.Ordinal);
    }

    [Fact]
    public void The_established_identity_wins_over_the_hostname_and_a_disagreement_is_reported()
    {
        var attribution = new NodeAttribution();
        var certificate = new NodeIdentity("tokyo-1", NodeIdentitySource.Certificate);

        NodeChoice agrees = attribution.Choose(certificate, "TOKYO-1"u8, OtherPeer);
        Assert.Equal(NodeIdentitySource.Certificate, agrees.Source);
        Assert.Equal("tokyo-1", agrees.Name);
        Assert.False(agrees.HostnameDisagrees);

        NodeChoice disagrees = attribution.Choose(certificate, "node-berlin"u8, OtherPeer);
        Assert.Equal("tokyo-1", disagrees.Name);
        Assert.True(disagrees.DisagreeingHostname.SequenceEqual("node-berlin"u8));

        // An invalid HOSTNAME claims nothing, so it cannot disagree.
        Assert.False(attribution.Choose(certificate, "-"u8, OtherPeer).HostnameDisagrees);
    }

    [Fact]
    public void Without_an_established_identity_a_valid_hostname_names_the_node_else_the_peer_address()
    {
        var attribution = new NodeAttribution();

        NodeChoice byHostname = attribution.Choose(default, "node-a"u8, OtherPeer);
        Assert.Equal(NodeIdentitySource.Hostname, byHostname.Source);
        Assert.Null(byHostname.Name);
        Assert.True(byHostname.Hostname.SequenceEqual("node-a"u8));

        foreach (byte[] invalid in new[] { "-"u8.ToArray(), [], "bad\u0001name"u8.ToArray(), Enumerable.Repeat((byte)'x', 300).ToArray() })
        {
            NodeChoice byPeer = attribution.Choose(default, invalid, OtherPeer);
            Assert.Equal(NodeIdentitySource.PeerAddress, byPeer.Source);
            Assert.Equal("192.0.2.55", byPeer.Name);
        }

        Assert.Equal("2001:db8:7::42", attribution.Choose(default, ""u8, V6Peer).Name);
        Assert.Same(attribution.Choose(default, ""u8, V6Peer).Name, attribution.Choose(default, ""u8, V6Peer).Name);
    }

    [Fact]
    public void Each_node_and_hostname_pair_is_logged_once_and_memory_stays_bounded()
    {
        var mismatches = new HostnameMismatches(capacity: 3);

        Assert.Equal(MismatchVerdict.New, mismatches.Record("tokyo-1", "node-berlin"u8));
        Assert.Equal(MismatchVerdict.Known, mismatches.Record("tokyo-1", "node-berlin"u8));
        Assert.Equal(MismatchVerdict.New, mismatches.Record("tokyo-1", "node-paris"u8));
        Assert.Equal(MismatchVerdict.New, mismatches.Record("osaka-2", "node-berlin"u8));
        for (int i = 0; i < 1000; i++)
        {
            MismatchVerdict verdict = mismatches.Record("tokyo-1", System.Text.Encoding.ASCII.GetBytes($"invented-{i}"));
            Assert.Equal(i == 0 ? MismatchVerdict.FirstOverCapacity : MismatchVerdict.OverCapacity, verdict);
        }

        Assert.Equal(3, mismatches.Count);
        Assert.Equal(MismatchVerdict.Known, mismatches.Record("osaka-2", "node-berlin"u8));
    }

    [Fact]
    public void Configured_names_are_every_name_the_mappings_mention_once()
    {
        var options = new NodeOptions
        {
            Networks = new() { ["site-a"] = ["10.1.0.0/24"], ["tokyo-1"] = ["10.2.0.0/24"] },
            CertificateNames = new() { ["tokyo-1"] = [new string('a', 64)] },
        };

        Assert.Equal(["tokyo-1", "site-a"], NodeIdentityResolver.ConfiguredNames(options));
    }

    private static NodeIdentityResolver Resolver(NodeOptions options)
    {
        List<string> errors = [];
        NodeIdentityResolver resolver = NodeIdentityResolver.Create(options, errors);
        Assert.Empty(errors);
        return resolver;
    }

    private static X509Certificate2 Certificate(string subject)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
    }
}
