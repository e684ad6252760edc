using System.Net;
using XraySyslogSink.IntegrationTests.Infrastructure;

namespace XraySyslogSink.IntegrationTests.Rsyslog;

/// <summary>The node configurations operators copy: valid rsyslog 8, and every one of them exercised end to end.</summary>
public sealed class ShippedRsyslogConfigurationTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("xraysink-rsyslog-check-").FullName;
    private readonly TestCertificates _pki = new();

    /// <summary>The omfwd variants run by <see cref="RsyslogForwardingTests"/> and the omrelp file run by the RELP tests.</summary>
    public static TheoryData<string> ShippedFiles => new(ExercisedFiles());

    [Theory]
    [MemberData(nameof(ShippedFiles))]
    public async Task Shipped_file_passes_rsyslogd_configuration_check(string shippedFile)
    {
        // As shipped (operator values untouched), inside a main configuration that only sets the work directory,
        // like Debian's /etc/rsyslog.conf does before it includes /etc/rsyslog.d/*.conf.
        // The TLS files name certificate files, which omrelp opens at load: those paths (only) point at test files.
        string shipped = Path.Combine(RsyslogProcess.ConfigurationDirectory, shippedFile);
        if (RsyslogProcess.UsesTlsFiles(shippedFile))
        {
            string text = await File.ReadAllTextAsync(shipped);
            foreach ((string literal, string path) in TestFiles())
            {
                text = text.Replace(literal, path, StringComparison.Ordinal);
            }

            shipped = Path.Combine(_directory, shippedFile);
            await File.WriteAllTextAsync(shipped, text);
        }

        string main = $"global(workDirectory=\"{_directory}\")\ninclude(file=\"{shipped}\")\n";
        (int exitCode, string output) = await RsyslogProcess.ValidateAsync(main, _directory);
        Assert.True(exitCode == 0, $"rsyslogd -N1 rejected {shippedFile}:\n{output}");
        Assert.DoesNotContain("error", output, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("warning", output, StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [MemberData(nameof(ShippedFiles))]
    public async Task Test_configuration_differs_from_the_shipped_file_only_in_the_operator_values(string shippedFile)
    {
        Dictionary<string, string> files = RsyslogProcess.UsesTlsFiles(shippedFile) ? TestFiles() : [];
        string generated = RsyslogProcess.Configuration(shippedFile, new IPEndPoint(IPAddress.Loopback, 6514), "/tmp/node/access.log", _directory, files);
        string shipped = await File.ReadAllTextAsync(Path.Combine(RsyslogProcess.ConfigurationDirectory, shippedFile));
        string restored = generated[(generated.IndexOf('\n', generated.IndexOf("global(", StringComparison.Ordinal)) + 1)..]
            .Replace("\"127.0.0.1\"", RsyslogProcess.ShippedCollectorHost, StringComparison.Ordinal)
            .Replace("Port=\"6514\"", RsyslogProcess.ShippedPortLiteral(shippedFile), StringComparison.Ordinal)
            .Replace("\"/tmp/node/access.log\"", RsyslogProcess.ShippedAccessLog, StringComparison.Ordinal);
        foreach ((string literal, string path) in files)
        {
            restored = restored.Replace("\"" + path + "\"", "\"" + literal + "\"", StringComparison.Ordinal);
        }

        Assert.Equal(shipped, restored);
        (int exitCode, string output) = await RsyslogProcess.ValidateAsync(generated, _directory);
        Assert.True(exitCode == 0, $"rsyslogd -N1 rejected the configuration generated from {shippedFile}:\n{output}");
    }

    [Fact]
    public void Every_shipped_rsyslog_file_is_exercised_by_the_end_to_end_tests()
    {
        string[] shipped = Directory.GetFiles(RsyslogProcess.ConfigurationDirectory, "*.conf").Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray()!;
        string[] tested = ExercisedFiles().Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(tested, shipped);
    }

    private static IEnumerable<string> ExercisedFiles() =>
        RsyslogForwardingTests.Variants.Select(variant => (string)variant[0]).Append(RsyslogRelpSender.ShippedFile).Append(Security.TlsForwardingTests.ShippedFile).Append(Security.RelpTlsTests.ShippedFile);

    public void Dispose()
    {
        _pki.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    private Dictionary<string, string> TestFiles() => RsyslogProcess.TlsFiles(_pki.CaFile, _pki.NodeCertificateFile, _pki.NodeKeyFile);
}
