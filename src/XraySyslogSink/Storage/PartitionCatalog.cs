using System.Globalization;
using Npgsql;

namespace XraySyslogSink.Storage;

/// <summary>One table attached to <c>logs</c>, as <c>xraysink partitions list</c> shows it.</summary>
/// <param name="Name">The table name.</param>
/// <param name="Day">The UTC day when it is one of ours (<c>logs_YYYY_MM_DD</c> in the schema of <c>logs</c> with exactly that day's bounds), else null.</param>
/// <param name="Bound">The partition bound as PostgreSQL prints it (in UTC).</param>
/// <param name="RowsEstimate">The planner's row estimate (<c>reltuples</c>; -1 or 0 before the first ANALYZE).</param>
/// <param name="Bytes">Table, index and TOAST size.</param>
internal sealed record PartitionInfo(string Name, DateOnly? Day, string Bound, long RowsEstimate, long Bytes)
{
    /// <summary>Start of the range in UTC (only for our daily partitions).</summary>
    public DateTime? From => Day?.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc);

    /// <summary>End of the range (exclusive) in UTC (only for our daily partitions).</summary>
    public DateTime? To => Day?.AddDays(1).ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc);
}

/// <summary>
/// Lists the partitions of <c>logs</c> and drops whole days: <c>DETACH PARTITION</c> then <c>DROP TABLE</c> in one
/// transaction, through the migrator's <c>SECURITY DEFINER</c> function <c>xraysink_drop_partition(date)</c> for
/// every role (SchemaSql.DropPartitionFunction enforces the same rule again). Only a table that is attached to
/// <c>logs</c>, in its schema, named <c>logs_YYYY_MM_DD</c> for a real date and bounded by exactly that UTC day is ever
/// dropped; anything an operator laid out differently is listed and left alone.
/// </summary>
internal static class PartitionCatalog
{
    private const string ListSql = """
        SELECT c.relname::text, pg_get_expr(c.relpartbound, c.oid), c.reltuples::bigint, pg_total_relation_size(c.oid),
               c.relnamespace = p.relnamespace
        FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent
        WHERE i.inhparent = to_regclass('logs')
        ORDER BY c.relname
        """;

    /// <summary>Every table attached to <c>logs</c>, by name.</summary>
    public static async Task<IReadOnlyList<PartitionInfo>> ListAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        await using NpgsqlConnection connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await ListAsync(connection, null, cancellationToken);
    }

    /// <summary>
    /// Our daily partitions wholly before <paramref name="cutoffUtc"/> (their range ends at or before it), oldest first;
    /// with <paramref name="dryRun"/> nothing is dropped. <paramref name="dropped"/> is told each one as it goes.
    /// </summary>
    public static async Task<IReadOnlyList<PartitionInfo>> DropOlderThanAsync(
        NpgsqlDataSource dataSource, DateTime cutoffUtc, bool dryRun, Action<PartitionInfo>? dropped, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        await using NpgsqlConnection connection = await dataSource.OpenConnectionAsync(cancellationToken);
        List<PartitionInfo> candidates = [];
        foreach (PartitionInfo partition in await ListAsync(connection, null, cancellationToken))
        {
            if (partition.To is { } end && end <= cutoffUtc)
            {
                candidates.Add(partition);
            }
        }

        List<PartitionInfo> done = [];
        foreach (PartitionInfo candidate in candidates)
        {
            if (dryRun || await DropAsync(connection, candidate, cancellationToken))
            {
                done.Add(candidate);
                dropped?.Invoke(candidate);
            }
        }

        return done;
    }

    /// <summary>The day a partition name stands for, when it is exactly <c>logs_YYYY_MM_DD</c> of a valid date.</summary>
    public static bool TryParseDay(string name, out DateOnly day)
    {
        ArgumentNullException.ThrowIfNull(name);
        day = default;
        return name.Length == "logs_0000_00_00".Length
            && name.StartsWith("logs_", StringComparison.Ordinal)
            && DateOnly.TryParseExact(name.AsSpan(5), "yyyy'_'MM'_'dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out day)
            && PartitionManager.PartitionName(day) == name;
    }

    /// <summary>The bound PostgreSQL prints for our partition of <paramref name="day"/> in a UTC session.</summary>
    internal static string ExpectedBound(DateOnly day) => string.Create(
        CultureInfo.InvariantCulture,
        $"FOR VALUES FROM ('{day:yyyy-MM-dd} 00:00:00+00') TO ('{day.AddDays(1):yyyy-MM-dd} 00:00:00+00')");

    private static async Task<List<PartitionInfo>> ListAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, CancellationToken cancellationToken)
    {
        // Bounds are printed in the session's zone and date style: fix both so they compare as text.
        await using (NpgsqlCommand set = new("SET TimeZone = 'UTC'; SET DateStyle = 'ISO, YMD'", connection, transaction))
        {
            await set.ExecuteNonQueryAsync(cancellationToken);
        }

        List<PartitionInfo> partitions = [];
        await using NpgsqlCommand command = new(ListSql, connection, transaction);
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            string name = reader.GetString(0);
            string bound = reader.IsDBNull(1) ? string.Empty : reader.GetString(1);
            bool sameSchema = reader.GetBoolean(4);
            DateOnly? day = sameSchema && TryParseDay(name, out DateOnly parsed) && bound == ExpectedBound(parsed) ? parsed : null;
            partitions.Add(new PartitionInfo(name, day, bound, Math.Max(reader.GetInt64(2), 0), reader.GetInt64(3)));
        }

        return partitions;
    }

    /// <summary>
    /// Detaches and drops one of our partitions through <c>xraysink_drop_partition</c> (so the writer role may too),
    /// which re-checks it under the partitions' advisory lock; false when it changed meanwhile.
    /// </summary>
    private static async Task<bool> DropAsync(NpgsqlConnection connection, PartitionInfo partition, CancellationToken cancellationToken)
    {
        DateOnly day = partition.Day ?? throw new ArgumentException("Only daily partitions are dropped.", nameof(partition));
        await using NpgsqlCommand drop = new(DropSql, connection);
        drop.Parameters.Add(new NpgsqlParameter<DateOnly> { TypedValue = day });
        try
        {
            return (bool)(await drop.ExecuteScalarAsync(cancellationToken))!;
        }
        catch (PostgresException e) when (e.SqlState == UndefinedFunction)
        {
            throw new InvalidOperationException(
                $"{SchemaSql.DropPartitionFunctionName}(date) is missing (a schema migrated by an older version): run `xraysink migrate` as the schema owner.",
                e);
        }
    }

    /// <summary>One statement, so one transaction: the function's advisory lock is held until the day is gone.</summary>
    private const string DropSql = "SELECT " + SchemaSql.DropPartitionFunctionName + "($1)";

    private const string UndefinedFunction = "42883";
}
