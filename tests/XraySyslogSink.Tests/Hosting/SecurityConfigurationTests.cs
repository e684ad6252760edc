using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using XraySyslogSink.Hosting;
using XraySyslogSink.Tests.Telemetry;

namespace XraySyslogSink.Tests.Hosting;

/// <summary>The TLS, allow-list and limit settings are checked at start, each failure naming its key.</summary>
[Collection(MeterProviderCollection.Name)]
public sealed class SecurityConfigurationTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("xraysink-tls-config-").FullName;

    [Theory]
    [InlineData("--Listeners:AllowedSources:0=10.0.0.1/8", "Listeners:AllowedSources")]
    [InlineData("--Listeners:AllowedSourcesByListener:Ftp:0=10.0.0.0/8", "Listeners:AllowedSourcesByListener:Ftp")]
    [InlineData("--Listeners:AllowedSourcesByListener:Udp:0=nonsense", "Listeners:AllowedSourcesByListener:Udp")]
    [InlineData("--Listeners:MaxBufferedBytesPerConnection=4096", "Listeners:MaxBufferedBytesPerConnection")]
    [InlineData("--Listeners:MaxConnectionsPerSource=0", "Listeners:MaxConnectionsPerSource")]
    [InlineData("--Listeners:MaxConnectionsPerPrefix=0", "Listeners:MaxConnectionsPerPrefix")]
    [InlineData("--Listeners:MaxSilentConnectionsPerSource=0", "Listeners:MaxSilentConnectionsPerSource")]
    [InlineData("--Listeners:SendTimeout=-00:00:01", "Listeners:SendTimeout")]
    [InlineData("--Listeners:Tls=collector:6514", "Listeners:Tls")]
    [InlineData("--Listeners:RelpTls=127.0.0.1:99999", "Listeners:RelpTls")]
    [InlineData("--Tls:HandshakeTimeout=00:00:00", "Tls:HandshakeTimeout")]
    [InlineData("--Tls:AllowedClientFingerprints:0=12:34", "Tls:AllowedClientFingerprints")]
    public async Task Invalid_security_settings_fail_the_start_naming_the_key(string argument, string key) =>
        await AssertStartFailsAsync(key, argument);

    [Fact]
    public async Task A_TLS_listener_without_certificate_files_fails_the_start_naming_the_key()
    {
        await AssertStartFailsAsync("Tls:Certificate", "--Listeners:Tls=127.0.0.1:0");
        await AssertStartFailsAsync("Tls:Certificate", "--Listeners:Tls=127.0.0.1:0", $"--Tls:Certificate={_directory}/missing.pem", $"--Tls:Key={_directory}/missing.key");
    }

    [Fact]
    public async Task A_key_that_does_not_match_the_certificate_fails_the_start_naming_Tls_Key()
    {
        (string certificate, _) = WriteSelfSigned("one");
        (_, string otherKey) = WriteSelfSigned("two");
        await AssertStartFailsAsync("Tls:Key", "--Listeners:Tls=127.0.0.1:0", $"--Tls:Certificate={certificate}", $"--Tls:Key={otherKey}");
    }

    [Fact]
    public async Task Required_client_certificates_need_a_CA_bundle()
    {
        (string certificate, string key) = WriteSelfSigned("collector");
        await AssertStartFailsAsync("Tls:ClientCa", "--Listeners:RelpTls=127.0.0.1:0", $"--Tls:Certificate={certificate}", $"--Tls:Key={key}", "--Tls:ClientCertificates=Require");
        await AssertStartFailsAsync("Tls:ClientCa", "--Listeners:Tls=127.0.0.1:0", $"--Tls:Certificate={certificate}", $"--Tls:Key={key}", "--Tls:ClientCertificates=Require", $"--Tls:ClientCa={key}");
    }

    [Fact]
    public async Task Allow_lists_of_node_certificates_need_client_certificates()
    {
        await AssertStartFailsAsync("Tls:AllowedClientNames", "--Tls:AllowedClientNames:0=node-1");
    }

    [Theory]
    [InlineData("--Tls:AllowedClientNames:0=node-1")]
    [InlineData("--Tls:AllowedClientFingerprints:0=AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89")]
    public async Task Optional_client_certificates_with_allow_lists_are_contradictory_and_refused_naming_the_keys(string list)
    {
        OptionsValidationException error = await AssertStartFailsAsync("Tls:AllowedClientNames", "--Tls:ClientCertificates=Optional", list);
        Assert.Contains(error.Failures, failure => failure.Contains("Tls:ClientCertificates=Require", StringComparison.Ordinal) && failure.Contains("Tls:AllowedClientFingerprints", StringComparison.Ordinal));
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static async Task<OptionsValidationException> AssertStartFailsAsync(string key, params string[] arguments)
    {
        using IHost host = SinkHost.Build([.. arguments, "--ConnectionStrings:Postgres=Host=127.0.0.1;Port=1", "--Listeners:Udp=", "--Listeners:Tcp="], logging => logging.ClearProviders());
        OptionsValidationException error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
        Assert.True(error.Failures.Any(failure => failure.StartsWith(key, StringComparison.Ordinal)), string.Join("\n", error.Failures));
        return error;
    }

    private (string Certificate, string Key) WriteSelfSigned(string name)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using X509Certificate2 certificate = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256)
            .CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        string certificatePath = Path.Combine(_directory, name + ".pem");
        string keyPath = Path.Combine(_directory, name + ".key");
        File.WriteAllText(certificatePath, certificate.ExportCertificatePem());
        File.WriteAllText(keyPath, key.ExportPkcs8PrivateKeyPem());
        return (certificatePath, keyPath);
    }
}
