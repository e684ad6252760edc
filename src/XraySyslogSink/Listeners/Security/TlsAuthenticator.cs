using System.Net;
using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;
using XraySyslogSink.Nodes;
using XraySyslogSink.Telemetry;

namespace XraySyslogSink.Listeners.Security;

/// <summary>
/// The server side of TLS for <c>Listeners:Tls</c> and <c>Listeners:RelpTls</c>: the collector certificate loaded
/// once from <c>Tls:Certificate</c>/<c>Tls:Key</c>, TLS 1.2 and 1.3 only, and the node check: a chain to
/// <c>Tls:ClientCa</c> (custom root trust, not the system store) and the optional name/fingerprint allow lists.
/// A handshake that fails or does not finish within <c>Tls:HandshakeTimeout</c> is counted and the connection closed.
/// </summary>
internal sealed partial class TlsAuthenticator : IDisposable
{
    public const string HandshakeTimeout = "tls_handshake_timeout";
    public const string HandshakeFailed = "tls_handshake_failed";
    public const string NoClientCertificate = "tls_no_client_certificate";
    public const string UntrustedClientCertificate = "tls_untrusted_client_certificate";
    public const string ClientNotAllowed = "tls_client_not_allowed";

    private static readonly Oid ClientAuthentication = new("1.3.6.1.5.5.7.3.2");

    private readonly SslStreamCertificateContext _context;
    private readonly X509Certificate2 _certificate;
    private readonly X509Certificate2Collection _clientCa;
    private readonly ClientCertificateMode _mode;
    private readonly HashSet<string> _allowedNames;
    private readonly byte[][] _allowedFingerprints;
    private readonly TimeSpan _timeout;
    private readonly SinkMetrics _metrics;
    private readonly ILogger _logger;

    private TlsAuthenticator(TlsCredentials credentials, TlsOptions options, SinkMetrics metrics, ILogger logger)
    {
        _certificate = credentials.Certificate;
        _clientCa = credentials.ClientCa;
        _mode = options.ClientCertificates;
        _allowedNames = new HashSet<string>(options.AllowedClientNames, StringComparer.OrdinalIgnoreCase);
        _allowedFingerprints = [.. options.AllowedClientFingerprints.Select(f => TlsCredentials.ParseFingerprint(f)!)];
        _timeout = options.HandshakeTimeout;
        _metrics = metrics;
        _logger = logger;
        SslCertificateTrust? trust = _mode == ClientCertificateMode.None ? null : SslCertificateTrust.CreateForX509Collection(_clientCa, sendTrustInHandshake: true);
        _context = SslStreamCertificateContext.Create(_certificate, credentials.Intermediates, offline: true, trust);
    }

    /// <summary>Loads the files named by <paramref name="options"/> (validated at start) and logs what is in force.</summary>
    public static TlsAuthenticator Create(TlsOptions options, SinkMetrics metrics, ILogger logger)
    {
        TlsCredentials credentials = TlsCredentials.Load(options);
        var authenticator = new TlsAuthenticator(credentials, options, metrics, logger);
        authenticator.LogCertificate(
            credentials.Certificate.Subject,
            credentials.Certificate.NotAfter,
            options.ClientCertificates,
            credentials.ClientCa.Count);
        return authenticator;
    }

    /// <summary>
    /// Runs the server handshake over <paramref name="inner"/>. Returns the secured stream, or null after counting
    /// the refusal under <paramref name="listener"/> and disposing <paramref name="inner"/>.
    /// </summary>
    /// <param name="mayLog">Asked before each log line about this client (the per-peer log limit).</param>
    public async Task<SslStream?> AuthenticateAsync(Stream inner, EndPoint? remote, string listener, Func<bool> mayLog, CancellationToken stop)
    {
        string? refusal = null;
        string subject = "(none)";
        var ssl = new SslStream(inner, leaveInnerStreamOpen: false);
        var options = new SslServerAuthenticationOptions
        {
            ServerCertificateContext = _context,
            EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
            ClientCertificateRequired = _mode != ClientCertificateMode.None,
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
            AllowRenegotiation = false,
            RemoteCertificateValidationCallback = (_, certificate, chain, _) =>
            {
                subject = certificate?.Subject ?? subject;
                refusal = Judge(certificate, chain);
                return refusal is null;
            },
        };

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stop);
        timeout.CancelAfter(_timeout);
        try
        {
            await ssl.AuthenticateAsServerAsync(options, timeout.Token);
            if (_logger.IsEnabled(LogLevel.Debug))
            {
                string client = NodeText.Escape(ssl.RemoteCertificate?.Subject ?? "none");
                LogHandshake(remote, ssl.SslProtocol, ssl.NegotiatedCipherSuite, client);
            }

            return ssl;
        }
        catch (OperationCanceledException) when (!stop.IsCancellationRequested)
        {
            refusal = HandshakeTimeout;
            if (mayLog())
            {
                LogHandshakeTimeout(remote, _timeout);
            }
        }
        catch (OperationCanceledException)
        {
            refusal = "shutdown";
        }
        catch (Exception ex) when (ex is AuthenticationException or IOException or ObjectDisposedException)
        {
            refusal ??= HandshakeFailed;
            if (!mayLog())
            {
                // Over this peer's log limit: counted, not written.
            }
            else if (refusal == HandshakeFailed)
            {
                string error = NodeText.Escape(ex.GetBaseException().Message);
                LogHandshakeFailed(remote, error);
            }
            else
            {
                string client = NodeText.Escape(subject);
                LogClientRefused(remote, refusal, client);
            }
        }

