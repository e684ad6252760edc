using Npgsql;

namespace XraySyslogSink.Storage;

/// <summary>
/// The <c>spool_checkpoints</c> row of one collector: the highest spool sequence number whose rows are committed.
/// It is written in the same transaction as those rows, so after a crash the spool replays exactly the rest.
/// </summary>
internal static class SpoolCheckpoints
{
    private const string ReadSql = "SELECT sequence FROM spool_checkpoints WHERE collector_id = $1";

    // Advances only: a batch whose range is already committed (its COMMIT acknowledgement was lost and it
    // is being retried) updates nothing, and the caller rolls back instead of writing its rows twice.
    private const string AdvanceSql = """
        INSERT INTO spool_checkpoints (collector_id, sequence, updated_at) VALUES ($1, $2, now())
        ON CONFLICT (collector_id) DO UPDATE SET sequence = EXCLUDED.sequence, updated_at = EXCLUDED.updated_at
        WHERE spool_checkpoints.sequence < EXCLUDED.sequence
        """;

    /// <summary>The committed sequence of <paramref name="collectorId"/>, 0 when it never committed.</summary>
    public static async Task<long> ReadAsync(NpgsqlDataSource dataSource, string collectorId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        await using NpgsqlCommand command = dataSource.CreateCommand(ReadSql);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = collectorId });
        object? value = await command.ExecuteScalarAsync(cancellationToken);
        return value is long sequence ? sequence : 0;
    }

    /// <summary>Moves the checkpoint to <paramref name="sequence"/>; false when it was already there or beyond.</summary>
    public static async Task<bool> AdvanceAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, string collectorId, long sequence, CancellationToken cancellationToken)
    {
        await using NpgsqlCommand command = new(AdvanceSql, connection, transaction);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = collectorId });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = sequence });
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }
}
