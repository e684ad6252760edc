using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using XraySyslogSink.Hosting;

namespace XraySyslogSink;

internal static class Program
{
    private const int ConfigurationError = 2;

    public static async Task<int> Main(string[] args)
    {
        try
        {
            if (args.Length > 0 && args[0] == "migrate")
            {
                return await MigrateCommand.RunAsync(args[1..]);
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
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            await Console.Error.WriteLineAsync($"xraysink: {ex.Message}");
            return 1;
        }
    }
}
