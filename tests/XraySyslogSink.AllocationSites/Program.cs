using System.Globalization;
using Microsoft.Diagnostics.Tracing.Etlx;
using Microsoft.Diagnostics.Tracing.Parsers.Clr;

// Where the daemon allocates, from a `dotnet-trace collect --profile gc-verbose` trace (scripts/bench.sh --trace-alloc).
// The runtime raises an allocation tick about every 100 KB a thread allocates, with the type of the object that
// crossed the mark and the stack; each tick stands for the bytes since the previous one, so summing the ticks' amounts
// by type and by stack estimates where the bytes go (sampled: a site below ~1 % of the total is noise). Divided by the
// rows of the run, that is bytes per row. The GC's own events give the collections by generation and reason.
if (args.Length < 2 || !long.TryParse(args[1], NumberStyles.None, CultureInfo.InvariantCulture, out long rows) || rows <= 0)
{
    Console.Error.WriteLine("usage: xraysink-alloc-sites TRACE.nettrace ROWS [TOP=15] [FRAMES=8]");
    return 2;
}

int top = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 15;
int frames = args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 8;

string etlx = TraceLog.CreateFromEventPipeDataFile(args[0]);
using var log = new TraceLog(etlx);
TraceLogEventSource source = log.Events.GetSource();

var byType = new Dictionary<string, double>(StringComparer.Ordinal);
var byStack = new Dictionary<string, double>(StringComparer.Ordinal);
var collections = new Dictionary<string, int>(StringComparer.Ordinal);
double total = 0;

source.Clr.GCAllocationTick += tick =>
{
    double bytes = tick.AllocationAmount64;
    total += bytes;
    string type = tick.TypeName ?? "?";
    byType[type] = byType.GetValueOrDefault(type) + bytes;
    string stack = type + (tick.AllocationKind == GCAllocationKind.Large ? " (LOH)" : "") + Stack(tick.CallStack(), frames);
    byStack[stack] = byStack.GetValueOrDefault(stack) + bytes;
};
source.Clr.GCStart += gc =>
{
    string key = $"gen{gc.Depth} {gc.Reason} {gc.Type}";
    collections[key] = collections.GetValueOrDefault(key) + 1;
};
source.Process();

Console.WriteLine($"allocated (sampled) {total / rows:F0} B/row over {rows} rows, {total / (1024 * 1024):F0} MiB");
Console.WriteLine();
Console.WriteLine("by type (B/row, share):");
foreach ((string type, double bytes) in byType.OrderByDescending(p => p.Value).Take(top))
{
    Console.WriteLine($"  {bytes / rows,8:F1}  {100 * bytes / total,5:F1} %  {type}");
}

Console.WriteLine();
Console.WriteLine("by stack (B/row, share; type, then frames from the allocation outwards):");
foreach ((string stack, double bytes) in byStack.OrderByDescending(p => p.Value).Take(top))
{
    Console.WriteLine($"  {bytes / rows,8:F1}  {100 * bytes / total,5:F1} %  {stack}");
}

Console.WriteLine();
Console.WriteLine("collections (generation, reason, type):");
foreach ((string key, int count) in collections.OrderBy(p => p.Key, StringComparer.Ordinal))
{
    Console.WriteLine($"  {count,6}  {key}");
}

return 0;

// The stack from the allocation outwards, the runtime's own allocation helpers left out, at most `depth` frames.
static string Stack(TraceCallStack? stack, int depth)
{
    var names = new List<string>();
    for (; stack is not null && names.Count < depth; stack = stack.Caller)
    {
        string name = stack.CodeAddress.FullMethodName;
        if (string.IsNullOrEmpty(name))
        {
            name = "?";
        }

        if (names.Count > 0 && names[^1] == name)
        {
            continue;
        }

        names.Add(name);
    }

    return names.Count == 0 ? "\n        (no stack)" : "\n        <- " + string.Join("\n        <- ", names);
}
