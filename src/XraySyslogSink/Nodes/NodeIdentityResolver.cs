using System.Security.Cryptography.X509Certificates;
using XraySyslogSink.Core;

namespace XraySyslogSink.Nodes;

/// <summary>
/// The accept-time half of node identity: what a listener can vouch for when it takes a message. A verified
/// client certificate first (<see cref="CertificateNodeNames"/>), then the operator's network mapping
/// (<see cref="NodeNetworks"/>); otherwise nothing, and the parser applies the HOSTNAME and peer-address rules
/// (<see cref="NodeAttribution"/>). Immutable and thread-safe.
/// </summary>
internal sealed class NodeIdentityResolver
{
    private readonly NodeNetworks _networks;
    private readonly CertificateNodeNames _certificates;

    private NodeIdentityResolver(NodeNetworks networks, CertificateNodeNames certificates)
    {
        _networks = networks;
        _certificates = certificates;
    }

    /// <summary>Resolves nothing at accept time: every message is named by the parser.</summary>
    public static NodeIdentityResolver None { get; } = new(NodeNetworks.Empty, CertificateNodeNames.Empty);

    /// <summary>True when no network is mapped, so plain listeners need not look up their peers.</summary>
    public bool HasNoNetworks => _networks.IsEmpty;

    /// <summary>Builds the resolver; each bad setting is added to <paramref name="errors"/> by its key.</summary>
    public static NodeIdentityResolver Create(NodeOptions options, List<string> errors)
    {
        ArgumentNullException.ThrowIfNull(options);
        NodeNetworks networks = NodeNetworks.Parse(options.Networks, $"{NodeOptions.SectionName}:{nameof(NodeOptions.Networks)}", errors);
        CertificateNodeNames certificates = CertificateNodeNames.Parse(options.CertificateNames, $"{NodeOptions.SectionName}:{nameof(NodeOptions.CertificateNames)}", errors);
        return new NodeIdentityResolver(networks, certificates);
    }

    /// <summary>The identity of a message from <paramref name="peer"/> without a certificate (UDP, TCP, RELP).</summary>
    public NodeIdentity ForPeer(InetValue peer) =>
        _networks.Find(peer) is { } name ? new NodeIdentity(name, NodeIdentitySource.Network) : default;

    /// <summary>
    /// The identity of a connection: its verified client certificate's name when it has one, else the network
    /// mapping. Decided once per connection and recorded with each message it delivers.
    /// </summary>
    public NodeIdentity ForConnection(InetValue peer, X509Certificate2? verifiedCertificate)
    {
        if (verifiedCertificate is not null && _certificates.NameOf(verifiedCertificate) is { } name)
        {
            return new NodeIdentity(name, NodeIdentitySource.Certificate);
        }

        return ForPeer(peer);
    }

    /// <summary>Every node name the configuration mentions, so their series exist from the start.</summary>
    public static IEnumerable<string> ConfiguredNames(NodeOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.CertificateNames.Keys.Concat(options.Networks.Keys).Distinct(StringComparer.Ordinal);
    }
}
