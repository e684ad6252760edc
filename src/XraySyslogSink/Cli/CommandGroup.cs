using System.CommandLine;

namespace XraySyslogSink.Cli;

/// <summary>
/// A command that only chooses among its subcommands (<c>xraysink report NAME</c>, <c>xraysink partitions ACTION</c>);
/// <see cref="Noun"/> is what a choice is called in a usage error ("unknown report 'x' (one of …)").
/// </summary>
internal sealed class CommandGroup(string name, string description, string noun) : Command(name, description)
{
    public string Noun { get; } = noun;

    public string Choices => string.Join(", ", Subcommands.Where(c => !c.Hidden).Select(c => c.Name));
}
