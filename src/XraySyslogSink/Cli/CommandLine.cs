namespace XraySyslogSink.Cli;

/// <summary>
/// <c>xraysink COMMAND …</c>: picks the command named by the first argument; without one, <c>xraysink</c> runs the daemon.
/// </summary>
internal static class CommandLine
{
    public const int UsageError = 2;

    private static readonly ICliCommand[] Commands =
        [new MigrateCommand(), new PartitionsCommand(), new ImportCommand(), new ReportCommand()];

    /// <summary>True when <paramref name="args"/> names a command rather than daemon settings.</summary>
    public static bool IsCommand(IReadOnlyList<string> args) =>
        args.Count > 0 && (IsHelp(args[0]) || Array.Exists(Commands, c => c.Name == args[0]));

    public static async Task<int> RunAsync(IReadOnlyList<string> args, CliContext context)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(context);
        if (args.Count == 0 || IsHelp(args[0]))
        {
            await context.Out.WriteAsync(Help());
            return 0;
        }

        ICliCommand command = Array.Find(Commands, c => c.Name == args[0])
            ?? throw new CliUsageException($"unknown command '{args[0]}'");
        try
        {
            return await command.RunAsync(context, args.Skip(1).ToArray());
        }
        catch (CliUsageException ex)
        {
            await context.Error.WriteLineAsync($"xraysink {command.Name}: {ex.Message}");
            await context.Error.WriteLineAsync($"usage: {command.Usage.Split('\n')[0].Trim()}  (see 'xraysink help')");
            return UsageError;
        }
    }

    /// <summary>The text of <c>xraysink help</c>.</summary>
    public static string Help()
    {
        var text = new System.Text.StringBuilder();
        text.Append("""
            usage: xraysink [--config FILE] [--Section:Key=Value ...]   run the collector daemon
                   xraysink COMMAND [options] [--config FILE] [--Section:Key=Value ...]

            Commands read the same settings as the daemon (appsettings.json, XRAYSINK_CONFIG or --config,
            XRAYSINK_* environment variables, --Section:Key=Value).

            """);
        foreach (ICliCommand command in Commands)
        {
            text.Append('\n').Append(command.Usage.TrimEnd()).Append('\n');
        }

        text.Append("\n  xraysink help\n      This text.\n");
        return text.ToString().ReplaceLineEndings("\n");
    }

    private static bool IsHelp(string arg) => arg is "help" or "--help" or "-h";
}
