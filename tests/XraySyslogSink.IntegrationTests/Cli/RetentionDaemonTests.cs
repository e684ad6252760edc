using XraySyslogSink.IntegrationTests.Infrastructure;

namespace XraySyslogSink.IntegrationTests.Cli;

[Collection(PostgresCollection.Name)]
public sealed class RetentionDaemonTests(PostgresServer server)
{
    // The daemon runs as the least-privileged writer (SinkUnderTest): it drops through xraysink_drop_partition(date).
    [Fact]
    public async Task The_daemon_drops_partitions_older_than_Retention_Days_and_precreates_ahead()
    {
        string db = await server.CreateDatabaseAsync();
        CliRun migrate = await CliRunner.RunAsync(db, DateTimeOffset.UtcNow, "migrate", "--from", "2020-01-01", "--to", "2020-01-03");
        Assert.Equal(0, migrate.ExitCode);
        await Database.ScalarAsync<object?>(db, "CREATE TABLE logs_2019_12_31 (LIKE logs INCLUDING DEFAULTS)");

        await using SinkUnderTest sink = await SinkUnderTest.StartAsync(
            db,
            "--Retention:Days=30",
            "--Schema:PrecreateDays=4");
        long old = await WaitForAsync(db, "SELECT count(*) FROM pg_class WHERE relname LIKE 'logs_2020_%' AND relkind = 'r'", 0);

        Assert.Equal(0L, old);
        DateOnly today = DateOnly.FromDateTime(DateTime.UtcNow);
        for (int ahead = 0; ahead <= 4; ahead++)
        {
            string name = $"logs_{today.AddDays(ahead):yyyy_MM_dd}";
            Assert.Equal(1L, await Database.ScalarAsync<long>(db, $"SELECT count(*) FROM pg_inherits WHERE inhrelid = to_regclass('{name}')"));
        }

        // Not one of our partitions: never dropped.
        Assert.Equal(1L, await Database.ScalarAsync<long>(db, "SELECT count(*) FROM pg_class WHERE relname = 'logs_2019_12_31'"));
    }

    private static async Task<long> WaitForAsync(string db, string countSql, long expected)
    {
        DateTime deadline = DateTime.UtcNow.AddSeconds(30);
        long count;
        while ((count = await Database.ScalarAsync<long>(db, countSql)) != expected && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }

        return count;
    }
}
