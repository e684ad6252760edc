using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using XraySyslogSink.IntegrationTests.Infrastructure;
using XraySyslogSink.Storage;

namespace XraySyslogSink.IntegrationTests.Storage;

[Collection(PostgresCollection.Name)]
public sealed class SchemaMigratorTests(PostgresServer server)
{
    private const string ColumnsSql = """
        SELECT table_name || '.' || column_name || ' ' || data_type
               || coalesce('(' || character_maximum_length || ')', '')
               || CASE WHEN is_nullable = 'NO' THEN ' not null' ELSE '' END
               || coalesce(' default ' || column_default, '')
        FROM information_schema.columns
        WHERE table_schema = 'public' AND table_name IN ('users', 'protocols', 'endpoints', 'tags', 'logs', 'dead_letters')
        ORDER BY table_name, ordinal_position
        """;

    [Fact]
    public async Task Creates_exactly_the_seed_schema()
    {
        await using StorageHarness db = await StorageHarness.CreateAsync(server, new SchemaOptions { SeedOnly = true });

        List<string?[]> columns = await db.RowsAsync(ColumnsSql);
        Assert.Equal(
            [
                "dead_letters.id bigint not null default nextval('dead_letters_id_seq'::regclass)",
                "dead_letters.received_at timestamp with time zone not null",
                "dead_letters.peer inet",
                "dead_letters.reason text not null",
                "dead_letters.raw text not null",
                "endpoints.id integer not null default nextval('endpoints_id_seq'::regclass)",
                "endpoints.address character varying(255) not null",
                "logs.id bigint not null default nextval('logs_id_seq'::regclass)",
                "logs.timestamp timestamp with time zone not null",
                "logs.source_ip inet not null",
                "logs.source_port integer not null",
                "logs.action character varying(50)",
                "logs.protocol_id integer",
                "logs.destination_id integer",
                "logs.destination_port integer",
                "logs.inbound_tag_id integer",
                "logs.outbound_tag_id integer",
                "logs.user_id integer",
                "protocols.id integer not null default nextval('protocols_id_seq'::regclass)",
                "protocols.name character varying(10) not null",
                "tags.id integer not null default nextval('tags_id_seq'::regclass)",
                "tags.name character varying(100) not null",
                "users.id integer not null default nextval('users_id_seq'::regclass)",
                "users.email character varying(255) not null",
            ],
            columns.Select(r => r[0]!));

        // logs is range-partitioned on "timestamp".
        Assert.Equal("p", (await db.ScalarAsync<char>("SELECT relkind FROM pg_class WHERE oid = 'logs'::regclass")).ToString());
        Assert.Equal("RANGE (\"timestamp\")", await db.ScalarAsync<string>("SELECT pg_get_partkeydef('logs'::regclass)"));

        // Primary and unique keys of the dimensions, and the five foreign keys of logs.
        List<string?[]> constraints = await db.RowsAsync("""
            SELECT conrelid::regclass::text || ' ' || contype::text || ' ' || pg_get_constraintdef(oid)
            FROM pg_constraint
            WHERE connamespace = 'public'::regnamespace AND conrelid::regclass::text IN ('users', 'protocols', 'endpoints', 'tags', 'logs', 'dead_letters')
            ORDER BY 1
            """);
        Assert.Equal(
            [
                "dead_letters p PRIMARY KEY (id, received_at)",
                "endpoints p PRIMARY KEY (id)",
                "endpoints u UNIQUE (address)",
                "logs f FOREIGN KEY (destination_id) REFERENCES endpoints(id)",
                "logs f FOREIGN KEY (inbound_tag_id) REFERENCES tags(id)",
                "logs f FOREIGN KEY (outbound_tag_id) REFERENCES tags(id)",
                "logs f FOREIGN KEY (protocol_id) REFERENCES protocols(id)",
                "logs f FOREIGN KEY (user_id) REFERENCES users(id)",
                "protocols p PRIMARY KEY (id)",
                "protocols u UNIQUE (name)",
                "tags p PRIMARY KEY (id)",
                "tags u UNIQUE (name)",
                "users p PRIMARY KEY (id)",
                "users u UNIQUE (email)",
            ],
            constraints.Select(r => r[0]!));

        List<string?[]> indexes = await db.RowsAsync("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'logs' ORDER BY indexname");
        Assert.Equal(
            [
                "CREATE INDEX idx_logs_destination_id ON ONLY public.logs USING btree (destination_id)",
                "CREATE INDEX idx_logs_source_ip ON ONLY public.logs USING btree (source_ip)",
                "CREATE INDEX idx_logs_timestamp ON ONLY public.logs USING btree (\"timestamp\")",
                "CREATE INDEX idx_logs_user_id ON ONLY public.logs USING btree (user_id)",
            ],
            indexes.Select(r => r[1]!));

        // Today's and Schema:PrecreateDays (default 2) more, with the seed's bounds, inheriting the id default.
        List<string?[]> partitions = await db.RowsAsync("""
            SELECT c.relname || ' ' || pg_get_expr(c.relpartbound, c.oid)
            FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
            WHERE i.inhparent = 'logs'::regclass
            ORDER BY c.relname
            """);
        Assert.Equal(
            [
                "logs_2025_11_17 FOR VALUES FROM ('2025-11-17 00:00:00+00') TO ('2025-11-18 00:00:00+00')",
                "logs_2025_11_18 FOR VALUES FROM ('2025-11-18 00:00:00+00') TO ('2025-11-19 00:00:00+00')",
                "logs_2025_11_19 FOR VALUES FROM ('2025-11-19 00:00:00+00') TO ('2025-11-20 00:00:00+00')",
            ],
            partitions.Select(r => r[0]!));
        Assert.Equal(
            "nextval('logs_id_seq'::regclass)",
            await db.ScalarAsync<string>("SELECT column_default FROM information_schema.columns WHERE table_name = 'logs_2025_11_17' AND column_name = 'id'"));
    }

