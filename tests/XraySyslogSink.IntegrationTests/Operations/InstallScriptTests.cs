using XraySyslogSink.IntegrationTests.Infrastructure;

namespace XraySyslogSink.IntegrationTests.Operations;

/// <summary><c>scripts/install.sh --prefix</c>: the staged tree, the installed binary against the test database, and operator files kept.</summary>
[Collection(PostgresCollection.Name)]
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class InstallScriptTests(PostgresServer postgres) : IDisposable
{
    private readonly string _prefix = Path.Combine(Path.GetTempPath(), "xraysink-install-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public async Task A_staged_install_lays_out_the_tree_runs_migrate_and_keeps_an_operators_settings_on_reinstall()
    {
        (int exit, string output) = await InstallAsync();
        Assert.True(exit == 0, output);
        Assert.Contains("systemd-analyze verify: ok", output, StringComparison.Ordinal);
        Assert.Contains("Next steps:", output, StringComparison.Ordinal);

        string app = Path.Combine(_prefix, "opt", "xraysink");
        Assert.True(File.Exists(Path.Combine(app, "xraysink.dll")));
        Assert.True(File.Exists(Path.Combine(app, "README.md")));
        Assert.Equal(
            Directory.GetFiles(Path.Combine(Repository.Root, "docs"), "*.md").Select(Path.GetFileName).Order(StringComparer.Ordinal),
            Directory.GetFiles(Path.Combine(app, "docs"), "*.md").Select(Path.GetFileName).Order(StringComparer.Ordinal));
        UnixFileMode everyoneReads = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
        UnixFileMode everyoneRuns = everyoneReads | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;
        Assert.Equal(everyoneRuns, File.GetUnixFileMode(app));
        Assert.Equal(everyoneRuns, File.GetUnixFileMode(Path.Combine(app, "xraysink")));
        Assert.Equal(everyoneReads, File.GetUnixFileMode(Path.Combine(app, "xraysink.dll")));
        string etc = Path.Combine(_prefix, "etc", "xraysink");
        Assert.Equal(await File.ReadAllTextAsync(Path.Combine(Repository.Root, "config", "appsettings.json")), await File.ReadAllTextAsync(Path.Combine(etc, "appsettings.json")));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead, File.GetUnixFileMode(Path.Combine(etc, "appsettings.json")));
        Assert.True(File.Exists(Path.Combine(etc, "NLog.config")));
        foreach (string directory in (string[])["var/lib/xraysink/spool", "var/log/xraysink"])
        {
            Assert.Equal(
                UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute,
                File.GetUnixFileMode(Path.Combine(_prefix, directory)));
        }

        string unit = await File.ReadAllTextAsync(Path.Combine(_prefix, "etc", "systemd", "system", "xraysink.service"));
        Assert.Equal(await File.ReadAllTextAsync(Path.Combine(Repository.Root, "xraysink.service")), unit);
        Assert.Contains("ExecReload=/bin/kill -HUP $MAINPID", unit, StringComparison.Ordinal);
        string sysctl = Path.Combine(_prefix, "etc", "sysctl.d", "60-xraysink.conf");
        Assert.Contains("net.core.rmem_max = 33554432", await File.ReadAllTextAsync(sysctl), StringComparison.Ordinal);

        // The installed binary (its apphost, as the unit starts it) applies the schema to the test database.
        string database = await postgres.CreateDatabaseAsync();
        (exit, output) = await ProgramRun.RunAsync(Path.Combine(app, "xraysink"), "migrate", $"--ConnectionStrings:Postgres={database}");
        Assert.True(exit == 0, output);
        Assert.Contains("schema is up to date", output, StringComparison.Ordinal);
        Assert.Equal(1L, await Database.ScalarAsync<long>(database, "SELECT count(*) FROM pg_partitioned_table WHERE partrelid = 'logs'::regclass"));

        // An operator's edits survive a second install; the shipped defaults land beside them, and the sysctl follows
        // the buffer set but never goes below what the machine already allows (the file is read at boot after others).
        const string Edited = "{ \"Listeners\": { \"UdpReceiveBufferSize\": 4096 } }\n";
        await File.WriteAllTextAsync(Path.Combine(etc, "appsettings.json"), Edited);
        long machine = long.Parse(await File.ReadAllTextAsync("/proc/sys/net/core/rmem_max"), System.Globalization.CultureInfo.InvariantCulture);
        (exit, output) = await InstallAsync();
        Assert.True(exit == 0, output);
        Assert.Equal(Edited, await File.ReadAllTextAsync(Path.Combine(etc, "appsettings.json")));
        Assert.True(File.Exists(Path.Combine(etc, "appsettings.json.dist")));
        Assert.Contains("kept the existing", output, StringComparison.Ordinal);
        string written = await File.ReadAllTextAsync(sysctl);
        long kept = long.Parse(System.Text.RegularExpressions.Regex.Match(written, @"net\.core\.rmem_max = (\d+)").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(kept >= machine && kept > 4096, written);
        Assert.Contains($"net.core.rmem_max is already {kept}, above the receive buffer (4096): keeping {kept}", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_reinstall_replaces_an_unedited_unit_and_keeps_an_edited_one()
    {
        (int exit, string output) = await InstallAsync();
        Assert.True(exit == 0, output);
        string unit = Path.Combine(_prefix, "etc", "systemd", "system", "xraysink.service");
        string shippedCopy = Path.Combine(_prefix, "opt", "xraysink", "systemd", "xraysink.service");
        string shipped = await File.ReadAllTextAsync(Path.Combine(Repository.Root, "xraysink.service"));
        Assert.Equal(shipped, await File.ReadAllTextAsync(shippedCopy));
        Assert.True(File.Exists(Path.Combine(_prefix, "opt", "xraysink", "systemd", "low-port.conf")));

        // As an older release left it: /etc holds exactly the unit that release shipped, so it is replaced.
        string older = shipped.Replace("TimeoutStopSec=45", "TimeoutStopSec=30", StringComparison.Ordinal);
        await File.WriteAllTextAsync(unit, older);
        await File.WriteAllTextAsync(shippedCopy, older);
        (exit, output) = await InstallAsync();
        Assert.True(exit == 0, output);
        Assert.Equal(shipped, await File.ReadAllTextAsync(unit));

        // The operator edited it: kept, with the way forward named; the new unit is beside the application.
        string edited = shipped + "# the operator's edit\n";
        await File.WriteAllTextAsync(unit, edited);
        (exit, output) = await InstallAsync();
        Assert.True(exit == 0, output);
        Assert.Equal(edited, await File.ReadAllTextAsync(unit));
        Assert.Equal(shipped, await File.ReadAllTextAsync(shippedCopy));
        Assert.Contains($"kept the existing {unit}", output, StringComparison.Ordinal);
        Assert.Contains("drop-ins", output, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        if (Directory.Exists(_prefix))
        {
            Directory.Delete(_prefix, recursive: true);
        }
    }

    private Task<(int Exit, string Output)> InstallAsync()
    {
        // The suite runs on a fresh build: publish it rather than compiling again under the running tests.
        bool built = File.Exists(DaemonProcess.DllPath) && DaemonProcess.DllPath.Contains("/Release/", StringComparison.Ordinal);
        return ProgramRun.RunAsync("bash", [Path.Combine(Repository.Root, "scripts", "install.sh"), "--prefix", _prefix, .. built ? (string[])["--no-build"] : []]);
    }
}
