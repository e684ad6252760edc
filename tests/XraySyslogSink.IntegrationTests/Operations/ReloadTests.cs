using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using XraySyslogSink.IntegrationTests.Infrastructure;
using XraySyslogSink.IntegrationTests.Spool;

namespace XraySyslogSink.IntegrationTests.Operations;

/// <summary>SIGHUP to the daemon process re-reads its settings file: a new time zone applies to the next line, an invalid one is refused.</summary>
[Collection(PostgresCollection.Name)]
public sealed class ReloadTests(PostgresServer postgres) : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "xraysink-reload-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public async Task Sighup_applies_a_new_time_zone_to_the_next_line_and_keeps_it_when_the_next_file_is_invalid()
    {
        (LoggedDaemon started, string database, string settings) = await StartAsync();
        using LoggedDaemon daemon = started;

        // The same wall-clock time each time: 10:00 in the node's zone.
        await SendAsync(daemon, port: 1);
        Assert.Equal(new DateTime(2025, 11, 17, 10, 0, 0, DateTimeKind.Utc), await RowTimeAsync(database, port: 1));

        await WriteZoneAsync(settings, "Asia/Tokyo");
        await SighupAsync(daemon, "Configuration reloaded: time zones");
        await SendAsync(daemon, port: 2);
        Assert.Equal(new DateTime(2025, 11, 17, 1, 0, 0, DateTimeKind.Utc), await RowTimeAsync(database, port: 2));

        await WriteZoneAsync(settings, "Mars/Olympus");
        await SighupAsync(daemon, "Configuration reload rejected");
        string rejection = Assert.Single(daemon.Lines, l => l.Contains("Configuration reload rejected", StringComparison.Ordinal));
        Assert.Contains("Xray:TimeZone: 'Mars/Olympus' is not a known IANA time zone", rejection, StringComparison.Ordinal);
        await SendAsync(daemon, port: 3);
        Assert.Equal(new DateTime(2025, 11, 17, 1, 0, 0, DateTimeKind.Utc), await RowTimeAsync(database, port: 3));

        await File.WriteAllTextAsync(settings, "{ \"Xray\": { \"TimeZone\": ");
        await SighupAsync(daemon, "Configuration reload rejected", occurrences: 2);
        await SendAsync(daemon, port: 4);
        Assert.Equal(new DateTime(2025, 11, 17, 1, 0, 0, DateTimeKind.Utc), await RowTimeAsync(database, port: 4));

        Assert.False(daemon.Process.HasExited);
        Assert.Empty(daemon.Errors());
        Assert.True(daemon.StopGracefully(TimeSpan.FromSeconds(30)), "the daemon should stop with exit code 0");
    }

    [Fact]
    public async Task With_watch_files_on_saving_the_settings_file_reloads_without_a_signal()
    {
        (LoggedDaemon started, string database, string settings) = await StartAsync("--Reload:WatchFiles=true");
        using LoggedDaemon daemon = started;

        // An editor's way of saving: write a new file, then rename it over the old one.
        string temporary = settings + ".tmp";
        await WriteZoneAsync(temporary, "America/New_York");
        File.Move(temporary, settings, overwrite: true);
        await WaitForLogAsync(daemon, "Configuration reloaded: time zones", 1);

        await SendAsync(daemon, port: 1);
        Assert.Equal(new DateTime(2025, 11, 17, 15, 0, 0, DateTimeKind.Utc), await RowTimeAsync(database, port: 1));
        Assert.True(daemon.StopGracefully(TimeSpan.FromSeconds(30)), "the daemon should stop with exit code 0");
    }

    [Fact]
    public async Task Sighup_applies_new_allowed_sources_to_the_next_connection()
    {
        (LoggedDaemon started, string database, string settings) = await StartAsync();
        using LoggedDaemon daemon = started;

        await File.WriteAllTextAsync(settings, "{ \"Listeners\": { \"AllowedSources\": [\"10.0.0.0/8\"] } }\n");
        await SighupAsync(daemon, "Configuration reloaded: allowed sources");
        try
        {
            await SendAsync(daemon, port: 1);
        }
        catch (Exception ex) when (ex is IOException or System.Net.Sockets.SocketException)
        {
            // Closed at accept: the sender may or may not notice.
        }

        await File.WriteAllTextAsync(settings, "{ \"Listeners\": { \"AllowedSources\": [\"127.0.0.0/8\"] } }\n");
        await SighupAsync(daemon, "Configuration reloaded: allowed sources", occurrences: 2);
        await SendAsync(daemon, port: 2);
        Assert.Equal(new DateTime(2025, 11, 17, 10, 0, 0, DateTimeKind.Utc), await RowTimeAsync(database, port: 2));
        Assert.Equal(0L, await Database.ScalarAsync<long>(database, "SELECT count(*) FROM logs WHERE source_port = 1"));
        Assert.True(daemon.StopGracefully(TimeSpan.FromSeconds(30)), "the daemon should stop with exit code 0");
    }

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    /// <summary>A database of its own and the daemon reading <c>Xray:TimeZone=UTC</c> from a settings file in the test's directory.</summary>
    private async Task<(LoggedDaemon Daemon, string Database, string Settings)> StartAsync(params string[] arguments)
    {
        Directory.CreateDirectory(_directory);
        string settings = Path.Combine(_directory, "appsettings.json");
        await WriteZoneAsync(settings, "UTC");
        string database = await postgres.CreateDatabaseAsync();
        LoggedDaemon daemon = await LoggedDaemon.StartAsync(database, Path.Combine(_directory, "spool"), LoggedDaemon.FreeTcpPort(),
            [$"--config={settings}", "--Writer:FlushInterval=00:00:00.200", .. arguments]);
        return (daemon, database, settings);
    }

    private static Task WriteZoneAsync(string path, string zone) =>
        File.WriteAllTextAsync(path, $"{{ \"Xray\": {{ \"TimeZone\": \"{zone}\" }} }}\n");

    private static Task SendAsync(LoggedDaemon daemon, int port) =>
        TestLines.SendAsync(
            new IPEndPoint(IPAddress.Loopback, daemon.Port),
            Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"2025/11/17 10:00:00.000000 from 10.0.0.1:{port} accepted tcp:a.example:443 [in >> out] email: zone@example.com\n")));

    private static async Task<DateTime> RowTimeAsync(string database, int port)
    {
        await Database.WaitForCountAsync(database, $"SELECT count(*) FROM logs WHERE source_port = {port}", 1);
        return (await Database.ScalarAsync<DateTime>(database, $"SELECT \"timestamp\" FROM logs WHERE source_port = {port}")).ToUniversalTime();
    }

    private static async Task SighupAsync(LoggedDaemon daemon, string expectedLog, int occurrences = 1)
    {
        using (Process kill = Process.Start("kill", ["-HUP", daemon.Process.Id.ToString(CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync();
        }

        await WaitForLogAsync(daemon, expectedLog, occurrences);
    }

    private static async Task WaitForLogAsync(LoggedDaemon daemon, string expectedLog, int occurrences)
    {
        DateTime deadline = DateTime.UtcNow.AddSeconds(20);
        while (daemon.Lines.Count(l => l.Contains(expectedLog, StringComparison.Ordinal)) < occurrences && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }

        Assert.Equal(occurrences, daemon.Lines.Count(l => l.Contains(expectedLog, StringComparison.Ordinal)));
    }
}
