namespace XraySyslogSink.Hosting;

/// <summary>Options section <c>Runtime</c>: what the daemon does with the .NET runtime at start.</summary>
internal sealed class RuntimeOptions
{
    public const string SectionName = "Runtime";

    /// <summary>
    /// Compile the per-row code (receive, spool, parse, resolve, COPY encoding) before the spool replays and the
    /// listeners open, instead of at its first use inside the first batches (default true); see
    /// <see cref="JitWarmUp"/>.
    /// </summary>
    public bool JitWarmUp { get; set; } = true;
}
