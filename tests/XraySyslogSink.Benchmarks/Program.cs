using BenchmarkDotNet.Running;

namespace XraySyslogSink.Benchmarks;

/// <summary>
/// Hot-path micro-benchmarks, one figure per line (each benchmark processes <see cref="Lines.Count"/> lines per
/// operation and says so through <c>OperationsPerInvoke</c>, so Mean is ns/line and Allocated is bytes/line).
/// Run: <c>dotnet run -c Release --project tests/XraySyslogSink.Benchmarks -- --filter '*' --job short</c>.
/// </summary>
internal static class Program
{
    public static void Main(string[] args) => BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
}
