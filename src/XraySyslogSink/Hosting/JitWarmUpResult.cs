namespace XraySyslogSink.Hosting;

/// <summary>What a <see cref="JitWarmUp"/> did.</summary>
/// <param name="Types">Types walked.</param>
/// <param name="Prepared">Methods prepared (compiled, or found with precompiled code).</param>
/// <param name="Skipped">Methods and types with nothing to prepare: abstract, open generic, P/Invoke, runtime-provided.</param>
/// <param name="Failed">Methods the runtime refused to prepare (counted, never thrown).</param>
/// <param name="Unresolved">Call sites whose callee did not resolve (an assembly or member that is not there).</param>
/// <param name="Compiled">Methods the JIT compiled in the meantime (the runtime's counter, every thread).</param>
/// <param name="FailureSamples">The first few refusals, for the log.</param>
internal sealed record JitWarmUpResult(
    int Types,
    int Prepared,
    int Skipped,
    int Failed,
    int Unresolved,
    long Compiled,
    IReadOnlyList<string> FailureSamples);