    [Fact]
    public async Task Creates_the_optional_indexes_only_when_enabled()
    {
        await using StorageHarness db = await StorageHarness.CreateAsync(server, new SchemaOptions { CompositeUserTimestampIndex = true, BrinTimestampIndex = true });

        List<string?[]> indexes = await db.RowsAsync("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'logs' ORDER BY indexname");
        Assert.Contains(indexes, r => r[0] == "idx_logs_user_ts" && r[1]!.EndsWith("USING btree (user_id, \"timestamp\")", StringComparison.Ordinal));
        Assert.Contains(indexes, r => r[0] == "idx_logs_timestamp_brin" && r[1]!.Contains("USING brin (\"timestamp\") WITH (pages_per_range='256')", StringComparison.Ordinal));
        Assert.Equal(6, indexes.Count);
    }

    [Fact]
    public async Task The_foreign_key_less_profile_drops_exactly_the_five_references()
    {
        const string ForeignKeys = "SELECT count(*) FROM pg_constraint WHERE conrelid = 'logs'::regclass AND contype = 'f'";
        await using StorageHarness seed = await StorageHarness.CreateAsync(server, new SchemaOptions { SeedOnly = true });
        await using StorageHarness trusting = await StorageHarness.CreateAsync(server, new SchemaOptions { ForeignKeys = false, BrinTimestampIndex = true, SeedOnly = true });

        Assert.Equal(5L, await seed.ScalarAsync<long>(ForeignKeys));
        Assert.Equal(0L, await trusting.ScalarAsync<long>(ForeignKeys));

        // Same columns, types and indexes otherwise (plus the BRIN index asked for).
        const string Columns = "SELECT string_agg(column_name || ' ' || data_type || ' ' || is_nullable, ', ' ORDER BY ordinal_position) FROM information_schema.columns WHERE table_name = 'logs'";
        Assert.Equal(await seed.ScalarAsync<string>(Columns), await trusting.ScalarAsync<string>(Columns));
        Assert.Equal(5L, await trusting.ScalarAsync<long>("SELECT count(*) FROM pg_indexes WHERE tablename = 'logs'"));

        // A row whose ids have no dimension row is then the writer's responsibility: the database takes it.
        await trusting.ExecuteAsync($"INSERT INTO logs (\"timestamp\", source_ip, source_port, user_id) VALUES ('{StorageHarness.Today:yyyy-MM-dd} 12:00:00+00', '1.2.3.4', 1, 999)");
        Assert.Equal(1L, await trusting.ScalarAsync<long>("SELECT count(*) FROM logs"));
    }

    [Fact]
    public async Task Is_idempotent_when_run_again_and_concurrently()
    {
        await using StorageHarness db = await StorageHarness.CreateAsync(server);
        await db.ExecuteAsync("INSERT INTO users (email) VALUES ('kept@example.com')");

        // Several daemons starting at once against an already migrated database, and again.
        for (int round = 0; round < 3; round++)
        {
            await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => Task.Run(() =>
                new SchemaMigrator(db.DataSource, new SchemaOptions(), new FixedTimeProvider(StorageHarness.Today.AddDays(round)), NullLogger<SchemaMigrator>.Instance)
                    .ApplyAsync(CancellationToken.None))));
        }

        Assert.Equal(1L, await db.ScalarAsync<long>("SELECT count(*) FROM users"));
        // Rounds on three consecutive days, each creating its day and two ahead: five days.
        Assert.Equal(5L, await db.ScalarAsync<long>("SELECT count(*) FROM pg_inherits WHERE inhparent = 'logs'::regclass"));
        Assert.Equal(4L, await db.ScalarAsync<long>("SELECT count(*) FROM pg_indexes WHERE tablename = 'logs'"));
    }

    [Fact]
    public async Task Migrates_a_fresh_database_concurrently()
    {
        string connectionString = await server.CreateDatabaseAsync();
        await using NpgsqlDataSource dataSource = NpgsqlDataSource.Create(connectionString);

        // CREATE TABLE IF NOT EXISTS alone raises 23505/42P07 when two sessions race; the advisory lock prevents it.
        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() =>
            new SchemaMigrator(dataSource, new SchemaOptions(), new FixedTimeProvider(StorageHarness.Today), NullLogger<SchemaMigrator>.Instance)
                .ApplyAsync(CancellationToken.None))));

        await using NpgsqlCommand count = dataSource.CreateCommand("SELECT count(*) FROM pg_inherits WHERE inhparent = 'logs'::regclass");
        Assert.Equal(3L, await count.ExecuteScalarAsync());
    }
}
