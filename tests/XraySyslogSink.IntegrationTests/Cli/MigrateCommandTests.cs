using XraySyslogSink.IntegrationTests.Infrastructure;

namespace XraySyslogSink.IntegrationTests.Cli;

[Collection(PostgresCollection.Name)]
public sealed class MigrateCommandTests(PostgresServer server)
{
    private static readonly DateTimeOffset Now = new(2025, 3, 10, 15, 0, 0, TimeSpan.Zero);

    private const string PartitionsSql = """
        SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
        WHERE i.inhparent = 'logs'::regclass ORDER BY c.relname
        """;

    [Fact]
    public async Task Creates_the_schema_and_every_day_of_a_historical_range_idempotently()
    {
        string db = await server.CreateDatabaseAsync();

        for (int run = 0; run < 2; run++)
        {
            CliRun result = await CliRunner.RunAsync(db, Now, "migrate", "--from", "2024-12-30", "--to", "2025-01-02");
            Assert.Equal(
                "xraysink: schema is up to date\nxraysink: partitions logs_2024_12_30 to logs_2025_01_02 exist (4 days)\n",
                result.Out);
            Assert.Equal(0, result.ExitCode);
            Assert.Equal(string.Empty, result.Error);
        }

        // The range, today and Schema:PrecreateDays (2) ahead, nothing else.
        List<object?[]> partitions = await Database.RowsAsync(db, PartitionsSql);
        Assert.Equal(
            ["logs_2024_12_30", "logs_2024_12_31", "logs_2025_01_01", "logs_2025_01_02", "logs_2025_03_10", "logs_2025_03_11", "logs_2025_03_12"],
            partitions.Select(r => (string)r[0]!));
        Assert.Equal(
            "FOR VALUES FROM ('2024-12-31 00:00:00+00') TO ('2025-01-01 00:00:00+00')",
            await Database.ScalarAsync<string>(db, "SET TimeZone = 'UTC'; SELECT pg_get_expr(relpartbound, oid) FROM pg_class WHERE relname = 'logs_2024_12_31'"));

        // The report functions and the import bookkeeping exist.
        Assert.Equal(10L, await Database.ScalarAsync<long>(db, "SELECT count(*) FROM pg_proc WHERE proname LIKE 'report\\_%'"));
        Assert.Equal(0L, await Database.ScalarAsync<long>(db, "SELECT count(*) FROM import_files"));
        Assert.Equal(0L, await Database.ScalarAsync<long>(db, "SELECT count(*) FROM logs_readable"));
    }

    [Fact]
    public async Task A_single_day_range_and_the_precreate_setting()
    {
        string db = await server.CreateDatabaseAsync();
        CliRun result = await CliRunner.RunAsync(db, Now, "migrate", "--from", "2025-02-01", "--to", "2025-02-01", "--Schema:PrecreateDays=0");

        Assert.Equal(0, result.ExitCode);
        Assert.EndsWith("partitions logs_2025_02_01 to logs_2025_02_01 exist (1 days)\n", result.Out, StringComparison.Ordinal);
        List<object?[]> partitions = await Database.RowsAsync(db, PartitionsSql);
        Assert.Equal(["logs_2025_02_01", "logs_2025_03_10"], partitions.Select(r => (string)r[0]!));
    }

    [Theory]
    [InlineData("--from 2025-01-02", "--from and --to go together")]
    [InlineData("--from 2025-01-02 --to 2025-01-01", "--from 2025-01-02 is after --to 2025-01-01")]
    [InlineData("--from 2025-1-2 --to 2025-01-03", "--from must be a date such as 2025-11-17 (got '2025-1-2')")]
    [InlineData("--from 2000-01-01 --to 2025-01-01", "the range covers more than 3660 days; migrate it in parts")]
    [InlineData("--since 2025-01-01", "unknown option --since")]
    public async Task Bad_ranges_are_usage_errors_that_touch_nothing(string args, string message)
    {
        string db = await server.CreateDatabaseAsync();
        CliRun result = await CliRunner.RunAsync(db, Now, ["migrate", .. args.Split(' ')]);

        Assert.Equal(2, result.ExitCode);
        Assert.Equal($"xraysink migrate: {message}\nusage: xraysink migrate [--from DATE] [--to DATE]  (see 'xraysink migrate --help')\n", result.Error);
        Assert.Equal(0L, await Database.ScalarAsync<long>(db, "SELECT count(*) FROM pg_class WHERE relname = 'logs'"));
    }
}
