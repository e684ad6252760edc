using Microsoft.Extensions.Options;
using XraySyslogSink.Core;

namespace XraySyslogSink.Listeners.Security;

/// <summary>
/// Checks the <c>Tls</c> section when <c>Listeners:Tls</c> or <c>Listeners:RelpTls</c> is on: the files exist and load,
/// the key matches the certificate, and the allow lists make sense.
/// </summary>
internal sealed class TlsOptionsValidator(IOptions<ListenerOptions> listeners) : SectionValidator<TlsOptions>(TlsOptions.SectionName)
{
    protected override void ValidateMore(TlsOptions options, List<string> failures)
    {
        RequirePositive(options.HandshakeTimeout, nameof(options.HandshakeTimeout), failures);
        foreach (string fingerprint in options.AllowedClientFingerprints)
        {
            if (TlsCredentials.ParseFingerprint(fingerprint) is null)
            {
                failures.Add($"{Key(nameof(options.AllowedClientFingerprints))}: '{fingerprint}' is not a SHA-256 fingerprint (64 hex digits, colons allowed)");
            }
        }

        if (options.ClientCertificates != ClientCertificateMode.Require && (options.AllowedClientNames.Length > 0 || options.AllowedClientFingerprints.Length > 0))
        {
            // With Optional a node without a certificate is accepted, so the lists would restrict only the nodes that present one.
            failures.Add($"{Key(nameof(options.AllowedClientNames))} and {Key(nameof(options.AllowedClientFingerprints))} need {Key(nameof(options.ClientCertificates))}=Require (got {options.ClientCertificates}, which accepts a node without a certificate)");
        }

        ListenerOptions listening = listeners.Value;
        if (string.IsNullOrWhiteSpace(listening.Tls) && string.IsNullOrWhiteSpace(listening.RelpTls))
        {
            return;
        }

        try
        {
            TlsCredentials.Load(options).Certificate.Dispose();
        }
        catch (TlsConfigurationException ex)
        {
            failures.Add(ex.Message);
        }
    }
}