        if (refusal != "shutdown")
        {
            _metrics.ConnectionRejected(listener, refusal);
        }

        await ssl.DisposeAsync();
        return null;
    }

    public void Dispose() => _certificate.Dispose();

    // The client certificate's verdict: null to accept, otherwise the refusal reason.
    private string? Judge(X509Certificate? certificate, X509Chain? presented)
    {
        if (certificate is null)
        {
            return _mode == ClientCertificateMode.Require ? NoClientCertificate : null;
        }

        if (_mode == ClientCertificateMode.None)
        {
            return null;
        }

        if (certificate is not X509Certificate2 node)
        {
            return UntrustedClientCertificate;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(_clientCa);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.ApplicationPolicy.Add(ClientAuthentication);
        if (presented is not null)
        {
            foreach (X509ChainElement element in presented.ChainElements)
            {
                if (!element.Certificate.RawDataMemory.Span.SequenceEqual(node.RawDataMemory.Span))
                {
                    chain.ChainPolicy.ExtraStore.Add(element.Certificate);
                }
            }
        }

        if (!chain.Build(node))
        {
            return UntrustedClientCertificate;
        }

        if (_allowedNames.Count == 0 && _allowedFingerprints.Length == 0)
        {
            return null;
        }

        return IsAllowed(node) ? null : ClientNotAllowed;
    }

    private bool IsAllowed(X509Certificate2 node)
    {
        if (_allowedNames.Count > 0)
        {
            if (_allowedNames.Contains(node.GetNameInfo(X509NameType.SimpleName, forIssuer: false)))
            {
                return true;
            }

            foreach (X509Extension extension in node.Extensions)
            {
                if (extension is X509SubjectAlternativeNameExtension names)
                {
                    foreach (string dns in names.EnumerateDnsNames())
                    {
                        if (_allowedNames.Contains(dns))
                        {
                            return true;
                        }
                    }
                }
            }
        }

        if (_allowedFingerprints.Length > 0)
        {
            Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
            SHA256.HashData(node.RawDataMemory.Span, hash);
            foreach (byte[] allowed in _allowedFingerprints)
            {
                if (hash.SequenceEqual(allowed))
                {
                    return true;
                }
            }
        }

        return false;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "TLS certificate {Subject} (valid until {NotAfter}); client certificates: {Mode}, {CaCount} trusted CA certificates")]
    private partial void LogCertificate(string subject, DateTime notAfter, ClientCertificateMode mode, int caCount);

    [LoggerMessage(Level = LogLevel.Debug, Message = "TLS from {Remote}: {Protocol} {Cipher}, client certificate {Subject}")]
    private partial void LogHandshake(EndPoint? remote, SslProtocols protocol, TlsCipherSuite cipher, string subject);

    [LoggerMessage(Level = LogLevel.Information, Message = "TLS handshake from {Remote} not finished within {Timeout} (Tls:HandshakeTimeout); closed")]
    private partial void LogHandshakeTimeout(EndPoint? remote, TimeSpan timeout);

    [LoggerMessage(Level = LogLevel.Information, Message = "TLS handshake from {Remote} failed: {Error}")]
    private partial void LogHandshakeFailed(EndPoint? remote, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "TLS client {Remote} refused ({Reason}); certificate {Subject}")]
    private partial void LogClientRefused(EndPoint? remote, string reason, string subject);
}
