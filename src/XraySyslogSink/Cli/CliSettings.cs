using System.CommandLine;
using Microsoft.Extensions.Configuration;
using XraySyslogSink.Hosting;

namespace XraySyslogSink.Cli;

/// <summary>
/// Where a command reads its settings from, as the daemon does: <c>--config FILE</c> (an option of every command)
/// and <c>--Section:Key=Value</c> arguments, which are taken out of the command line before it is parsed.
/// </summary>
internal sealed class CliSettings
{
    private readonly IReadOnlyList<string> _overrides;

    public CliSettings(IReadOnlyList<string> overrides)
    {
        _overrides = overrides;
    }

    public Option<string> ConfigFile { get; } = new("--config")
    {
        HelpName = "FILE",
        Description = "A settings file read over appsettings.json (as the daemon's XRAYSINK_CONFIG). Any setting can also be given as --Section:Key=Value.",
        Recursive = true,
    };

    /// <summary>Splits <paramref name="args"/> into what the parser reads and the <c>--Section:Key=Value</c> settings.</summary>
    public static (List<string> Tokens, List<string> Overrides) Split(IReadOnlyList<string> args)
    {
        ArgumentNullException.ThrowIfNull(args);
        List<string> tokens = [];
        List<string> overrides = [];
        foreach (string arg in args)
        {
            (IsOverride(arg) ? overrides : tokens).Add(arg);
        }

        return (tokens, overrides);
    }

    /// <summary>The settings the daemon would use, with <c>--config</c> and the <c>--Section:Key=Value</c> arguments applied.</summary>
    public IConfigurationRoot Load(ParseResult parse)
    {
        ArgumentNullException.ThrowIfNull(parse);
        string? file = parse.GetValue(ConfigFile);
        return SinkHost.BuildConfiguration([.. file is null ? [] : (string[])[$"--config={file}"], .. _overrides]);
    }

    // --Section:Key=Value: a colon in the name, before the first '='.
    private static bool IsOverride(string arg)
    {
        if (!arg.StartsWith("--", StringComparison.Ordinal))
        {
            return false;
        }

        int equals = arg.IndexOf('=', StringComparison.Ordinal);
        int colon = arg.IndexOf(':', StringComparison.Ordinal);
        return equals > 0 && colon > 2 && colon < equals;
    }
}
