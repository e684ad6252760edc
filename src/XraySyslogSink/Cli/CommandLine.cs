using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Parsing;
using System.Text;

namespace XraySyslogSink.Cli;

/// <summary>
/// <c>xraysink COMMAND …</c>: the commands' options are parsed by System.CommandLine; every command and subcommand
/// has <c>--help</c>; a usage error prints one line naming what is accepted, the command's synopsis, and exits 2.
/// Without a command, <c>xraysink</c> runs the daemon.
/// </summary>
internal static class CommandLine
{
    public const int UsageError = 2;

    private const string Program = "xraysink";
    private const int HelpWidth = 110;

    private static readonly ICliCommand[] Commands =
        [new MigrateCommand(), new PartitionsCommand(), new ImportCommand(), new ReportCommand(), new SetPasswordCommand()];

    /// <summary>True when <paramref name="args"/> names a command rather than daemon settings.</summary>
    public static bool IsCommand(IReadOnlyList<string> args) =>
        args.Count > 0 && (IsHelp(args[0]) || Array.Exists(Commands, c => c.Name == args[0]));

    public static async Task<int> RunAsync(IReadOnlyList<string> args, CliContext context)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(context);
        if (args.Count == 0 || (args.Count == 1 && IsHelp(args[0])))
        {
            await context.Out.WriteAsync(Help());
            return 0;
        }

        // `xraysink help report sessions` is `xraysink report sessions --help`.
        if (args[0] == "help")
        {
            args = [.. args.Skip(1), "--help"];
        }

        (List<string> tokens, List<string> overrides) = CliSettings.Split(args);
        var settings = new CliSettings(overrides);
        ParseResult parse = CreateRoot(context, settings).Parse(tokens);
        var invocation = new InvocationConfiguration
        {
            Output = context.Out,
            Error = context.Error,
            EnableDefaultExceptionHandler = false,
            ProcessTerminationTimeout = null,
        };
        if (parse.Action is HelpAction)
        {
            return await parse.InvokeAsync(invocation, context.CancellationToken);
        }

        Command command = parse.CommandResult.Command;
        if (parse.Errors.Count > 0)
        {
            return await UsageErrorAsync(context, parse, UsageMessage(parse, command));
        }

