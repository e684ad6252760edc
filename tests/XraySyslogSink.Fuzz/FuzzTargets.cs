using System.Diagnostics.CodeAnalysis;

namespace XraySyslogSink.Fuzz;

/// <summary>One fuzz target: runs the code under test on arbitrary bytes and throws on any broken invariant.</summary>
internal delegate void FuzzTarget(ReadOnlySpan<byte> data);

/// <summary>The fuzz targets by name, as <c>scripts/fuzz.sh</c> and the replay tests call them.</summary>
internal static class FuzzTargets
{
    // Factories, not instances: under AFL++ instrumented code may run only inside Fuzzer.Run, once the coverage
    // map is shared, so a target is built on its first input.
    private static readonly Dictionary<string, Func<FuzzTarget>> Factories = new(StringComparer.Ordinal)
    {
        ["framing"] = () => FramingTarget.Run,
        ["syslog-header"] = () => SyslogHeaderTarget.Run,
        ["xray-record"] = () => new XrayRecordTarget().Run,
    };

    public static IReadOnlyCollection<string> Names => Factories.Keys;

    public static bool TryGet(string name, [NotNullWhen(true)] out Func<FuzzTarget>? factory) =>
        Factories.TryGetValue(name, out factory);
}

/// <summary>A broken invariant: AFL++ records the input as a crash.</summary>
internal sealed class FuzzInvariantException : Exception
{
    public FuzzInvariantException()
    {
    }

    public FuzzInvariantException(string message)
        : base(message)
    {
    }

    public FuzzInvariantException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public static void Check([DoesNotReturnIf(false)] bool condition, string what)
    {
        if (!condition)
        {
            throw new FuzzInvariantException(what);
        }
    }
}
