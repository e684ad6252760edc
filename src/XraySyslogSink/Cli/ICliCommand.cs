namespace XraySyslogSink.Cli;

/// <summary>One <c>xraysink NAME …</c> command.</summary>
internal interface ICliCommand
{
    string Name { get; }

    /// <summary>Usage lines for <c>xraysink help</c>, the first naming the command and its arguments.</summary>
    string Usage { get; }

    Task<int> RunAsync(CliContext context, IReadOnlyList<string> args);
}
