using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using XraySyslogSink.Core;
using XraySyslogSink.IntegrationTests.Infrastructure;
using XraySyslogSink.Storage;

namespace XraySyslogSink.IntegrationTests.EndToEnd;

/// <summary>
/// The internet-facing writer role cannot erase history or litter the catalog: it drops only days older than the floor the
/// owner's migration stored (nothing without one), and creates partitions only within the window around today the owner
/// stored; the owner itself (<c>xraysink migrate</c>, <c>partitions</c>, <c>import</c>) is not limited. Each collector's
/// login role can advance only its own <c>spool_checkpoints</c> row.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class WriterLimitsTests(PostgresServer postgres)
{
    private static readonly WriterLimits Defaults = WriterLimits.For(0, TimeSpan.FromDays(30), TimeSpan.FromDays(1), 2);

    [Fact]
    public void The_default_limits_follow_the_accept_window_and_precreation()
    {
        Assert.Equal(new WriterLimits(null, 31, 2), Defaults);
        Assert.Equal(new WriterLimits(30, 8, 14), WriterLimits.For(30, TimeSpan.FromDays(6.5), TimeSpan.FromHours(1), 14));
    }

    [Fact]
    public async Task The_writer_may_not_drop_yesterday_with_its_rows()
    {
        (string admin, string writer) = await PrepareAsync(Defaults with { RetentionFloorDays = 10 });
        await Database.ScalarAsync<object?>(writer, """
            SELECT xraysink_create_partition(current_date - 1);
            INSERT INTO logs ("timestamp", source_ip, source_port) VALUES (date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' - interval '1 hour', '10.0.0.1', 1)
            """);

        PostgresException refused = await Assert.ThrowsAsync<PostgresException>(
            () => Database.ScalarAsync<bool>(writer, "SELECT xraysink_drop_partition((now() AT TIME ZONE 'UTC')::date - 1)"));

        Assert.Equal("42501", refused.SqlState);
        Assert.Contains("may drop only days that ended 10 or more days ago (set by the schema owner)", refused.MessageText, StringComparison.Ordinal);
        Assert.Equal(1L, await Database.ScalarAsync<long>(admin, "SELECT count(*) FROM logs"));
    }

    [Fact]
    public async Task Without_a_floor_from_the_owner_the_writer_drops_nothing_however_old()
    {
        (string admin, string writer) = await PrepareAsync(Defaults);
        await Database.ScalarAsync<object?>(OwnerOf(admin), "SELECT xraysink_create_partition('2020-01-01')");

        PostgresException refused = await Assert.ThrowsAsync<PostgresException>(
            () => Database.ScalarAsync<bool>(writer, "SELECT xraysink_drop_partition('2020-01-01')"));

        Assert.Equal("42501", refused.SqlState);
        Assert.Contains("the schema owner has not allowed xraysink_writer to drop partitions", refused.MessageText, StringComparison.Ordinal);
        Assert.Equal(1L, await Database.ScalarAsync<long>(admin, "SELECT count(*) FROM pg_class WHERE relname = 'logs_2020_01_01'"));
    }

    [Fact]
    public async Task The_writer_drops_a_day_older_than_the_floor()
    {
        (string admin, string writer) = await PrepareAsync(Defaults with { RetentionFloorDays = 10 });
        await Database.ScalarAsync<object?>(OwnerOf(admin), "SELECT xraysink_create_partition((now() AT TIME ZONE 'UTC')::date - 11)");

        Assert.True(await Database.ScalarAsync<bool>(writer, "SELECT xraysink_drop_partition((now() AT TIME ZONE 'UTC')::date - 11)"));
    }

    [Fact]
    public async Task The_owner_drops_yesterday()
    {
        (string admin, _) = await PrepareAsync(Defaults);
        await Database.ScalarAsync<object?>(OwnerOf(admin), "SELECT xraysink_create_partition((now() AT TIME ZONE 'UTC')::date - 1)");

        Assert.True(await Database.ScalarAsync<bool>(OwnerOf(admin), "SELECT xraysink_drop_partition((now() AT TIME ZONE 'UTC')::date - 1)"));
    }

    [Theory]
    [InlineData("'1900-01-01'", false)]
    [InlineData("'9999-12-31'", false)]
    [InlineData("'3000-06-01'", false)]
    [InlineData("(now() AT TIME ZONE 'UTC')::date - 32", false)]
    [InlineData("(now() AT TIME ZONE 'UTC')::date - 31", true)]
    [InlineData("(now() AT TIME ZONE 'UTC')::date", true)]
    [InlineData("(now() AT TIME ZONE 'UTC')::date + 2", true)]
    [InlineData("(now() AT TIME ZONE 'UTC')::date + 3", false)]
    public async Task The_writer_creates_partitions_only_within_the_window(string day, bool created)
    {
        (string admin, string writer) = await PrepareAsync(Defaults);
        long before = await Database.ScalarAsync<long>(admin, "SELECT count(*) FROM pg_inherits WHERE inhparent = 'logs'::regclass");

        object? result = await Database.ScalarAsync<object?>(writer, $"SELECT xraysink_create_partition(({day})::date)");

        long after = await Database.ScalarAsync<long>(admin, "SELECT count(*) FROM pg_inherits WHERE inhparent = 'logs'::regclass");
        Assert.Equal(created, result is string);
        Assert.Equal(created ? before + (await WasNewAsync(admin, day) ? 1 : 0) : before, after);
    }

    [Fact]
    public async Task The_owner_creates_any_day_for_import_and_migrate()
    {
        (string admin, _) = await PrepareAsync(Defaults);

        Assert.Equal("logs_1900_01_01", await Database.ScalarAsync<string>(OwnerOf(admin), "SELECT xraysink_create_partition('1900-01-01')"));
    }

    [Fact]
    public async Task Rows_of_a_day_the_writer_may_not_create_become_dead_letters_and_the_batch_commits()
    {
        (string admin, string writer) = await PrepareAsync(Defaults);
        await using NpgsqlDataSource dataSource = NpgsqlDataSource.Create(writer);
        var store = new PostgresLogStore(dataSource, new DimensionCaches(new DimensionCacheOptions()), NullLogger<PostgresLogStore>.Instance);
        DateTime today = DateTime.UtcNow.Date.AddHours(1);

        FlushResult result = await store.WriteBatchAsync(
            [StorageHarness.Chunk(StorageHarness.Record(today), StorageHarness.Record(new DateTime(1999, 1, 1, 0, 0, 0, DateTimeKind.Utc)))],
            CancellationToken.None);

        Assert.Equal(1, result.RowsWritten);
        Assert.Equal(1, result.RowsRejected);
        Assert.Equal(0L, await Database.ScalarAsync<long>(admin, "SELECT count(*) FROM pg_class WHERE relname = 'logs_1999_01_01'"));
        Assert.StartsWith("database rejected row: 23514", await Database.ScalarAsync<string>(admin, "SELECT reason FROM dead_letters"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_collector_role_can_advance_only_its_own_checkpoint_row()
    {
        (string admin, string writer) = await PrepareAsync(Defaults);
        string other = "xraysink_writer_t" + Guid.NewGuid().ToString("N")[..8];
        await Database.ScalarAsync<object?>(admin, $"CREATE ROLE {other} LOGIN PASSWORD 'other-pw' IN ROLE {DatabaseRoles.Writer}");
        try
        {
            string asOther = DatabaseRoles.As(admin, other, "other-pw");
            await AdvanceAsync(writer, "collector-a", 5);
            await AdvanceAsync(asOther, "collector-b", 7);

            // The shared writer role reads and advances its own row; the other collector's row is invisible and untouchable.
            await AdvanceAsync(writer, "collector-a", 6);
            Assert.Equal(0L, await Database.ScalarAsync<long>(writer, "SELECT count(*) FROM spool_checkpoints WHERE collector_id = 'collector-b'"));
            Assert.Equal(0, await ExecuteAsync(writer, "UPDATE spool_checkpoints SET sequence = 1000000 WHERE collector_id = 'collector-b'"));
            PostgresException denied = await Assert.ThrowsAsync<PostgresException>(() => AdvanceAsync(writer, "collector-b", 1_000_000));
            Assert.Equal("42501", denied.SqlState);

            Assert.Equal(
                ["collector-a 6 xraysink_writer", $"collector-b 7 {other}"],
                (await Database.RowsAsync(admin, "SELECT collector_id || ' ' || sequence || ' ' || writer_role FROM spool_checkpoints ORDER BY 1")).Select(r => (string)r[0]!));
        }
        finally
        {
            await Database.ScalarAsync<object?>(admin, $"DROP OWNED BY {other}; DROP ROLE {other}");
        }
    }

    private async Task<(string Admin, string Writer)> PrepareAsync(WriterLimits limits)
    {
        string admin = await postgres.CreateDatabaseAsync();
        string writer = await DatabaseRoles.PrepareWriterAsync(admin, limits);
        return (admin, writer);
    }

    private static async Task AdvanceAsync(string connectionString, string collectorId, long sequence)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await SpoolCheckpoints.AdvanceAsync(connection, null, collectorId, sequence, CancellationToken.None);
    }

    private static async Task<int> ExecuteAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return await command.ExecuteNonQueryAsync();
    }

    private static string OwnerOf(string admin) => DatabaseRoles.As(admin, DatabaseRoles.Owner, DatabaseRoles.OwnerPassword);

    // The migration already made today's and the next two days' partitions.
    private static async Task<bool> WasNewAsync(string admin, string day) =>
        await Database.ScalarAsync<bool>(admin, $"SELECT ({day})::date NOT BETWEEN (now() AT TIME ZONE 'UTC')::date AND (now() AT TIME ZONE 'UTC')::date + 2");
}
