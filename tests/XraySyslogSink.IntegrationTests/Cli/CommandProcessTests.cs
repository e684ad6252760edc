using System.Diagnostics;
using XraySyslogSink.IntegrationTests.Infrastructure;

namespace XraySyslogSink.IntegrationTests.Cli;

/// <summary>The built binary dispatches commands: standard input, output, error and exit codes of a real process.</summary>
[Collection(PostgresCollection.Name)]
public sealed class CommandProcessTests(PostgresServer server)
{
    [Fact]
    public async Task Import_from_a_pipe_then_report_help_and_a_usage_error()
    {
        string db = await server.CreateDatabaseAsync();
        string connection = $"--ConnectionStrings:Postgres={db}";

        (int importExit, string importOut, string importError) = await RunAsync(KnownLog.Text, "import", "-", connection);
        Assert.Equal(0, importExit);
        Assert.Equal(string.Empty, importError);
        Assert.StartsWith("-: sha256 a43fd412542e3cf0a6f578eeba7c59920463e69cb322ee8eed44dd9cc515419a\n" + KnownLog.FirstImportSummary, importOut, StringComparison.Ordinal);

        (int reportExit, string reportOut, _) = await RunAsync(null, "report", "top-protocols", "--from", "2025-11-17", "--to", "2025-11-17", "--format", "csv", $"--Reports:ConnectionString={db}");
        Assert.Equal(0, reportExit);
        Assert.Equal("protocol,connections,users,percent\ntcp,8,3,72.73\nudp,2,2,18.18\n,1,0,9.09\n", reportOut);

        (int helpExit, string helpOut, _) = await RunAsync(null, "help");
        Assert.Equal(0, helpExit);
        Assert.StartsWith("usage: xraysink [--config FILE] [--Section:Key=Value ...]   run the collector daemon\n", helpOut, StringComparison.Ordinal);

        (int usageExit, _, string usageError) = await RunAsync(null, "report", "nope", connection);
        Assert.Equal(2, usageExit);
        Assert.StartsWith("xraysink report: unknown report 'nope'", usageError, StringComparison.Ordinal);
    }

    private static async Task<(int Exit, string Out, string Error)> RunAsync(string? input, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(DaemonProcess.DllPath);
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using Process process = Process.Start(start) ?? throw new InvalidOperationException("could not start xraysink");
        Task<string> output = process.StandardOutput.ReadToEndAsync();
        Task<string> error = process.StandardError.ReadToEndAsync();
        if (input is not null)
        {
            await process.StandardInput.WriteAsync(input);
        }

        process.StandardInput.Close();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await output, await error);
    }
}
