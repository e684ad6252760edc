using System.Text;
using XraySyslogSink.Cli;

namespace XraySyslogSink.IntegrationTests.Infrastructure;

/// <summary>What one <c>xraysink COMMAND</c> run printed and returned.</summary>
public sealed record CliRun(int ExitCode, string Out, string Error);

/// <summary>Runs <c>xraysink</c> commands in-process against a test database, with a stopped clock and captured output.</summary>
public static class CliRunner
{
    public static Task<CliRun> RunAsync(string connectionString, DateTimeOffset now, params string[] args) =>
        RunAsync(connectionString, now, null, CancellationToken.None, args);

    public static async Task<CliRun> RunAsync(string connectionString, DateTimeOffset now, Stream? input, CancellationToken cancellationToken, params string[] args)
    {
        using var output = new StringWriter { NewLine = "\n" };
        using var error = new StringWriter { NewLine = "\n" };
        var context = new CliContext(output, error, new FixedTimeProvider(now), cancellationToken)
        {
            OpenInput = () => input ?? new MemoryStream(),
        };
        // The daemon's and the reports' connection (the shipped settings name xraysink_reader for reports).
        int exit = await CommandLine.RunAsync([.. args, $"--ConnectionStrings:Postgres={connectionString}", $"--Reports:ConnectionString={connectionString}"], context);
        return new CliRun(exit, output.ToString(), error.ToString());
    }

    /// <summary>Writes <paramref name="text"/> to a fresh file under the temp directory and returns its path.</summary>
    public static string WriteTempFile(string text, string extension = ".log")
    {
        string path = Path.Combine(Path.GetTempPath(), $"xraysink-cli-test-{Guid.NewGuid():N}{extension}");
        File.WriteAllText(path, text, new UTF8Encoding(false));
        return path;
    }
}
