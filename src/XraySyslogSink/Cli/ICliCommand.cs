using System.CommandLine;

namespace XraySyslogSink.Cli;

/// <summary>One <c>xraysink NAME …</c> command.</summary>
internal interface ICliCommand
{
    string Name { get; }

    /// <summary>The command with its options, arguments and subcommands, whose action runs it in <paramref name="context"/>.</summary>
    Command Create(CliContext context, CliSettings settings);
}

/// <summary>A command line error found when the command runs: printed with the command's synopsis, exit code 2.</summary>
internal sealed class CliUsageException(string message) : Exception(message);
