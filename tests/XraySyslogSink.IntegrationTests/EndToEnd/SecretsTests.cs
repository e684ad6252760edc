using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using XraySyslogSink.IntegrationTests.Infrastructure;

namespace XraySyslogSink.IntegrationTests.EndToEnd;

/// <summary>
/// The database password from <c>Database:PasswordFile</c> or <c>XRAYSINK_Database__Password</c>, against a server
/// that really demands it (members of <c>xraysink_password_login</c> authenticate with SCRAM, see pg-local.sh): it
/// works when right, and whether right, wrong or the server unreachable, it appears in no output and no log file.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class SecretsTests(PostgresServer postgres) : IAsyncLifetime
{
    private const string PasswordGroup = "xraysink_password_login";
    private readonly string _secret = "Sup3r-Secret-" + Guid.NewGuid().ToString("N");
    private readonly string _work = Path.Combine(Path.GetTempPath(), "xraysink-secrets-" + Guid.NewGuid().ToString("N"));
    private readonly List<string> _roles = [];

    [Fact]
    public async Task The_password_from_a_file_logs_in_and_never_appears_in_output_or_logs()
    {
        (string admin, string role) = await PasswordRoleAsync(_secret);
        string file = WriteSecretFile(_secret + "\n");
        int port = LoggedDaemon.FreeTcpPort();

        Run run = await RunDaemonAsync(
            [$"--ConnectionStrings:Postgres={Connection(admin, role)}", $"--Database:PasswordFile={file}", $"--Listeners:Tcp=127.0.0.1:{port}"],
            environment: null,
            async daemon =>
            {
                await DaemonProcess.WaitForPortAsync(port, daemon);
                using (var client = new TcpClient())
                {
                    await client.ConnectAsync(IPAddress.Loopback, port);
                    await client.GetStream().WriteAsync(Encoding.UTF8.GetBytes("2025/11/17 10:00:00.000000 from 203.0.113.5:40001 accepted tcp:example.com:443 [in >> out]\n"));
                }

                await Database.WaitForCountAsync(admin, "SELECT count(*) FROM logs", 1);
            });

        Assert.Equal(0, run.ExitCode);
        Assert.Contains("Database schema is ready", run.Everything, StringComparison.Ordinal);
        Assert.DoesNotContain(_secret, run.Everything, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_wrong_password_from_the_environment_fails_the_start_without_showing_it()
    {
        (string admin, string role) = await PasswordRoleAsync("the-right-one-" + Guid.NewGuid().ToString("N"));

        Run run = await RunDaemonAsync(
            [$"--ConnectionStrings:Postgres={Connection(admin, role)}"],
            new Dictionary<string, string> { ["XRAYSINK_Database__Password"] = _secret },
            daemon => daemon.WaitForExitAsync());

        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains("28P01", run.Everything, StringComparison.Ordinal); // password authentication failed
        Assert.DoesNotContain(_secret, run.Everything, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unreachable_database_is_retried_without_showing_the_password()
    {
        string file = WriteSecretFile(_secret);
        int closedPort = LoggedDaemon.FreeTcpPort();

        Run run = await RunDaemonAsync(
            [$"--ConnectionStrings:Postgres=Host=127.0.0.1;Port={closedPort};Database=xraysink;Username=xraysink_writer;Timeout=2", $"--Database:PasswordFile={file}"],
            environment: null,
            async daemon =>
            {
                // Until the retry loop has logged twice.
                DateTime deadline = DateTime.UtcNow.AddSeconds(30);
                while (DateTime.UtcNow < deadline && CountInLogs("Database not reachable yet") < 2)
                {
                    await Task.Delay(200);
                }
            });

        Assert.True(CountInLogs("Database not reachable yet") >= 2, run.Everything);
        Assert.DoesNotContain(_secret, run.Everything, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_password_inside_an_invalid_connection_string_is_masked_in_the_error()
    {
        Run run = await RunDaemonAsync(
            [$"--ConnectionStrings:Postgres=Host=127.0.0.1;Password={_secret};Port={_secret}"],
            environment: null,
            daemon => daemon.WaitForExitAsync());

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("ConnectionStrings:Postgres", run.Everything, StringComparison.Ordinal);
        Assert.DoesNotContain(_secret, run.Everything, StringComparison.Ordinal);
    }

    public Task InitializeAsync() => Task.CompletedTask;

    /// <summary>The test's login roles are cluster-wide; they own nothing, so they can go at once.</summary>
    public async Task DisposeAsync()
    {
        foreach (string role in _roles)
        {
            await Database.ScalarAsync<int>(postgres.ConnectionString, $"DROP ROLE IF EXISTS {role}; SELECT 1");
        }

        if (Directory.Exists(_work))
        {
            Directory.Delete(_work, recursive: true);
        }
    }

    private static string Connection(string admin, string role) =>
        DatabaseRoles.As(admin, role, password: null);

    /// <summary>A login role that must authenticate with <paramref name="password"/> and owns the schema (via xraysink_owner).</summary>
    private async Task<(string Admin, string Role)> PasswordRoleAsync(string password)
    {
        string admin = await postgres.CreateDatabaseAsync();
        await DatabaseRoles.PrepareWriterAsync(admin);
        string role = "xraysink_pw_" + Guid.NewGuid().ToString("N")[..12];
        _roles.Add(role);
        await Database.ScalarAsync<int>(admin, $"""
            DO $$ BEGIN
                IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{PasswordGroup}') THEN
                    CREATE ROLE {PasswordGroup} NOLOGIN;
                END IF;
            END $$;
            CREATE ROLE {role} LOGIN PASSWORD '{password}' IN ROLE {PasswordGroup}, {DatabaseRoles.Owner};
            SELECT 1
            """);
        return (admin, role);
    }

    private string WriteSecretFile(string content)
    {
        Directory.CreateDirectory(_work);
        string file = Path.Combine(_work, "db-password");
        File.WriteAllText(file, content);
        return file;
    }

    private int CountInLogs(string text)
    {
        string logs = Path.Combine(_work, "logs");
        if (!Directory.Exists(logs))
        {
            return 0;
        }

        int count = 0;
        foreach (string file in Directory.GetFiles(logs))
        {
            using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            using var reader = new StreamReader(stream);
            string content = reader.ReadToEnd();
            for (int at = content.IndexOf(text, StringComparison.Ordinal); at >= 0; at = content.IndexOf(text, at + 1, StringComparison.Ordinal))
            {
                count++;
            }
        }

        return count;
    }

    /// <summary>Runs the daemon with its log directory under the test's folder until <paramref name="during"/> ends, then stops it; returns everything it wrote.</summary>
    private async Task<Run> RunDaemonAsync(string[] arguments, Dictionary<string, string>? environment, Func<Process, Task> during)
    {
        string logs = Path.Combine(_work, "logs");
        Directory.CreateDirectory(logs);
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.Environment["XRAYSINK_LOG_DIR"] = logs;
        foreach ((string key, string value) in environment ?? [])
        {
            start.Environment[key] = value;
        }

        foreach (string argument in (string[])[DaemonProcess.DllPath, .. arguments, $"--Spool:Directory={Path.Combine(_work, "spool")}", "--Listeners:Udp=", "--Metrics:Listen=", TestSettings.WideAcceptWindow])
        {
            start.ArgumentList.Add(argument);
        }

        if (!Array.Exists(arguments, a => a.StartsWith("--Listeners:Tcp=", StringComparison.Ordinal)))
        {
            start.ArgumentList.Add($"--Listeners:Tcp=127.0.0.1:{LoggedDaemon.FreeTcpPort()}");
        }

        using Process daemon = Process.Start(start) ?? throw new InvalidOperationException("could not start the daemon");
        var output = new StringBuilder();
        daemon.OutputDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        daemon.ErrorDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        daemon.BeginOutputReadLine();
        daemon.BeginErrorReadLine();
        try
        {
            await during(daemon).WaitAsync(TimeSpan.FromSeconds(60));
        }
        finally
        {
            if (!daemon.HasExited)
            {
                DaemonProcess.SendSigterm(daemon);
                if (!daemon.WaitForExit(TimeSpan.FromSeconds(30)))
                {
                    daemon.Kill(entireProcessTree: true);
                }
            }

            await daemon.WaitForExitAsync();
        }

        var everything = new StringBuilder();
        lock (output)
        {
            everything.Append(output);
        }

        foreach (string file in Directory.GetFiles(logs))
        {
            everything.AppendLine(await File.ReadAllTextAsync(file));
        }

        return new Run(daemon.ExitCode, everything.ToString());
    }

    private sealed record Run(int ExitCode, string Everything);
}
