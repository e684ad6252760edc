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
    [InlineData("#AmbientCapabilities=CAP_NET_BIND_SERVICE")]
    [InlineData("SystemCallFilter=@system-service")]
    [InlineData("StateDirectory=xraysink xraysink/spool")]
    [InlineData("LogsDirectory=xraysink")]
    public void The_unit_keeps_its_sandbox_settings(string line)
    {
        Assert.Contains(line, Unit.Split('\n').Select(l => l.TrimEnd('\r')));
    }

    [GeneratedRegex(@"Overall exposure level for xraysink\.service: (?<exposure>\d+\.\d) (?<verdict>\w+)")]
    private static partial Regex Rating();
}
