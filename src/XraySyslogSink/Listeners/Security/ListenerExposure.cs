using System.Net;

namespace XraySyslogSink.Listeners.Security;

/// <summary>
/// The start-up warnings about listeners open beyond this host that check nobody: a plain listener (UDP, TCP, RELP)
/// without a source allow list, and a TLS listener that does not require client certificates. Both are legitimate
/// (a trusted network, a firewall in front), so they are warnings, not errors.
/// </summary>
internal static class ListenerExposure
{
    public static List<string> Warnings(IEnumerable<(ListenerKind Kind, IPEndPoint EndPoint)> listeners, TlsOptions tls, SourceFilter sources)
    {
        var warnings = new List<string>();
        foreach ((ListenerKind kind, IPEndPoint endPoint) in listeners)
        {
            if (IPAddress.IsLoopback(endPoint.Address))
            {
                continue;
            }

            string where = $"{ListenerFactory.Key(kind)} ({endPoint})";
            if (ListenerFactory.IsTls(kind))
            {
                if (tls.ClientCertificates != ClientCertificateMode.Require)
                {
                    warnings.Add($"{where} authenticates no node ({TlsOptions.SectionName}:{nameof(TlsOptions.ClientCertificates)}={tls.ClientCertificates}): any client that reaches it can write rows; set {TlsOptions.SectionName}:{nameof(TlsOptions.ClientCertificates)}=Require with {TlsOptions.SectionName}:{nameof(TlsOptions.ClientCa)}");
                }
            }
            else if (sources.For(kind).AllowsEveryone)
            {
                warnings.Add($"{where} accepts every source address ({ListenerOptions.SectionName}:{nameof(ListenerOptions.AllowedSources)} is empty): list your nodes' networks"
                    + (kind == ListenerKind.Udp ? "; over UDP a source address can be forged, so the list limits noise, not who can write" : ""));
            }
        }

        return warnings;
    }
}
