namespace XraySyslogSink.Storage.Migrations;

/// <summary>
/// Every versioned migration, in order. To change the schema, append a step with the next version (docs/design.md,
/// "Schema migrations"); never edit a released one.
/// </summary>
internal static class SchemaSteps
{
    public static IReadOnlyList<SchemaStep> All { get; } =
    [
        // What every version before versioned migrations created, written with IF NOT EXISTS / CREATE OR REPLACE so it
        // adopts any of their installs (the oldest had only the seed tables, dead_letters and partitions).
        new(1, "baseline: seed tables, dead_letters, spool_checkpoints, import_files, partition functions, reports", ExtendsSeed: false, Baseline),
        new(2, "writer limits: retention floor and creation window set by the owner; checkpoint rows per role", ExtendsSeed: false, WriterLimitsSql.Step),

        // dead_letters is the sink's own table, not the seed's: converted under Schema:SeedOnly too (the seed tables are untouched).
        new(3, "dead letters in daily partitions with the owner's retention floor", ExtendsSeed: false, DeadLetterPartitionsSql.Step),

        // Every row knows its node (docs/nodes.md): a column added to logs, so Schema:SeedOnly skips it.
        new(4, "nodes: the nodes dimension, logs.node_id, the node column of logs_readable, p_node on every report, the fleet reports", ExtendsSeed: true, c => NodeSql.Step(c.Options.ForeignKeys)),
    ];

    /// <summary>The version a database is at once every step has run.</summary>
    public static int Latest => All[^1].Version;

    private static string Baseline(SchemaStepContext context) =>
        SchemaSql.TablesFor(context.Options.ForeignKeys)
        + SchemaSql.ImportFiles
        + SchemaSql.PartitionFunction(context.QuotedSchema)
        + SchemaSql.DropPartitionFunction(context.QuotedSchema)
        + AnalyticsSql.Objects;
}
