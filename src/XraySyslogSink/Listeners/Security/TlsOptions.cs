using System.Diagnostics.CodeAnalysis;

namespace XraySyslogSink.Listeners.Security;

/// <summary>Whether the TLS listeners ask the node for a certificate (<c>Tls:ClientCertificates</c>).</summary>
[SuppressMessage("Maintainability", "CA1515", Justification = "Public because the unit tests' xunit theories (public methods) take it as a parameter.")]
public enum ClientCertificateMode
{
    /// <summary>No client certificate is requested (server authentication only).</summary>
    None,

    /// <summary>A certificate is requested; a node without one is accepted, one with an untrusted certificate is not.</summary>
    Optional,

    /// <summary>Every node must present a certificate that chains to <c>Tls:ClientCa</c> (and passes the allow lists).</summary>
    Require,
}

/// <summary>
/// Options section <c>Tls</c>: the certificate of the TLS listeners (<c>Listeners:Tls</c>, RFC 5425, and
/// <c>Listeners:RelpTls</c>) and how nodes are authenticated. Read only when one of those listeners is on.
/// </summary>
internal sealed class TlsOptions
{
    public const string SectionName = "Tls";

    /// <summary>PEM file with the collector's certificate, optionally followed by its intermediate CAs. Required when a TLS listener is on.</summary>
    public string Certificate { get; set; } = "";

    /// <summary>PEM file with the private key of <see cref="Certificate"/> (PKCS#8, RSA or EC; unencrypted). Required when a TLS listener is on.</summary>
    public string Key { get; set; } = "";

    /// <summary>Client authentication: <c>None</c> (default), <c>Optional</c> or <c>Require</c>.</summary>
    public ClientCertificateMode ClientCertificates { get; set; } = ClientCertificateMode.None;

    /// <summary>PEM bundle of the CAs that sign node certificates; required unless <see cref="ClientCertificates"/> is <c>None</c>.</summary>
    public string ClientCa { get; set; } = "";

    /// <summary>
    /// When not empty, a node certificate is accepted only if its subject common name or one of its DNS
    /// subject alternative names is in this list (compared without case). Default: any trusted certificate.
    /// </summary>
    public string[] AllowedClientNames { get; set; } = [];

    /// <summary>
    /// When not empty, a node certificate is accepted only if its SHA-256 fingerprint (hex, colons optional,
    /// as <c>openssl x509 -fingerprint -sha256</c> prints it) is in this list. Applied together with
    /// <see cref="AllowedClientNames"/>: a certificate passing either list is accepted.
    /// </summary>
    public string[] AllowedClientFingerprints { get; set; } = [];

    /// <summary>A TLS handshake not finished within this time (default 10 s) is cut and counted.</summary>
    public TimeSpan HandshakeTimeout { get; set; } = TimeSpan.FromSeconds(10);
}
