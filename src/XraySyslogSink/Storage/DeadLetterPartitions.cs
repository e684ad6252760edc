using Npgsql;
using XraySyslogSink.Storage.Migrations;

namespace XraySyslogSink.Storage;

/// <summary>
/// The daily partitions of <c>dead_letters</c> (schema step 3): created ahead with the partitions of <c>logs</c> and
/// expired by <c>Retention:DeadLetterDays</c>, both through the owner's <c>SECURITY DEFINER</c> functions, which hold the
/// writer role to the owner's limits (<c>xraysink_writer_limits</c>).
/// </summary>
internal static class DeadLetterPartitions
{
    private const string ExistsSql = "SELECT to_regprocedure('" + DeadLetterPartitionsSql.CreateFunctionName + "(date)') IS NOT NULL";
    private const string CreateSql = "SELECT " + DeadLetterPartitionsSql.CreateFunctionName + "($1)";
    private const string ExpireSql = "SELECT " + DeadLetterPartitionsSql.ExpireFunctionName + "($1)";

    /// <summary>Creates the dead-letter partitions of <paramref name="days"/>; nothing on a schema from before step 3.</summary>
    public static async Task EnsureAsync(NpgsqlConnection connection, IReadOnlyList<DateOnly> days, CancellationToken cancellationToken)
    {
        await using (NpgsqlCommand exists = new(ExistsSql, connection))
        {
            if (!(bool)(await exists.ExecuteScalarAsync(cancellationToken))!)
            {
                return;
            }
        }

        foreach (DateOnly day in days)
        {
            await using NpgsqlCommand create = new(CreateSql, connection);
            create.Parameters.Add(new NpgsqlParameter<DateOnly> { TypedValue = day });
            await create.ExecuteScalarAsync(cancellationToken);
        }
    }

    /// <summary>
    /// Drops the daily dead-letter partitions that end at or before <paramref name="before"/> (UTC midnight) and deletes
    /// older rows of the catch-all partition, in one transaction; returns the partitions dropped, oldest first.
    /// </summary>
    public static async Task<IReadOnlyList<string>> ExpireAsync(NpgsqlDataSource dataSource, DateOnly before, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        await using NpgsqlConnection connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using NpgsqlCommand expire = new(ExpireSql, connection);
        expire.Parameters.Add(new NpgsqlParameter<DateOnly> { TypedValue = before });
        List<string> dropped = [];
        await using NpgsqlDataReader reader = await expire.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            dropped.Add(reader.GetString(0));
        }

        return dropped;
    }
}
