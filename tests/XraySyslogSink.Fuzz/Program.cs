using SharpFuzz;

namespace XraySyslogSink.Fuzz;

/// <summary>
/// <c>XraySyslogSink.Fuzz TARGET</c> runs one target under AFL++ (persistent SharpFuzz fork server);
/// <c>XraySyslogSink.Fuzz TARGET FILE...</c> runs it once per file (reproducing a crash or a hang; use an
/// uninstrumented build, since instrumented code needs AFL++'s shared coverage map).
/// Exit code 2: unknown target.
/// </summary>
internal static class Program
{
    private static int Main(string[] args)
    {
        if (args.Length == 0 || !FuzzTargets.TryGet(args[0], out Func<FuzzTarget>? factory))
        {
            Console.Error.WriteLine($"usage: XraySyslogSink.Fuzz {{{string.Join('|', FuzzTargets.Names)}}} [FILE...]");
            return 2;
        }

        if (args.Length > 1)
        {
            FuzzTarget target = factory();
            foreach (string file in args.AsSpan(1))
            {
                target(File.ReadAllBytes(file));
                Console.WriteLine($"{file}: ok");
            }

            return 0;
        }

        var buffer = new MemoryStream();
        FuzzTarget? fuzzed = null;
        Fuzzer.Run(stream =>
        {
            fuzzed ??= factory();
            buffer.SetLength(0);
            stream.CopyTo(buffer);
            fuzzed(buffer.GetBuffer().AsSpan(0, (int)buffer.Length));
        });
        return 0;
    }
}
