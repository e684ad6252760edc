using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using XraySyslogSink.IntegrationTests.Infrastructure;

namespace XraySyslogSink.IntegrationTests.Service;

/// <summary>
/// xraysink.service as shipped: accepted by <c>systemd-analyze verify</c> and rated "OK" (exposure at most 4.9) by
/// <c>systemd-analyze security --offline=yes</c>, through scripts/check-service.sh; plus the settings the
/// sandbox promises.
/// </summary>
public sealed partial class ServiceUnitTests
{
    private static readonly string Unit = File.ReadAllText(Path.Combine(Repository.Root, "xraysink.service"));

    [Fact]
    public async Task Systemd_analyze_verifies_the_unit_and_rates_it_OK()
    {
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(Repository.Root, "scripts", "check-service.sh"));
        using Process check = Process.Start(start)!;
        string output = await check.StandardOutput.ReadToEndAsync();
        string error = await check.StandardError.ReadToEndAsync();
        await check.WaitForExitAsync();

        Assert.True(check.ExitCode == 0, $"check-service.sh exited {check.ExitCode}: {output} {error}");
        Match rating = Rating().Match(output);
        Assert.True(rating.Success, output);
        Assert.True(double.Parse(rating.Groups["exposure"].Value, CultureInfo.InvariantCulture) <= 4.9, output);
        Assert.Equal("OK", rating.Groups["verdict"].Value);
    }

    [Theory]
    [InlineData("User=xraysink")]
    [InlineData("NoNewPrivileges=yes")]
    [InlineData("ProtectSystem=strict")]
    [InlineData("PrivateTmp=yes")]
    [InlineData("RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX")]
    [InlineData("CapabilityBoundingSet=")]
    [InlineData("AmbientCapabilities=")]
    [InlineData("SystemCallFilter=@system-service")]
    [InlineData("StateDirectory=xraysink xraysink/spool")]
    [InlineData("LogsDirectory=xraysink")]
    public void The_unit_keeps_its_sandbox_settings(string line)
    {
        Assert.Contains(line, Unit.Split('\n').Select(l => l.TrimEnd('\r')));
    }

    [Fact]
    public void The_unit_carries_no_capability_recipe_the_empty_assignments_would_reset()
    {
        Assert.DoesNotContain(Unit.Split('\n'), l => l.TrimStart('#').StartsWith("AmbientCapabilities=CAP_", StringComparison.Ordinal));
        Assert.DoesNotContain(Unit.Split('\n'), l => l.TrimStart('#').StartsWith("CapabilityBoundingSet=CAP_", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_low_port_drop_in_grants_exactly_the_bind_capability_and_the_unit_alone_grants_none()
    {
        string root = Path.Combine(Path.GetTempPath(), "xraysink-unit-root-" + Guid.NewGuid().ToString("N"));
        string units = Path.Combine(root, "etc", "systemd", "system");
        try
        {
            Directory.CreateDirectory(Path.Combine(units, "xraysink.service.d"));
            await File.WriteAllTextAsync(Path.Combine(units, "xraysink.service"), ExecStart().Replace(Unit, "ExecStart=/bin/true"));
            string alone = await SecurityAsync(root);
            Assert.Matches(@"✓ CapabilityBoundingSet=~CAP_NET_\(BIND_SERVICE", alone);
            Assert.Matches(@"✓ PrivateUsers=", alone);

            File.Copy(Path.Combine(Repository.Root, "config", "systemd", "low-port.conf"), Path.Combine(units, "xraysink.service.d", "low-port.conf"));
            string withDropIn = await SecurityAsync(root);
            Assert.Matches(@"✗ CapabilityBoundingSet=~CAP_NET_\(BIND_SERVICE", withDropIn);
            Assert.Matches(@"✗ PrivateUsers=", withDropIn);

            // Nothing but the bind capability: every other capability check still passes.
            Assert.DoesNotMatch(@"✗ (CapabilityBoundingSet|AmbientCapabilities)=~CAP_(SYS|DAC|SET|CHOWN|FOWNER|KILL|NET_ADMIN)", withDropIn);
            Match rating = Rating().Match(withDropIn);
            Assert.True(rating.Success, withDropIn);
            Assert.Equal("OK", rating.Groups["verdict"].Value);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private static async Task<string> SecurityAsync(string root)
    {
        (int exit, string output) = await ExternalTool.RunAsync(
            ExternalTool.Find("systemd-analyze", "systemd"), ["security", "--offline=yes", $"--root={root}", "xraysink.service"], TimeSpan.FromMinutes(1));
        Assert.True(exit == 0, output);
        return output;
    }

    [GeneratedRegex(@"^ExecStart=.*$", RegexOptions.Multiline)]
    private static partial Regex ExecStart();

    [GeneratedRegex(@"Overall exposure level for xraysink\.service: (?<exposure>\d+\.\d) (?<verdict>\w+)")]
    private static partial Regex Rating();
}
