using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace XraySyslogSink.IntegrationTests.Infrastructure;

/// <summary>
/// A throwaway PKI made at run time (never committed): a CA, the collector certificate (CN and DNS name
/// <c>xraysink-collector</c>, IP 127.0.0.1 and ::1), node certificates signed by that CA, and a second, untrusted CA
/// with a node certificate of its own. Every file is PEM in a private directory deleted at dispose.
/// </summary>
public sealed class TestCertificates : IDisposable
{
    /// <summary>The name rsyslog nodes check the collector certificate for (StreamDriverPermittedPeers).</summary>
    public const string CollectorName = "xraysink-collector";

    private readonly X509Certificate2 _ca;
    private readonly X509Certificate2 _rogueCa;

    public TestCertificates()
    {
        Directory = System.IO.Directory.CreateTempSubdirectory("xraysink-pki-").FullName;
        _ca = CreateCa("CN=xraysink test CA");
        _rogueCa = CreateCa("CN=someone else's CA");
        CaFile = WriteCertificate("ca.pem", _ca);
        (CollectorCertificateFile, CollectorKeyFile) = Issue(_ca, "collector", CollectorName, serverAuth: true);
        (NodeCertificateFile, NodeKeyFile) = Issue(_ca, "node-1", "node-1", serverAuth: false);
        (OtherNodeCertificateFile, OtherNodeKeyFile) = Issue(_ca, "node-2", "node-2", serverAuth: false);
        (RogueNodeCertificateFile, RogueNodeKeyFile) = Issue(_rogueCa, "rogue", "node-1", serverAuth: false);
    }

    public string Directory { get; }

    public string CaFile { get; }

    public string CollectorCertificateFile { get; }

    public string CollectorKeyFile { get; }

    public string NodeCertificateFile { get; }

    public string NodeKeyFile { get; }

    /// <summary>Trusted (signed by <see cref="CaFile"/>) but named <c>node-2</c>.</summary>
    public string OtherNodeCertificateFile { get; }

    public string OtherNodeKeyFile { get; }

    /// <summary>Named <c>node-1</c> like the good node, but signed by a CA the collector does not trust.</summary>
    public string RogueNodeCertificateFile { get; }

    public string RogueNodeKeyFile { get; }

    /// <summary>The collector arguments for TLS with <c>Tls:ClientCertificates</c> = <paramref name="mode"/>.</summary>
    public string[] CollectorArguments(string mode = "Require") =>
    [
        $"--Tls:Certificate={CollectorCertificateFile}",
        $"--Tls:Key={CollectorKeyFile}",
        $"--Tls:ClientCertificates={mode}",
        $"--Tls:ClientCa={CaFile}",
    ];

    /// <summary>SHA-256 fingerprint of a certificate file, as <c>openssl x509 -fingerprint -sha256</c> writes it.</summary>
    public static string Fingerprint(string certificateFile)
    {
        using X509Certificate2 certificate = X509Certificate2.CreateFromPem(File.ReadAllText(certificateFile));
        return Convert.ToHexString(SHA256.HashData(certificate.RawData)).Chunk(2).Select(pair => new string(pair)).Aggregate((a, b) => a + ":" + b);
    }

    public void Dispose()
    {
        _ca.Dispose();
        _rogueCa.Dispose();
        System.IO.Directory.Delete(Directory, recursive: true);
    }

    private static X509Certificate2 CreateCa(string subject)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
    }

    private (string Certificate, string Key) Issue(X509Certificate2 ca, string fileName, string name, bool serverAuth)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName(name);
        if (serverAuth)
        {
            names.AddIpAddress(IPAddress.Loopback);
            names.AddIpAddress(IPAddress.IPv6Loopback);
        }

        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyAgreement, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [new Oid(serverAuth ? "1.3.6.1.5.5.7.3.1" : "1.3.6.1.5.5.7.3.2")], false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca, true, false));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        byte[] serial = RandomNumberGenerator.GetBytes(12);
        serial[0] &= 0x7F;
        using X509Certificate2 issued = request.Create(ca, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(29), serial);
        string certificatePath = WriteCertificate(fileName + ".pem", issued);
        string keyPath = Path.Combine(Directory, fileName + ".key");
        File.WriteAllText(keyPath, key.ExportPkcs8PrivateKeyPem());
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(keyPath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
        return (certificatePath, keyPath);
    }

    private string WriteCertificate(string fileName, X509Certificate2 certificate)
    {
        string path = Path.Combine(Directory, fileName);
        File.WriteAllText(path, certificate.ExportCertificatePem());
        return path;
    }
}
