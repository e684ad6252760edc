using System.Collections;
using System.Globalization;
using System.Reflection;
using System.Text.RegularExpressions;

namespace XraySyslogSink.Tests.Docs;

/// <summary>
/// docs/configuration.md is the settings reference: every settable property of every options section has a row
/// there (<c>| `Section:Key` | default | meaning |</c>), and the default that row states is the one the code has.
/// </summary>
public sealed partial class ConfigurationReferenceTests
{
    [Fact]
    public void Every_option_has_a_row_stating_the_default_the_code_has()
    {
        Dictionary<string, string> rows = DefaultCells(File.ReadAllText(Path.Combine(Repository.Root, "docs", "configuration.md")));
        List<(string Key, object? Default)> options = Options().ToList();
        Assert.True(options.Count > 50, $"only {options.Count} options found: are the options classes still found?");

        var problems = new List<string>();
        foreach ((string key, object? value) in options)
        {
            if (!rows.TryGetValue(key, out string? cell))
            {
                problems.Add($"{key}: no row in docs/configuration.md");
            }
            else if (!States(cell, value))
            {
                problems.Add($"{key}: the row says {cell}, the code has {Describe(value)}");
            }
        }

        Assert.Equal([], problems);
    }

    [Theory]
    [InlineData("`25000`", 25_000, true)]
    [InlineData("`1073741824` (1 GiB)", 1_073_741_824L, true)]
    [InlineData("`00:00:00.200`", "00:00:00.2", true)]
    [InlineData("`30.00:00:00`", "30.00:00:00", true)]
    [InlineData("`00:00:01`", "00:00:02", false)]
    [InlineData("`0` (= keep forever)", 0, true)]
    [InlineData("`0.9`", 0.9, true)]
    [InlineData("empty", "", true)]
    [InlineData("empty (everyone)", "", true)]
    [InlineData("`UTC`", "UTC", true)]
    [InlineData("`UTC`", "Europe/Berlin", false)]
    [InlineData("`false`", false, true)]
    [InlineData("`true`", false, false)]
    public void A_default_cell_is_read_as_the_code_would(string cell, object value, bool expected)
    {
        object typed = value is string text && text.Contains(':', StringComparison.Ordinal) && !text.Contains('/', StringComparison.Ordinal)
            ? TimeSpan.Parse(text, CultureInfo.InvariantCulture)
            : value;
        Assert.Equal(expected, States(cell, typed));
    }

    /// <summary>Each <c>Section:Key</c> of an options class (a type with a <c>SectionName</c> constant) and its default.</summary>
    private static IEnumerable<(string Key, object? Default)> Options()
    {
        foreach (Type type in typeof(XraySyslogSink.Spool.SpoolOptions).Assembly.GetTypes()
            .Where(t => t.Name.EndsWith("Options", StringComparison.Ordinal) && t.GetField("SectionName") is { IsLiteral: true }))
        {
            string section = (string)type.GetField("SectionName")!.GetRawConstantValue()!;
            object instance = Activator.CreateInstance(type)!;
            foreach (PropertyInfo property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.SetMethod is { IsPublic: true }))
            {
                yield return ($"{section}:{property.Name}", property.GetValue(instance));
            }
        }
    }

    /// <summary>First cell (a key in backticks, optionally followed by <c>:&lt;…&gt;</c>) to second cell of every table row.</summary>
    private static Dictionary<string, string> DefaultCells(string markdown)
    {
        var rows = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (Match row in TableRow().Matches(markdown))
        {
            rows[row.Groups["key"].Value] = row.Groups["default"].Value.Trim();
        }

        return rows;
    }

    private static bool States(string cell, object? value)
    {
        string? code = CodeSpan().Match(cell) is { Success: true } span ? span.Groups["code"].Value : null;
        return value switch
        {
            null => cell.StartsWith("none", StringComparison.Ordinal),
            string text when text.Length == 0 => cell.StartsWith("empty", StringComparison.Ordinal),
            string text when text == Environment.MachineName => cell.Contains("host name", StringComparison.Ordinal),
            string text => code == text,
            ICollection { Count: 0 } => cell.StartsWith("empty", StringComparison.Ordinal) || cell.StartsWith("none", StringComparison.Ordinal),
            TimeSpan time => TimeSpan.TryParse(code, CultureInfo.InvariantCulture, out TimeSpan stated) && stated == time,
            bool flag => code == (flag ? "true" : "false"),
            Enum choice => code == choice.ToString(),
            IConvertible number => code is not null
                && double.TryParse(code, NumberStyles.Float, CultureInfo.InvariantCulture, out double stated)
                && stated == Convert.ToDouble(number, CultureInfo.InvariantCulture),
            _ => false,
        };
    }

    private static string Describe(object? value) => value switch
    {
        null => "null",
        ICollection collection => $"{collection.Count} entries",
        IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    [GeneratedRegex(@"^\| `(?<key>[A-Za-z]+:[A-Za-z]+)(:<[^`]*>)?` \| (?<default>(?:[^|\\]|\\.)*) \|", RegexOptions.Multiline)]
    private static partial Regex TableRow();

    [GeneratedRegex("`(?<code>[^`]*)`")]
    private static partial Regex CodeSpan();
}
