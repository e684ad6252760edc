using Npgsql;
using XraySyslogSink.IntegrationTests.Infrastructure;
using XraySyslogSink.Storage;

namespace XraySyslogSink.IntegrationTests.Nodes;

/// <summary>
/// An install made by the previous version (its schema, made by its owner, with rows in it) upgrades in place:
/// the rows are kept, <c>nodes</c> and <c>logs.node_id</c> are added without rewriting <c>logs</c>, and new rows
/// name their node. <c>Schema:SeedOnly</c> keeps exactly the seed tables.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class NodeUpgradeTests(PostgresServer postgres)
{
    /// <summary>What the previous version's migration created (its DDL is unchanged in this one).</summary>
    private static string PreviousSchema(string schema) =>
        SchemaSql.TablesFor(foreignKeys: true) + SchemaSql.ImportFiles + SchemaSql.PartitionFunction(schema)
        + SchemaSql.DropPartitionFunction(schema) + AnalyticsSql.Objects
        + "SELECT xraysink_create_partition(date '2025-11-17');";

    [Fact]
    public async Task A_previous_install_keeps_its_rows_gains_the_node_column_and_attributes_new_rows()
    {
        string admin = await postgres.CreateDatabaseAsync();
        await DatabaseRoles.RunRolesScriptAsync(admin);
        await ExecuteAsync(DatabaseRoles.As(admin, DatabaseRoles.Owner, DatabaseRoles.OwnerPassword), PreviousSchema("public") + """
            INSERT INTO users (email) VALUES ('old@example.com');
            INSERT INTO logs ("timestamp", source_ip, source_port, action, user_id)
            SELECT '2025-11-17 08:00:00+00', '10.0.0.1', p, 'accepted', 1 FROM generate_series(1, 3) p;
            """);
        long relfilenode = await Database.ScalarAsync<long>(admin, "SELECT relfilenode::bigint FROM pg_class WHERE relname = 'logs_2025_11_17'");

        // The daemon's start migrates as the owner (as the daemon does in the tests), then runs as the writer.
        await using SinkUnderTest sink = await SinkUnderTest.StartAsync(admin);
        await sink.SendTcpOctetCountedAsync(
            "<14>1 2025-11-17T10:00:00Z node-new xray - - - 2025/11/17 10:00:00 from 10.0.0.2:4 accepted tcp:x.example:443 [in >> out] email: new@example.com");
        Assert.Equal(4, await sink.WaitForRowsAsync(4));

        List<object?[]> rows = await Database.RowsAsync(admin, """
            SELECT l.source_port, n.name::text FROM logs l LEFT JOIN nodes n ON n.id = l.node_id ORDER BY l.source_port
            """);
        Assert.Equal([[1, null], [2, null], [3, null], [4, "node-new"]], rows);

        // Added, not rewritten: the partition kept its file; the column is nullable, without a default, and
        // references nodes (Schema:ForeignKeys=true).
        Assert.Equal(relfilenode, await Database.ScalarAsync<long>(admin, "SELECT relfilenode::bigint FROM pg_class WHERE relname = 'logs_2025_11_17'"));
        Assert.Equal("YES|", await Database.ScalarAsync<string>(admin,
            "SELECT is_nullable || '|' || coalesce(column_default, '') FROM information_schema.columns WHERE table_name = 'logs' AND column_name = 'node_id'"));
        Assert.Equal(1, await Database.ScalarAsync<long>(admin,
            "SELECT count(*) FROM pg_constraint WHERE conrelid = 'logs'::regclass AND contype = 'f' AND confrelid = 'nodes'::regclass"));
    }

    [Fact]
    public async Task Without_foreign_keys_the_node_column_has_no_reference()
    {
        string admin = await postgres.CreateDatabaseAsync();
        await using NpgsqlDataSource dataSource = NpgsqlDataSource.Create(admin);
        await new SchemaMigrator(dataSource, new SchemaOptions { ForeignKeys = false }, TimeProvider.System, Microsoft.Extensions.Logging.Abstractions.NullLogger<SchemaMigrator>.Instance)
            .ApplyAsync(CancellationToken.None);

        Assert.Equal(1, await Database.ScalarAsync<long>(admin, "SELECT count(*) FROM information_schema.columns WHERE table_name = 'logs' AND column_name = 'node_id'"));
        Assert.Equal(0, await Database.ScalarAsync<long>(admin, "SELECT count(*) FROM pg_constraint WHERE conrelid = 'logs'::regclass AND contype = 'f'"));
    }

    private static async Task ExecuteAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
