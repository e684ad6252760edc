using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

namespace XraySyslogSink.Cli;

/// <summary>
/// The options commands share, each parsed by one rule with one error message that names what it accepts. A value
/// that does not parse is a usage error (exit 2) before the command runs.
/// </summary>
internal static class CliOptions
{
    /// <summary>A whole number in <c>[min, max]</c>.</summary>
    public static Option<int> Int(string name, string helpName, string description, int defaultValue, int min, int max) => new(name)
    {
        HelpName = helpName,
        Description = description,
        DefaultValueFactory = _ => defaultValue,
        CustomParser = result => Parse<int>(
            result,
            text => int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int value) && value >= min && value <= max ? value : null,
            string.Create(CultureInfo.InvariantCulture, $"a whole number from {min} to {max}")) ?? defaultValue,
    };

    /// <summary>A UTC day: <c>2025-11-17</c>.</summary>
    public static Option<DateOnly?> Date(string name, string description) => new(name)
    {
        HelpName = "DATE",
        Description = description,
        CustomParser = result => Parse<DateOnly>(result, ParseDate, "a date such as 2025-11-17"),
    };

    /// <summary>
    /// An instant in UTC: a date (<c>2025-11-17</c>, midnight UTC, or the midnight after it when
    /// <paramref name="endOfDay"/>, so that <c>--to</c> includes its day) or a time (<c>2025-11-17T08:30:00Z</c>;
    /// without an offset it is UTC).
    /// </summary>
    public static Option<DateTime?> Instant(string name, bool endOfDay, string description) => new(name)
    {
        HelpName = "TIME",
        Description = description,
        CustomParser = result => Parse<DateTime>(result, text => ParseInstant(text, endOfDay), "a date (2025-11-17) or a time (2025-11-17T08:30:00Z)"),
    };

    /// <summary>A duration: <c>90d</c>, <c>12h</c>, <c>30m</c>, <c>45s</c>, or a time span such as <c>00:30:00</c>.</summary>
    public static Option<TimeSpan?> Duration(string name, string helpName, string description) => new(name)
    {
        HelpName = helpName,
        Description = description,
        CustomParser = result => Parse<TimeSpan>(result, ParseDuration, "a duration such as 90d, 12h, 30m or 00:30:00"),
    };

    /// <summary><c>--format table|csv|json</c>.</summary>
    public static Option<OutputFormat> Format() => new("--format")
    {
        HelpName = "table|csv|json",
        Description = "Output: an aligned table (default), CSV with a header line, or a JSON array of objects.",
        CustomParser = result => Parse<OutputFormat>(result, ParseFormat, "table, csv or json") ?? OutputFormat.Table,
    };

    internal static OutputFormat? ParseFormat(string text) => text switch
    {
        "table" => OutputFormat.Table,
        "csv" => OutputFormat.Csv,
        "json" => OutputFormat.Json,
        _ => null,
    };

    internal static DateOnly? ParseDate(string text) =>
        DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out DateOnly day) ? day : null;

    internal static DateTime? ParseInstant(string text, bool endOfDay)
    {
        if (ParseDate(text) is { } day)
        {
            return (endOfDay ? day.AddDays(1) : day).ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc);
        }

        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out DateTimeOffset instant)
            ? instant.UtcDateTime
            : null;
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

    private static T? Parse<T>(ArgumentResult result, Func<string, T?> parse, string expected)
        where T : struct
    {
        string text = result.Tokens.Count > 0 ? result.Tokens[0].Value : string.Empty;
        T? value = parse(text);
        if (value is null)
        {
            string name = result.Parent is OptionResult option ? option.Option.Name : result.Argument.Name;
            result.AddError($"{name} must be {expected} (got '{text}')");
        }

        return value;
    }
}
