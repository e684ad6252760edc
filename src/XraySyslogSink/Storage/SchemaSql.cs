namespace XraySyslogSink.Storage;

/// <summary>The seed schema's DDL (docs: database-schema.md), verbatim, plus the sink's own <c>dead_letters</c>, <c>spool_checkpoints</c> and <c>import_files</c>.</summary>
internal static class SchemaSql
{
    public const string Tables = """
        CREATE TABLE IF NOT EXISTS users (
            id SERIAL PRIMARY KEY,
            email VARCHAR(255) UNIQUE NOT NULL
        );

        CREATE TABLE IF NOT EXISTS protocols (
            id SERIAL PRIMARY KEY,
            name VARCHAR(10) UNIQUE NOT NULL
        );

        CREATE TABLE IF NOT EXISTS endpoints (
            id SERIAL PRIMARY KEY,
            address VARCHAR(255) UNIQUE NOT NULL
        );

        CREATE TABLE IF NOT EXISTS tags (
            id SERIAL PRIMARY KEY,
            name VARCHAR(100) UNIQUE NOT NULL
        );

        CREATE TABLE IF NOT EXISTS logs (
            id BIGSERIAL,
            "timestamp" TIMESTAMPTZ NOT NULL,
            source_ip INET NOT NULL,
            source_port INTEGER NOT NULL,
            action VARCHAR(50),
            protocol_id INTEGER REFERENCES protocols(id),
            destination_id INTEGER REFERENCES endpoints(id),
            destination_port INTEGER,
            inbound_tag_id INTEGER REFERENCES tags(id),
            outbound_tag_id INTEGER REFERENCES tags(id),
            user_id INTEGER REFERENCES users(id)
        ) PARTITION BY RANGE ("timestamp");

        CREATE INDEX IF NOT EXISTS idx_logs_timestamp
            ON logs ("timestamp");

        CREATE INDEX IF NOT EXISTS idx_logs_user_id
            ON logs (user_id);

        CREATE INDEX IF NOT EXISTS idx_logs_source_ip
            ON logs (source_ip);

        CREATE INDEX IF NOT EXISTS idx_logs_destination_id
            ON logs (destination_id);

        CREATE TABLE IF NOT EXISTS dead_letters (
            id BIGSERIAL PRIMARY KEY,
            received_at TIMESTAMPTZ NOT NULL,
            peer INET,
            reason TEXT NOT NULL,
            raw TEXT NOT NULL
        );

        CREATE TABLE IF NOT EXISTS spool_checkpoints (
            collector_id TEXT PRIMARY KEY,
            sequence BIGINT NOT NULL,
            updated_at TIMESTAMPTZ NOT NULL
        );
        """;

    /// <summary>
    /// <c>xraysink import</c>'s progress per input, keyed by the SHA-256 of its (decompressed) content: the number
    /// of lines whose rows are committed, advanced in the same transaction as those rows (like <c>spool_checkpoints</c>).
    /// </summary>
    public const string ImportFiles = """
        CREATE TABLE IF NOT EXISTS import_files (
            sha256 TEXT PRIMARY KEY,
            file_name TEXT NOT NULL,
            lines_total BIGINT NOT NULL,
            lines_committed BIGINT NOT NULL,
            started_at TIMESTAMPTZ NOT NULL,
            updated_at TIMESTAMPTZ NOT NULL
        );
        """;

    /// <summary>
    /// <see cref="Tables"/>, or for <c>Schema:ForeignKeys=false</c> the same DDL with <c>logs</c>' five
    /// <c>REFERENCES</c> removed and nothing else changed.
    /// </summary>
    public static string TablesFor(bool foreignKeys) => foreignKeys
        ? Tables
        : Tables
            .Replace(" REFERENCES protocols(id)", string.Empty, StringComparison.Ordinal)
            .Replace(" REFERENCES endpoints(id)", string.Empty, StringComparison.Ordinal)
            .Replace(" REFERENCES tags(id)", string.Empty, StringComparison.Ordinal)
            .Replace(" REFERENCES users(id)", string.Empty, StringComparison.Ordinal);

    public const string CompositeUserTimestampIndex = """
        CREATE INDEX IF NOT EXISTS idx_logs_user_ts
            ON logs (user_id, "timestamp");
        """;

    public const string BrinTimestampIndex = """
        CREATE INDEX IF NOT EXISTS idx_logs_timestamp_brin
            ON logs USING brin ("timestamp")
            WITH (pages_per_range = 256);
        """;
}
