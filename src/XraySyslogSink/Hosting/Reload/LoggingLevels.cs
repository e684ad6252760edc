using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;

namespace XraySyslogSink.Hosting.Reload;

/// <summary>
/// <c>Logging:LogLevel:Default</c> and <c>Logging:LogLevel:&lt;category prefix&gt;</c>: minimum levels applied before
/// NLog's rules (e.g. <c>"XraySyslogSink.Listeners": "Debug"</c> or <c>"Default": "Warning"</c>). Read at start
/// (an invalid level stops the start, naming the key) and again on every reload; a change reaches every logger
/// through the options change token.
/// </summary>
internal sealed class LoggingLevels : IReloadableSettings, IConfigureOptions<LoggerFilterOptions>, IOptionsChangeTokenSource<LoggerFilterOptions>, IDisposable
{
    public const string SectionName = "Logging:LogLevel";

    private IReadOnlyList<(string? Category, LogLevel Level)> _levels;
    private CancellationTokenSource _changed = new();

    public LoggingLevels(IConfiguration configuration)
    {
        List<string> failures = [];
        _levels = Read(configuration, failures);
        if (failures.Count > 0)
        {
            throw new OptionsValidationException(SectionName, typeof(LoggerFilterOptions), failures);
        }
    }

    string IReloadableSettings.Name => "log levels";

    string IOptionsChangeTokenSource<LoggerFilterOptions>.Name => Options.DefaultName;

    public void Configure(LoggerFilterOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        foreach ((string? category, LogLevel level) in Volatile.Read(ref _levels))
        {
            options.Rules.Add(new LoggerFilterRule(providerName: null, categoryName: category, logLevel: level, filter: null));
        }
    }

    public IChangeToken GetChangeToken() => new CancellationChangeToken(Volatile.Read(ref _changed).Token);

    public Action? Prepare(IConfiguration configuration, ICollection<string> failures)
    {
        List<string> local = [];
        IReadOnlyList<(string? Category, LogLevel Level)> levels = Read(configuration, local);
        if (local.Count > 0)
        {
            foreach (string failure in local)
            {
                failures.Add(failure);
            }

            return null;
        }

        if (levels.SequenceEqual(Volatile.Read(ref _levels)))
        {
            return null;
        }

        return () =>
        {
            Volatile.Write(ref _levels, levels);
            CancellationTokenSource previous = Interlocked.Exchange(ref _changed, new CancellationTokenSource());
            previous.Cancel();
            previous.Dispose();
        };
    }

    public void Dispose() => _changed.Dispose();

    private static List<(string? Category, LogLevel Level)> Read(IConfiguration configuration, List<string> failures)
    {
        List<(string?, LogLevel)> levels = [];
        foreach (IConfigurationSection entry in configuration.GetSection(SectionName).GetChildren().OrderBy(e => e.Key, StringComparer.Ordinal))
        {
            if (!Enum.TryParse(entry.Value, ignoreCase: true, out LogLevel level) || !Enum.IsDefined(level) || int.TryParse(entry.Value, out _))
            {
                failures.Add($"{SectionName}:{entry.Key}: '{entry.Value}' is not a log level (Trace, Debug, Information, Warning, Error, Critical, None)");
                continue;
            }

            levels.Add((string.Equals(entry.Key, "Default", StringComparison.OrdinalIgnoreCase) ? null : entry.Key, level));
        }

        return levels;
    }
}
