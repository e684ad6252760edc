using System.Globalization;

namespace XraySyslogSink.Cli;

/// <summary>A command line error: the message is printed with a pointer to <c>xraysink help</c>, exit code 2.</summary>
internal sealed class CliUsageException(string message) : Exception(message);

/// <summary>
/// A command's arguments: positional words, its own <c>--name value</c> / <c>--name=value</c> options and flags,
/// and what belongs to the configuration (<c>--config FILE</c>, <c>--Section:Key=Value</c>), kept for
/// <see cref="Hosting.SinkHost.BuildConfiguration"/>.
/// </summary>
internal sealed class CliArguments
{
    private readonly Dictionary<string, string> _values = new(StringComparer.Ordinal);
    private readonly HashSet<string> _flags = new(StringComparer.Ordinal);

    private CliArguments()
    {
    }

    public List<string> Positional { get; } = [];

    public List<string> ConfigurationArguments { get; } = [];

    /// <summary>Splits <paramref name="args"/>; an option the command does not know is a usage error.</summary>
    public static CliArguments Parse(IReadOnlyList<string> args, IReadOnlyCollection<string> valueOptions, IReadOnlyCollection<string>? flags = null)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(valueOptions);
        flags ??= [];
        var parsed = new CliArguments();
        for (int i = 0; i < args.Count; i++)
        {
            string arg = args[i];
            if (arg.Length < 3 || !arg.StartsWith("--", StringComparison.Ordinal))
            {
                parsed.Positional.Add(arg);
                continue;
            }

            int equals = arg.IndexOf('=', StringComparison.Ordinal);
            string name = equals < 0 ? arg[2..] : arg[2..equals];
            if (valueOptions.Contains(name))
            {
                string value = equals >= 0 ? arg[(equals + 1)..]
                    : i + 1 < args.Count ? args[++i]
                    : throw new CliUsageException($"--{name} needs a value");
                parsed._values[name] = value;
            }
            else if (flags.Contains(name) && equals < 0)
            {
                parsed._flags.Add(name);
            }
            else if (name == "config")
            {
                parsed.ConfigurationArguments.Add(equals >= 0 ? arg : $"--config={(i + 1 < args.Count ? args[++i] : throw new CliUsageException("--config needs a file"))}");
            }
            else if (name.Contains(':', StringComparison.Ordinal) && equals > 0)
            {
                parsed.ConfigurationArguments.Add(arg);
            }
            else
            {
                throw new CliUsageException($"unknown option --{name}");
            }
        }

        return parsed;
    }

    public bool Has(string flag) => _flags.Contains(flag);

    public string? Value(string name) => _values.GetValueOrDefault(name);

    public int Int(string name, int defaultValue, int min, int max)
    {
        string? text = Value(name);
        if (text is null)
        {
            return defaultValue;
        }

        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int value) && value >= min && value <= max
            ? value
            : throw new CliUsageException($"--{name} must be a whole number from {min} to {max} (got '{text}')");
    }

    /// <summary>A UTC day: <c>2025-11-17</c>.</summary>
    public DateOnly? Date(string name)
    {
        string? text = Value(name);
        if (text is null)
        {
            return null;
        }

        return DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out DateOnly day)
            ? day
            : throw new CliUsageException($"--{name} must be a date such as 2025-11-17 (got '{text}')");
    }

    /// <summary>
    /// An instant in UTC: a date (<c>2025-11-17</c>, midnight UTC, or the midnight after it when
    /// <paramref name="endOfDay"/>, so that <c>--to</c> includes its day) or a time (<c>2025-11-17T08:30:00Z</c>;
    /// without an offset it is UTC).
    /// </summary>
    public DateTime? Instant(string name, bool endOfDay)
    {
        string? text = Value(name);
        if (text is null)
        {
            return null;
        }

        if (DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out DateOnly day))
        {
            return (endOfDay ? day.AddDays(1) : day).ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc);
        }

        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out DateTimeOffset instant)
            ? instant.UtcDateTime
            : throw new CliUsageException($"--{name} must be a date (2025-11-17) or a time (2025-11-17T08:30:00Z) (got '{text}')");
    }

    /// <summary>A duration: <c>90d</c>, <c>12h</c>, <c>30m</c>, <c>45s</c>, or a time span such as <c>00:30:00</c>.</summary>
    public TimeSpan? Duration(string name)
    {
        string? text = Value(name);
        return text is null ? null : ParseDuration(text) ?? throw new CliUsageException($"--{name} must be a duration such as 90d, 12h, 30m or 00:30:00 (got '{text}')");
    }

    internal static TimeSpan? ParseDuration(string text)
    {
        if (text.Length >= 2 && int.TryParse(text.AsSpan(0, text.Length - 1), NumberStyles.None, CultureInfo.InvariantCulture, out int amount) && amount > 0)
        {
            switch (text[^1])
            {
                case 'd': return TimeSpan.FromDays(amount);
                case 'h': return TimeSpan.FromHours(amount);
                case 'm': return TimeSpan.FromMinutes(amount);
                case 's': return TimeSpan.FromSeconds(amount);
            }
        }

        return TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out TimeSpan span) && span > TimeSpan.Zero ? span : null;
    }
}
