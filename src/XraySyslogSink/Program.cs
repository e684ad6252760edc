using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using XraySyslogSink.Cli;
using XraySyslogSink.Hosting;

namespace XraySyslogSink;

internal static class Program
{
    private const int ConfigurationError = 2;

    public static async Task<int> Main(string[] args)
    {
        try
        {
            if (CommandLine.IsCommand(args))
            {
                return await RunCommandAsync(args);
            }

            using IHost host = SinkHost.Build(args);
            await host.RunAsync();
            return 0;
        }
        catch (OptionsValidationException ex)
        {
            await Console.Error.WriteLineAsync($"xraysink: invalid configuration: {string.Join("; ", ex.Failures)}");
            return ConfigurationError;
        }
        catch (InvalidOperationException ex) when (ex.Message.StartsWith("Failed to convert configuration value", StringComparison.Ordinal))
        {
            await Console.Error.WriteLineAsync($"xraysink: invalid configuration: {ex.Message}");
            return ConfigurationError;
        }
        catch (OperationCanceledException)
        {
            await Console.Error.WriteLineAsync("xraysink: interrupted");
            return 130;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            await Console.Error.WriteLineAsync($"xraysink: {ex.Message}");
            return 1;
        }
    }

    /// <summary>Runs <c>xraysink COMMAND</c>; Ctrl+C cancels it (an import stops after its last committed batch).</summary>
    private static async Task<int> RunCommandAsync(string[] args)
    {
        using var interrupted = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            interrupted.Cancel();
        };
        var context = new CliContext(Console.Out, Console.Error, TimeProvider.System, interrupted.Token)
        {
            ErrorIsTerminal = !Console.IsErrorRedirected,
        };
        return await CommandLine.RunAsync(args, context);
    }
}
