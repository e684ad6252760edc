using System.ComponentModel.DataAnnotations;

namespace XraySyslogSink.Storage;

/// <summary>Options section <c>Schema</c>: optional parts of the seed schema.</summary>
internal sealed class SchemaOptions
{
    public const string SectionName = "Schema";

    /// <summary>
    /// Creates <c>idx_logs_user_ts ON logs (user_id, "timestamp")</c> for per-user timelines.
    /// Default <c>false</c>: it costs another btree update per row on the ingest path.
    /// </summary>
    public bool CompositeUserTimestampIndex { get; set; }

    /// <summary>
    /// Creates <c>idx_logs_timestamp_brin ON logs USING brin ("timestamp") WITH (pages_per_range = 256)</c>.
    /// Default <c>false</c>: the btree <c>idx_logs_timestamp</c> already serves time ranges.
    /// </summary>
    public bool BrinTimestampIndex { get; set; }

    /// <summary>
    /// Days of partitions created ahead of today (UTC), at start and then hourly by the maintenance service.
    /// Default <c>2</c>: today's, tomorrow's and the next day's partitions exist before their first row.
    /// </summary>
    [Range(0, 366)]
    public int PrecreateDays { get; set; } = 2;

    /// <summary>
    /// Default <c>true</c>: <c>logs</c> is created as the seed schema has it, with its five <c>REFERENCES</c>
    /// (protocol, destination, both tags, user). <c>false</c> is an opt-in profile for operators who trust the
    /// writer to keep ids consistent (the sink only writes ids it read back from the dimension tables): the
    /// table is created without them, which spares PostgreSQL five index probes per row. It only takes effect
    /// when <c>logs</c> is created; an existing table keeps its constraints.
    /// </summary>
    public bool ForeignKeys { get; set; } = true;

    /// <summary>
    /// Default <c>false</c>. <c>true</c> keeps the seed schema's tables exactly as the seed has them: versioned migrations
    /// that add columns or tables to it (extensions) are recorded in <c>schema_migrations</c> as skipped instead of
    /// applied. The sink's own bookkeeping tables (<c>dead_letters</c>, <c>spool_checkpoints</c>, <c>import_files</c>,
    /// <c>schema_migrations</c>) exist either way. Turning it off later applies the skipped steps at the next migration;
    /// turning it on after they ran removes nothing.
    /// </summary>
    public bool SeedOnly { get; set; }

    /// <summary>
    /// The role the daemon runs as when it does not own the schema (see <c>scripts/sql/roles.sql</c>), e.g.
    /// <c>xraysink_writer</c>. A migration run by the owner (<c>xraysink migrate</c>, or the daemon at start when it
    /// connects as the owner) grants it exactly the run-time privileges. Default empty: no grants.
    /// </summary>
    public string WriterRole { get; set; } = string.Empty;

    /// <summary>
    /// The read-only role of reports and dashboards (see <c>scripts/sql/roles.sql</c>), e.g. <c>xraysink_reader</c>.
    /// A migration run by the owner grants it SELECT on the data (<c>logs</c> and its partitions, the four dimension
    /// tables, the <c>logs_readable</c> view) and EXECUTE on the report functions: nothing else. Default empty: no grants.
    /// </summary>
    public string ReaderRole { get; set; } = string.Empty;
}
