using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using XraySyslogSink.Core;
using XraySyslogSink.IntegrationTests.Infrastructure;
using XraySyslogSink.Storage;
using XraySyslogSink.Storage.Migrations;

namespace XraySyslogSink.IntegrationTests.Nodes;

/// <summary>
/// The nodes step of the schema: version 4, after the released steps; an install made by the previous release (its
/// steps, run by its owner, with rows in it) upgrades in place: the rows are kept, <c>nodes</c> and
/// <c>logs.node_id</c> are added without rewriting <c>logs</c>, and new rows name their node. <c>Schema:SeedOnly</c>
/// skips the step and keeps exactly the seed tables, and the writer then stores rows without a node. The writer's
/// start-up check knows the privileges the step needs.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class NodeUpgradeTests(PostgresServer postgres)
{
    private const string NodeColumn = "SELECT count(*) FROM information_schema.columns WHERE table_name = 'logs' AND column_name = 'node_id'";

    /// <summary>The released steps: what the previous release migrated an install to (a step never changes once released).</summary>
    private static IReadOnlyList<SchemaStep> PreviousRelease => [.. SchemaSteps.All.Where(s => s.Version < NodesStep.Version)];

    private static SchemaStep NodesStep => SchemaSteps.All.Single(s => s.Name.StartsWith("nodes:", StringComparison.Ordinal));

    [Fact]
    public void The_nodes_step_is_version_4_after_the_released_steps_and_extends_the_seed()
    {
        Assert.Equal(4, NodesStep.Version);
        Assert.Equal(SchemaSteps.Latest, NodesStep.Version);
        Assert.True(NodesStep.ExtendsSeed);
        Assert.Equal([1, 2, 3], PreviousRelease.Select(s => s.Version));
    }

    [Fact]
    public async Task A_previous_install_keeps_its_rows_gains_the_node_column_and_attributes_new_rows()
    {
        string admin = await postgres.CreateDatabaseAsync();
        await DatabaseRoles.RunRolesScriptAsync(admin);
        string owner = DatabaseRoles.As(admin, DatabaseRoles.Owner, DatabaseRoles.OwnerPassword);
        await MigrateAsync(owner, new SchemaOptions { WriterRole = DatabaseRoles.Writer, ReaderRole = DatabaseRoles.Reader }, PreviousRelease);
        await Database.ScalarAsync<object?>(admin, """
            SELECT xraysink_create_partition(date '2025-11-17');
            INSERT INTO users (email) VALUES ('old@example.com');
            INSERT INTO logs ("timestamp", source_ip, source_port, action, user_id)
            SELECT '2025-11-17 08:00:00+00', '10.0.0.1', p, 'accepted', 1 FROM generate_series(1, 3) p;
            """);
        Assert.Equal(3, await Database.ScalarAsync<int>(admin, "SELECT max(version) FROM schema_migrations"));
        Assert.Equal(0L, await Database.ScalarAsync<long>(admin, NodeColumn));
        long relfilenode = await Database.ScalarAsync<long>(admin, "SELECT relfilenode::bigint FROM pg_class WHERE relname = 'logs_2025_11_17'");

        // This release's start migrates as the owner (as the daemon does in the tests), then runs as the writer.
        await using SinkUnderTest sink = await SinkUnderTest.StartAsync(admin);
        await sink.SendTcpOctetCountedAsync(
            "<14>1 2025-11-17T10:00:00Z node-new xray - - - 2025/11/17 10:00:00 from 10.0.0.2:4 accepted tcp:x.example:443 [in >> out] email: new@example.com");
        Assert.Equal(4, await sink.WaitForRowsAsync(4));

        List<object?[]> rows = await Database.RowsAsync(admin, """
            SELECT l.source_port, u.email::text, n.name::text FROM logs l
            LEFT JOIN users u ON u.id = l.user_id LEFT JOIN nodes n ON n.id = l.node_id ORDER BY l.source_port
            """);
        Assert.Equal([[1, "old@example.com", null], [2, "old@example.com", null], [3, "old@example.com", null], [4, "new@example.com", "node-new"]], rows);
        Assert.Equal(4, await Database.ScalarAsync<int>(admin, "SELECT max(version) FROM schema_migrations"));

        // Added, not rewritten: the partition kept its file; the column is nullable, without a default, and
        // references nodes (Schema:ForeignKeys=true).
        Assert.Equal(relfilenode, await Database.ScalarAsync<long>(admin, "SELECT relfilenode::bigint FROM pg_class WHERE relname = 'logs_2025_11_17'"));
        Assert.Equal("YES|", await Database.ScalarAsync<string>(admin,
            "SELECT is_nullable || '|' || coalesce(column_default, '') FROM information_schema.columns WHERE table_name = 'logs' AND column_name = 'node_id'"));
        Assert.Equal(1, await Database.ScalarAsync<long>(admin,
            "SELECT count(*) FROM pg_constraint WHERE conrelid = 'logs'::regclass AND contype = 'f' AND confrelid = 'nodes'::regclass"));

        // The reader of the previous release reads the new table and the node-aware reports.
        Assert.True(await Database.ScalarAsync<bool>(admin, $"SELECT has_table_privilege('{DatabaseRoles.Reader}', 'nodes', 'SELECT')"));
        Assert.True(await Database.ScalarAsync<bool>(admin, $"SELECT has_function_privilege('{DatabaseRoles.Reader}', 'report_nodes(timestamptz, timestamptz, interval, text, text)', 'EXECUTE')"));
    }

    [Fact]
    public async Task Under_SeedOnly_the_step_is_skipped_rows_are_stored_without_a_node_and_a_later_run_adds_it()
    {
        await using StorageHarness seed = await StorageHarness.CreateAsync(postgres, new SchemaOptions { SeedOnly = true });
        Assert.True(await seed.ScalarAsync<bool>($"SELECT skipped FROM schema_migrations WHERE version = {NodesStep.Version}"));
        Assert.Equal(0L, await seed.ScalarAsync<long>("SELECT count(*) FROM pg_class WHERE relname = 'nodes'"));
        Assert.Equal(0L, await seed.ScalarAsync<long>(NodeColumn));

        FlushResult written = await WriteWithNodeAsync(seed.CreateStore(), new DateTime(2025, 11, 17, 8, 0, 0, DateTimeKind.Utc));
        Assert.Equal(1, written.RowsWritten);
        Assert.Equal(0L, await seed.ScalarAsync<long>("SELECT count(*) FROM dead_letters"));

        // The operator turns the setting off: the step runs, and a new store attributes its rows.
        await MigrateAsync(seed.ConnectionString, new SchemaOptions(), SchemaSteps.All);
        Assert.False(await seed.ScalarAsync<bool>($"SELECT skipped FROM schema_migrations WHERE version = {NodesStep.Version}"));
        await WriteWithNodeAsync(seed.CreateStore(), new DateTime(2025, 11, 17, 9, 0, 0, DateTimeKind.Utc));
        List<object?[]> rows = await Database.RowsAsync(seed.ConnectionString,
            "SELECT extract(hour FROM l.\"timestamp\" AT TIME ZONE 'UTC')::int, n.name::text FROM logs l LEFT JOIN nodes n ON n.id = l.node_id ORDER BY 1");
        Assert.Equal([[8, null], [9, "node-a"]], rows);
    }

    [Fact]
    public async Task Without_foreign_keys_the_node_column_has_no_reference()
    {
        string admin = await postgres.CreateDatabaseAsync();
        await MigrateAsync(admin, new SchemaOptions { ForeignKeys = false }, SchemaSteps.All);

        Assert.Equal(1, await Database.ScalarAsync<long>(admin, NodeColumn));
        Assert.Equal(0, await Database.ScalarAsync<long>(admin, "SELECT count(*) FROM pg_constraint WHERE conrelid = 'logs'::regclass AND contype = 'f'"));
    }

    [Theory]
    [InlineData("REVOKE INSERT ON nodes FROM xraysink_writer", "SELECT, INSERT on nodes")]
    [InlineData("REVOKE UPDATE (last_seen) ON nodes FROM xraysink_writer", "UPDATE (first_seen, last_seen, last_address) on nodes")]
    [InlineData("REVOKE USAGE ON SEQUENCE nodes_id_seq FROM xraysink_writer", "USAGE on nodes_id_seq")]
    public async Task A_writer_missing_a_nodes_grant_is_stopped_at_start_with_the_fix_in_the_message(string revoke, string missing)
    {
        string admin = await postgres.CreateDatabaseAsync();
        string writer = await DatabaseRoles.PrepareWriterAsync(admin);
        await MigrateAsync(writer, new SchemaOptions(), SchemaSteps.All);
        await Database.ScalarAsync<object?>(admin, revoke);

        InvalidOperationException error = await Assert.ThrowsAsync<InvalidOperationException>(() => MigrateAsync(writer, new SchemaOptions(), SchemaSteps.All));

        Assert.Contains($"lacks {missing}", error.Message, StringComparison.Ordinal);
        Assert.Contains($"xraysink migrate --Schema:WriterRole={DatabaseRoles.Writer}", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("UPDATE nodes SET name = 'x'")]
    [InlineData("DELETE FROM nodes")]
    [InlineData("INSERT INTO nodes (id, name) VALUES (DEFAULT, 'ok'); UPDATE logs SET node_id = NULL")]
    public async Task The_writer_may_not_rename_delete_nodes_or_reattribute_rows(string sql)
    {
        string admin = await postgres.CreateDatabaseAsync();
        string writer = await DatabaseRoles.PrepareWriterAsync(admin);

        PostgresException denied = await Assert.ThrowsAsync<PostgresException>(() => Database.ScalarAsync<object?>(writer, sql));

        Assert.Equal("42501", denied.SqlState); // insufficient_privilege
    }

    private static async Task<FlushResult> WriteWithNodeAsync(PostgresLogStore store, DateTime at)
    {
        AccessRecord record = StorageHarness.Record(at);
        record.Node = new DimensionValue("node-a");
        RecordChunk chunk = StorageHarness.Chunk(record);
        chunk.AddNode(new NodeSighting("node-a", new DimensionValue("node-a"), 0, TimeZoneInfo.Utc));
        try
        {
            return await store.WriteBatchAsync([chunk], CancellationToken.None);
        }
        finally
        {
            chunk.Release();
        }
    }

    private static async Task MigrateAsync(string connectionString, SchemaOptions options, IReadOnlyList<SchemaStep> steps)
    {
        await using NpgsqlDataSource dataSource = NpgsqlDataSource.Create(connectionString);
        await new SchemaMigrator(dataSource, options, TimeProvider.System, NullLogger<SchemaMigrator>.Instance, steps).ApplyAsync(CancellationToken.None);
    }
}
