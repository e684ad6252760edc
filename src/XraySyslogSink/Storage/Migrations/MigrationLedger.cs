using Npgsql;

namespace XraySyslogSink.Storage.Migrations;

/// <summary>One row of <c>schema_migrations</c>.</summary>
internal sealed record AppliedStep(int Version, string Name, string Checksum, bool Skipped);

/// <summary>
/// <c>schema_migrations</c>: which versioned steps a database has run (or, under <c>Schema:SeedOnly</c>, skipped),
/// when, by whom and with which checksum.
/// </summary>
internal static class MigrationLedger
{
    public const string TableName = "schema_migrations";

    public const string CreateSql = """
        CREATE TABLE IF NOT EXISTS schema_migrations (
            version INTEGER PRIMARY KEY,
            name TEXT NOT NULL,
            checksum TEXT NOT NULL,
            skipped BOOLEAN NOT NULL DEFAULT false,
            applied_at TIMESTAMPTZ NOT NULL DEFAULT now(),
            applied_by TEXT NOT NULL DEFAULT current_user
        );
        """;

    private const string RecordSql = """
        INSERT INTO schema_migrations (version, name, checksum, skipped) VALUES ($1, $2, $3, $4)
        ON CONFLICT (version) DO UPDATE
            SET name = excluded.name, checksum = excluded.checksum, skipped = excluded.skipped,
                applied_at = now(), applied_by = current_user
        """;

    /// <summary>The recorded steps by version; empty when the table does not exist (an install from before it).</summary>
    public static async Task<SortedDictionary<int, AppliedStep>> ReadAsync(
        NpgsqlConnection connection, NpgsqlTransaction? transaction, CancellationToken cancellationToken)
    {
        SortedDictionary<int, AppliedStep> applied = [];
        await using (NpgsqlCommand exists = new($"SELECT to_regclass('{TableName}') IS NOT NULL", connection, transaction))
        {
            if (!(bool)(await exists.ExecuteScalarAsync(cancellationToken))!)
            {
                return applied;
            }
        }

        await using NpgsqlCommand command = new($"SELECT version, name, checksum, skipped FROM {TableName}", connection, transaction);
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var step = new AppliedStep(reader.GetInt32(0), reader.GetString(1), reader.GetString(2), reader.GetBoolean(3));
            applied[step.Version] = step;
        }

        return applied;
    }

    public static async Task RecordAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, SchemaStep step, bool skipped, CancellationToken cancellationToken)
    {
        await using NpgsqlCommand command = new(RecordSql, connection, transaction);
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = step.Version });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = step.Name });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = step.Checksum });
        command.Parameters.Add(new NpgsqlParameter<bool> { TypedValue = skipped });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Steps a database still needs: never recorded, or skipped for <c>Schema:SeedOnly</c> while it is now off.</summary>
    public static List<SchemaStep> Pending(IReadOnlyList<SchemaStep> steps, IReadOnlyDictionary<int, AppliedStep> applied, bool seedOnly) =>
        [.. steps.Where(s => !applied.TryGetValue(s.Version, out AppliedStep? done) || (done.Skipped && !seedOnly))];

    /// <summary>Throws when the database records a step this binary does not know (it was migrated by a newer xraysink).</summary>
    public static void EnsureNotNewer(IReadOnlyList<SchemaStep> steps, IReadOnlyDictionary<int, AppliedStep> applied)
    {
        int latest = steps.Count == 0 ? 0 : steps[^1].Version;
        AppliedStep? newest = applied.Values.LastOrDefault();
        if (newest is not null && newest.Version > latest)
        {
            throw new InvalidOperationException(
                $"The database schema is at version {newest.Version} ({newest.Name}), newer than this xraysink knows (version {latest}): "
                + "it was migrated by a newer xraysink. Run that version (or newer); this one refuses to write to a schema it does not know.");
        }
    }
}
