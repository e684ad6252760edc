using System.Diagnostics;

namespace XraySyslogSink.IntegrationTests.Infrastructure;

/// <summary>
/// A PostgreSQL server of the test's own (scripts/pg-local.sh in a temporary directory) that the test may
/// stop and start again; a restart keeps the port, so a running daemon reconnects to the same address.
/// </summary>
public sealed class PrivatePostgres : IAsyncDisposable
{
    private readonly string _directory;

    private PrivatePostgres(string directory, string connectionString)
    {
        _directory = directory;
        ConnectionString = connectionString;
    }

    public string ConnectionString { get; }

    public static async Task<PrivatePostgres> StartAsync()
    {
        string directory = Path.Combine(Path.GetTempPath(), "pg-spool-test-" + Guid.NewGuid().ToString("N")[..12]);
        string connectionString = await RunAsync("start", directory);
        return new PrivatePostgres(directory, connectionString);
    }

    public Task StopAsync() => RunAsync("stop", _directory);

    public async Task RestartAsync()
    {
        string connectionString = await RunAsync("start", _directory);

        // The test's own pooled connections died with the old server.
        Npgsql.NpgsqlConnection.ClearAllPools();
        if (connectionString != ConnectionString)
        {
            throw new InvalidOperationException($"the restarted server moved from {ConnectionString} to {connectionString}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        await RunAsync("stop", _directory);
        Directory.Delete(_directory, recursive: true);
    }

    private static async Task<string> RunAsync(string command, string directory)
    {
        var start = new ProcessStartInfo("bash")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(RepositoryRoot(), "scripts", "pg-local.sh"));
        start.ArgumentList.Add(command);
        start.ArgumentList.Add(directory);
        using Process process = Process.Start(start) ?? throw new InvalidOperationException("cannot run pg-local.sh");
        Task<string> error = process.StandardError.ReadToEndAsync();
        string output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"pg-local.sh {command} failed: {await error}");
        }

        return output.Trim();
    }

    private static string RepositoryRoot() =>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(DaemonProcess.DllPath)!, "..", "..", "..", "..", ".."));
}
