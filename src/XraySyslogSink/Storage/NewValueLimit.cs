using XraySyslogSink.Core;
using XraySyslogSink.Telemetry;

namespace XraySyslogSink.Storage;

/// <summary>
/// At most <see cref="PerMinute"/> new rows per dimension table (users, protocols, endpoints, tags) per minute
/// (<c>Cache:MaxNewValuesPerMinute</c>), so a flood of random subdomains or emails cannot grow the dimension
/// tables and churn the caches without bound. Fixed one-minute windows per table, like the dead-letter limit.
/// </summary>
/// <remarks>
/// Only values that are really new count: a value the cache forgot but the table holds is found by a SELECT and
/// costs nothing, so a cold cache after a restart is never capped. A row whose new value is over the cap is still
/// stored, with that column NULL, and the whole row as it arrived (its value included) goes to
/// <c>dead_letters</c> with the reason <see cref="ReasonFor"/>: the connection is not lost from <c>logs</c>
/// (counts, user, source, time stay right), the value is not lost either, and nothing is silent — the rows are
/// counted in <c>xraysink.dimension_values.parked{dimension}</c>. The alternatives were worse: dropping the row
/// loses the connection from every query, and sending the whole row to dead letters hides it from the statistics
/// operators actually run. Parked dead letters draw on the daemon's dead-letter budget (<see cref="DeadLetterBudget"/>:
/// rate and volume); beyond it they are counted in <see cref="SuppressedDeadLetters"/>.
/// The history import constructs its store without a limit. The budgets are kept by the one batching writer
/// (not thread-safe for concurrent stores); the counters may be read from any thread.
/// </remarks>
internal sealed class NewValueLimit : IParkedRows
{
    private static readonly TimeSpan Window = TimeSpan.FromMinutes(1);

    private readonly TimeProvider _timeProvider;
    private readonly Dictionary<string, TableWindow> _tables = new(StringComparer.Ordinal);
    private long _suppressed;

    public NewValueLimit(int perMinute, int deadLettersPerSecond, TimeProvider timeProvider)
        : this(perMinute, new DeadLetterBudget(deadLettersPerSecond, long.MaxValue, 100, timeProvider), timeProvider)
    {
    }

    /// <param name="deadLetters">The budget the parked rows' dead letters draw on (the daemon's, shared with the parsers).</param>
    /// <param name="nodesPerMinute">The cap of the <c>nodes</c> table (<c>Nodes:MaxNewPerMinute</c>); default <paramref name="perMinute"/>.</param>
    internal NewValueLimit(int perMinute, DeadLetterBudget deadLetters, TimeProvider timeProvider, int? nodesPerMinute = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(perMinute, 1);
        ArgumentNullException.ThrowIfNull(deadLetters);
        ArgumentNullException.ThrowIfNull(timeProvider);
        PerMinute = perMinute;
        NodesPerMinute = nodesPerMinute ?? perMinute;
        ArgumentOutOfRangeException.ThrowIfLessThan(NodesPerMinute, 1);
        _timeProvider = timeProvider;
        DeadLetters = deadLetters;
        foreach (DimensionTable table in DimensionTable.All)
        {
            _tables.Add(table.Table, new TableWindow(timeProvider.GetTimestamp()));
        }
    }

    public int PerMinute { get; }

    /// <summary>The cap of the <c>nodes</c> table.</summary>
    public int NodesPerMinute { get; }

    /// <summary>The cap of <paramref name="table"/>.</summary>
    internal int CapOf(DimensionTable table) => table == DimensionTable.Nodes ? NodesPerMinute : PerMinute;

    /// <summary>Dead letters of parked rows that were over the dead-letter limit: counted, not stored.</summary>
    public long SuppressedDeadLetters => Interlocked.Read(ref _suppressed);

    internal DeadLetterBudget DeadLetters { get; }

    /// <summary>The dead-letter reason of a row whose new value of <paramref name="table"/> was parked.</summary>
    public static string ReasonFor(string table) =>
        table == DimensionTable.Nodes.Table ? "new nodes value over Nodes:MaxNewPerMinute" : $"new {table} value over Cache:MaxNewValuesPerMinute";

    /// <summary>Rows stored with a parked (NULL) value, by dimension table, since start.</summary>
    public IEnumerable<KeyValuePair<string, long>> ParkedRows()
    {
        foreach ((string table, TableWindow window) in _tables)
        {
            yield return new KeyValuePair<string, long>(table, Interlocked.Read(ref window.Parked));
        }
    }

    /// <summary>New values <paramref name="table"/> may still take in the current minute.</summary>
    internal int Remaining(DimensionTable table)
    {
        TableWindow window = _tables[table.Table];
        long now = _timeProvider.GetTimestamp();
        if (_timeProvider.GetElapsedTime(window.Start, now) >= Window)
        {
            window.Start = now;
            window.Used = 0;
            window.Warned = false;
        }

        return Math.Max(0, CapOf(table) - window.Used);
    }

    internal void Consume(DimensionTable table, int inserted) => _tables[table.Table].Used += inserted;

    /// <summary>True the first time in the current minute that <paramref name="table"/> parks values: one log line per table and minute.</summary>
    internal bool ShouldWarn(DimensionTable table)
    {
        TableWindow window = _tables[table.Table];
        bool first = !window.Warned;
        window.Warned = true;
        return first;
    }

    internal void CountParked(DimensionTable table) => Interlocked.Increment(ref _tables[table.Table].Parked);

    internal void CountSuppressed() => Interlocked.Increment(ref _suppressed);

    private sealed class TableWindow(long start)
    {
        public long Start = start;
        public int Used;
        public bool Warned;
        public long Parked;
    }
}