        try
        {
            return await parse.InvokeAsync(invocation, context.CancellationToken);
        }
        catch (CliUsageException ex)
        {
            return await UsageErrorAsync(context, parse, ex.Message);
        }
    }

    /// <summary>The text of <c>xraysink help</c>: the daemon's usage, then every command's synopsis and description.</summary>
    public static string Help()
    {
        var text = new StringBuilder();
        text.Append("""
            usage: xraysink [--config FILE] [--Section:Key=Value ...]   run the collector daemon
                   xraysink COMMAND [options] [--config FILE] [--Section:Key=Value ...]

            Commands read the same settings as the daemon (appsettings.json, XRAYSINK_CONFIG or --config,
            XRAYSINK_* environment variables, --Section:Key=Value). Every command takes --help for its options.

            """);
        Command root = CreateRoot(new CliContext(TextWriter.Null, TextWriter.Null, TimeProvider.System, CancellationToken.None), new CliSettings([]));
        foreach (Command command in root.Subcommands)
        {
            foreach ((Command leaf, string path) in Leaves(command, Program))
            {
                text.Append("\n  ").Append(Synopsis(leaf, path)).Append('\n');
                Wrap(text, leaf.Description ?? string.Empty, "      ");
            }
        }

        text.Append("\n  xraysink help [COMMAND]\n      This text, or a command's help.\n");
        return text.ToString().ReplaceLineEndings("\n");
    }

    /// <summary>
    /// <c>xraysink migrate [--from DATE] [--to DATE]</c>: the command's path, its arguments and its options (help and
    /// --config, which every command has, left out); a group lists its choices.
    /// </summary>
    internal static string Synopsis(Command command, string path)
    {
        ArgumentNullException.ThrowIfNull(command);
        var text = new StringBuilder(path);
        if (command is CommandGroup group)
        {
            return text.Append(' ').Append(group.Choices.Replace(", ", "|", StringComparison.Ordinal)).ToString();
        }

        foreach (Argument argument in command.Arguments)
        {
            text.Append(' ').Append(argument.HelpName ?? argument.Name).Append(argument.Arity.MaximumNumberOfValues > 1 ? "..." : string.Empty);
        }

        foreach (Option option in command.Options.Where(o => !o.Recursive && o is not HelpOption))
        {
            string usage = option.Arity.MaximumNumberOfValues == 0 || option.ValueType == typeof(bool) ? option.Name : $"{option.Name} {option.HelpName}";
            text.Append(' ').Append(option.Required ? usage : $"[{usage}]");
        }

        return text.ToString();
    }

    private static Command CreateRoot(CliContext context, CliSettings settings)
    {
        var root = new Command(Program, "Collects Xray access logs from syslog into PostgreSQL; the commands below manage and query it.");
        root.Options.Add(new HelpOption());
        root.Options.Add(settings.ConfigFile);
        foreach (ICliCommand command in Commands)
        {
            root.Subcommands.Add(command.Create(context, settings));
        }

        return root;
    }

    private static IEnumerable<(Command Leaf, string Path)> Leaves(Command command, string parentPath)
    {
        string path = $"{parentPath} {command.Name}";
        if (command.Subcommands.Count == 0)
        {
            yield return (command, path);
            yield break;
        }

        foreach (Command sub in command.Subcommands)
        {
            foreach ((Command, string) leaf in Leaves(sub, path))
            {
                yield return leaf;
            }
        }
    }

    /// <summary>The one line a usage error prints: what was wrong and what is accepted.</summary>
    private static string UsageMessage(ParseResult parse, Command command)
    {
        string? unmatched = parse.UnmatchedTokens.Count > 0 ? parse.UnmatchedTokens[0] : null;
        if (command is CommandGroup group)
        {
            return unmatched is null || unmatched.StartsWith('-')
                ? $"name one {group.Noun}: {group.Choices}"
                : $"unknown {group.Noun} '{unmatched}' (one of {group.Choices})";
        }

        foreach (Option option in command.Options.Where(o => o.Required && parse.GetResult(o) is not OptionResult { IdentifierToken: not null }))
        {
            return $"{command.Name} needs {option.Name} {option.HelpName}";
        }

        foreach (Argument argument in command.Arguments.Where(a => a.Arity.MinimumNumberOfValues > 0 && parse.GetResult(a) is not { Tokens.Count: > 0 }))
        {
            return $"{command.Name} needs {argument.HelpName ?? argument.Name}{(argument.Arity.MaximumNumberOfValues > 1 ? "..." : string.Empty)}";
        }

        // A value that did not parse: the option's own message names what it accepts.
        if (parse.Errors.FirstOrDefault(e => e.SymbolResult is OptionResult or ArgumentResult) is { } valueError)
        {
            return valueError.Message;
        }

        if (unmatched is not null)
        {
            if (!unmatched.StartsWith('-'))
            {
                return $"unexpected argument '{unmatched}'";
            }

            string name = unmatched.Split('=', 2)[0];
            string[] takers = parse.CommandResult.Parent is CommandResult { Command: CommandGroup parent }
                ? parent.Subcommands.Where(c => c.Options.Any(o => o.Name == name)).Select(c => c.Name).ToArray()
                : [];
            return takers.Length > 0 && parse.CommandResult.Parent is CommandResult { Command: CommandGroup owner }
                ? $"{name} applies to the {string.Join(" and ", takers)} {owner.Noun}"
                : $"unknown option {name}";
        }

        return parse.Errors[0].Message;
    }

    private static async Task<int> UsageErrorAsync(CliContext context, ParseResult parse, string message)
    {
        List<Command> path = [];
        for (SymbolResult? result = parse.CommandResult; result is CommandResult commandResult; result = commandResult.Parent)
        {
            path.Insert(0, commandResult.Command);
        }

        string top = path.Count > 1 ? $"{Program} {path[1].Name}" : Program;
        string full = string.Join(' ', path.Select(c => c.Name));
        await context.Error.WriteLineAsync($"{top}: {message}");
        await context.Error.WriteLineAsync($"usage: {Synopsis(path[^1], full)}  (see '{full} --help')");
        return UsageError;
    }

    private static void Wrap(StringBuilder text, string paragraph, string indent)
    {
        int lineStart = text.Length;
        text.Append(indent);
        foreach (string word in paragraph.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (text.Length - lineStart + word.Length + 1 > HelpWidth && text.Length - lineStart > indent.Length)
            {
                text.Append('\n');
                lineStart = text.Length;
                text.Append(indent);
            }
            else if (text.Length - lineStart > indent.Length)
            {
                text.Append(' ');
            }

            text.Append(word);
        }

        text.Append('\n');
    }

    private static bool IsHelp(string arg) => arg is "help" or "--help" or "-h" or "-?";
}
