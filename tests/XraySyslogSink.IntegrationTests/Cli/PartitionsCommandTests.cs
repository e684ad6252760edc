using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;
using XraySyslogSink.Hosting;
using XraySyslogSink.IntegrationTests.Infrastructure;
using XraySyslogSink.Storage;

namespace XraySyslogSink.IntegrationTests.Cli;

[Collection(PostgresCollection.Name)]
public sealed class PartitionsCommandTests(PostgresServer server)
{
    private static readonly DateTimeOffset Now = new(2025, 1, 10, 6, 0, 0, TimeSpan.Zero);

    private const string TablesSql = "SELECT relname FROM pg_class WHERE relkind IN ('r', 'p') AND relname LIKE 'logs%' ORDER BY relname";

    [Fact]
    public async Task List_shows_every_attached_table_with_its_range()
    {
        string db = await MigratedWithStrangersAsync();
        await Database.ScalarAsync<object?>(db, "INSERT INTO logs (\"timestamp\", source_ip, source_port) SELECT '2025-01-02 10:00:00+00', '10.0.0.1', g FROM generate_series(1, 100) g; ANALYZE logs_2025_01_02");

        CliRun result = await CliRunner.RunAsync(db, Now, "partitions", "list", "--format", "csv");

        Assert.Equal(0, result.ExitCode);
        string[] lines = result.Out.Split('\n');
        Assert.Equal("partition,from,to,rows_estimate,bytes", lines[0]);
        string[] expected =
        [
            "logs_2024_12_30,FOR VALUES FROM ('2024-12-30 00:00:00+00') TO ('2025-01-01 00:00:00+00'),,0,",
            "logs_2025_01_01,2025-01-01T00:00:00Z,2025-01-02T00:00:00Z,0,",
            "logs_2025_01_02,2025-01-02T00:00:00Z,2025-01-03T00:00:00Z,100,",
            "logs_2025_01_03,2025-01-03T00:00:00Z,2025-01-04T00:00:00Z,0,",
            "logs_2025_01_04,2025-01-04T00:00:00Z,2025-01-05T00:00:00Z,0,",
            "logs_2025_01_10,2025-01-10T00:00:00Z,2025-01-11T00:00:00Z,0,",
            "logs_2025_01_11,2025-01-11T00:00:00Z,2025-01-12T00:00:00Z,0,",
            "logs_2025_01_12,2025-01-12T00:00:00Z,2025-01-13T00:00:00Z,0,",
            "logs_archive_2024,FOR VALUES FROM ('2024-01-01 00:00:00+00') TO ('2024-12-30 00:00:00+00'),,0,",
        ];
        Assert.Equal(expected.Length + 2, lines.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            // The last column is the size in bytes, which depends on the server version.
            Assert.StartsWith(expected[i], lines[i + 1], StringComparison.Ordinal);
            Assert.True(long.Parse(lines[i + 1][(lines[i + 1].LastIndexOf(',') + 1)..]) > 0);
        }

        CliRun table = await CliRunner.RunAsync(db, Now, "partitions", "list");
        string[] tableLines = table.Out.Split('\n');
        Assert.Matches("^partition +from +to +rows_estimate +size$", tableLines[0]);
        Assert.Matches("^logs_2025_01_02 +2025-01-02 00:00:00 +2025-01-03 00:00:00 +100 +[0-9.]+ kB$", tableLines[4]);
        Assert.EndsWith("(9 rows)\n", table.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Drop_detaches_and_drops_only_our_daily_partitions_wholly_older_than_the_age()
    {
        string db = await MigratedWithStrangersAsync();
        await Database.ScalarAsync<object?>(db, """
            INSERT INTO logs ("timestamp", source_ip, source_port) VALUES
                ('2024-06-01 00:00:00+00', '10.0.0.1', 1), ('2024-12-30 12:00:00+00', '10.0.0.1', 2),
                ('2025-01-01 12:00:00+00', '10.0.0.1', 3), ('2025-01-02 23:59:59+00', '10.0.0.1', 4),
                ('2025-01-03 00:00:00+00', '10.0.0.1', 5)
            """);

        // 7 days before 2025-01-10 06:00 is 2025-01-03 06:00: the days up to 01-02 end before it, 01-03 does not.
        CliRun dry = await CliRunner.RunAsync(db, Now, "partitions", "drop", "--older-than", "7d", "--dry-run");
        Assert.Equal(
            "would drop logs_2025_01_01\nwould drop logs_2025_01_02\n2 partitions would be dropped (ending at or before 2025-01-03 06:00:00 UTC)\n",
            dry.Out);
        Assert.Equal(5L, await Database.ScalarAsync<long>(db, "SELECT count(*) FROM logs"));

        CliRun drop = await CliRunner.RunAsync(db, Now, "partitions", "drop", "--older-than", "7d");
        Assert.Equal(0, drop.ExitCode);
        Assert.Equal(
            "dropped logs_2025_01_01\ndropped logs_2025_01_02\n2 partitions dropped (ending at or before 2025-01-03 06:00:00 UTC)\n",
            drop.Out);

        // Rows of other tables stay; the look-alikes (a plain table, a two-day partition, an archive) are all still there.
        Assert.Equal([1L, 2L, 5L], (await Database.RowsAsync(db, "SELECT source_port::bigint FROM logs ORDER BY 1")).Select(r => (long)r[0]!));
        Assert.Equal(
            ["logs", "logs_2024_12_29", "logs_2024_12_30", "logs_2025_01_03", "logs_2025_01_04", "logs_2025_01_10", "logs_2025_01_11", "logs_2025_01_12", "logs_2025_01_old", "logs_archive_2024"],
            (await Database.RowsAsync(db, TablesSql)).Select(r => (string)r[0]!));

        // Far older than everything: the strangers still survive.
        CliRun all = await CliRunner.RunAsync(db, Now.AddYears(5), "partitions", "drop", "--older-than", "1d");
        Assert.Equal(0, all.ExitCode);
        Assert.DoesNotContain("logs_2024_12_30", all.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("archive", all.Out, StringComparison.Ordinal);
        Assert.Equal(
            ["logs", "logs_2024_12_29", "logs_2024_12_30", "logs_2025_01_old", "logs_archive_2024"],
            (await Database.RowsAsync(db, TablesSql)).Select(r => (string)r[0]!));
        Assert.Equal(2L, await Database.ScalarAsync<long>(db, "SELECT count(*) FROM logs"));
        Assert.Equal(1L, await Database.ScalarAsync<long>(db, "SELECT count(*) FROM logs_2024_12_29"));
    }

    [Theory]
    [InlineData("drop", "drop needs --older-than AGE")]
    [InlineData("drop --older-than soon", "--older-than must be a duration such as 90d, 12h, 30m or 00:30:00 (got 'soon')")]
    [InlineData("prune", "unknown action 'prune' (one of list, drop)")]
    [InlineData("list --format xml", "--format must be table, csv or json (got 'xml')")]
    public async Task Bad_arguments_are_usage_errors(string args, string message)
    {
        string db = await MigratedWithStrangersAsync();
        CliRun result = await CliRunner.RunAsync(db, Now, ["partitions", .. args.Split(' ')]);
        Assert.Equal(2, result.ExitCode);
        Assert.StartsWith($"xraysink partitions: {message}\n", result.Error, StringComparison.Ordinal);
        Assert.Equal(12L, await Database.ScalarAsync<long>(db, "SELECT count(*) FROM pg_class WHERE relkind IN ('r', 'p') AND relname LIKE 'logs%'"));
    }

    [Fact]
    public async Task Retention_service_precreates_ahead_and_drops_days_older_than_the_limit()
    {
        string db = await MigratedWithStrangersAsync();
        await using NpgsqlDataSource dataSource = NpgsqlDataSource.Create(db);
        var later = new FixedTimeProvider(new DateTimeOffset(2025, 1, 14, 0, 30, 0, TimeSpan.Zero));
        var migrator = new SchemaMigrator(dataSource, new SchemaOptions { PrecreateDays = 3 }, later, NullLogger<SchemaMigrator>.Instance);

        // Keep forever (the default): only pre-creation.
        var keep = new PartitionMaintenanceService(migrator, dataSource, Options.Create(new RetentionOptions()), later, NullLogger<PartitionMaintenanceService>.Instance);
        Assert.Empty(await keep.RunOnceAsync(CancellationToken.None));
        Assert.Equal(16L, await Database.ScalarAsync<long>(db, "SELECT count(*) FROM pg_class WHERE relkind IN ('r', 'p') AND relname LIKE 'logs%'"));

        // Ten days before 2025-01-14 00:30 is 2025-01-04 00:30: the days up to 01-03 go, 01-04 stays.
        var retain = new PartitionMaintenanceService(migrator, dataSource, Options.Create(new RetentionOptions { Days = 10 }), later, NullLogger<PartitionMaintenanceService>.Instance);
        IReadOnlyList<PartitionInfo> dropped = await retain.RunOnceAsync(CancellationToken.None);
        Assert.Equal(["logs_2025_01_01", "logs_2025_01_02", "logs_2025_01_03"], dropped.Select(p => p.Name));
        Assert.Empty(await retain.RunOnceAsync(CancellationToken.None));
        Assert.Equal(
            ["logs", "logs_2024_12_29", "logs_2024_12_30", "logs_2025_01_04", "logs_2025_01_10", "logs_2025_01_11", "logs_2025_01_12",
             "logs_2025_01_14", "logs_2025_01_15", "logs_2025_01_16", "logs_2025_01_17", "logs_2025_01_old", "logs_archive_2024"],
            (await Database.RowsAsync(db, TablesSql)).Select(r => (string)r[0]!));
    }

    /// <summary>
    /// Our partitions of 2025-01-01…04 and of today and two days ahead, plus look-alikes that must never be dropped: a plain
    /// table named like a day, a partition named like a day but covering two, an archive partition, and a detached copy.
    /// </summary>
    private async Task<string> MigratedWithStrangersAsync()
    {
        string db = await server.CreateDatabaseAsync();
        CliRun migrate = await CliRunner.RunAsync(db, Now, "migrate", "--from", "2025-01-01", "--to", "2025-01-04");
        Assert.Equal(0, migrate.ExitCode);
        await Database.ScalarAsync<object?>(db, """
            CREATE TABLE logs_2024_12_29 (LIKE logs INCLUDING DEFAULTS);
            INSERT INTO logs_2024_12_29 ("timestamp", source_ip, source_port) VALUES ('2024-12-29 01:00:00+00', '10.0.0.9', 9);
            CREATE TABLE logs_2024_12_30 PARTITION OF logs FOR VALUES FROM ('2024-12-30 00:00:00+00') TO ('2025-01-01 00:00:00+00');
            CREATE TABLE logs_archive_2024 PARTITION OF logs FOR VALUES FROM ('2024-01-01 00:00:00+00') TO ('2024-12-30 00:00:00+00');
            CREATE TABLE logs_2025_01_old (LIKE logs);
            """);
        return db;
    }
}
