using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using XraySyslogSink.Core;
using XraySyslogSink.IntegrationTests.Infrastructure;
using XraySyslogSink.Storage;

namespace XraySyslogSink.IntegrationTests.Storage;

/// <summary>
/// Two batches' transactions overlapping as the writer lets them (<see cref="CommitOrder"/>), on a real PostgreSQL: the
/// second writes its rows while the first commits, the checkpoint still passes only stored rows, and when the first
/// fails in its commit the second rolls back and both are stored exactly once afterwards.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class OverlappingCommitTests(PostgresServer server)
{
    private const string Collector = "collector-a";
    private static readonly DateTime Noon = new(2025, 11, 17, 12, 0, 0, DateTimeKind.Utc);
    private readonly CancellationToken _token = new CancellationTokenSource(TimeSpan.FromSeconds(60)).Token;

    [Fact]
    public async Task The_second_batch_writes_its_rows_while_the_first_waits_to_commit_and_both_are_stored()
    {
        await using StorageHarness db = await StorageHarness.CreateAsync(server);
        PostgresLogStore store = CreateStore(db);
        await using NpgsqlConnection blocker = await HoldCheckpointRowAsync(db);
        var order = new CommitOrder();
        CommitTurn first = order.Next();
        CommitTurn second = order.Next();

        (Task<FlushResult> firstCommit, Task<FlushResult> secondCommit) = await StartOverlappedAsync(
            db, store, (first, await store.PrepareAsync([Batch(1, 3)], _token)), (second, await store.PrepareAsync([Batch(4, 5)], _token)));
        Assert.False(secondCommit.IsCompleted);

        await blocker.CloseAsync();
        FlushResult stored = await firstCommit;
        first.Committed();
        Assert.Equal(3, stored.RowsWritten);
        Assert.Equal(2, (await secondCommit).RowsWritten);
        second.Committed();

        Assert.Equal(5L, await db.ScalarAsync<long>("SELECT count(*) FROM logs"));
        Assert.Equal(5L, await db.ScalarAsync<long>($"SELECT sequence FROM spool_checkpoints WHERE collector_id = '{Collector}'"));
    }

    [Fact]
    public async Task A_first_batch_failing_at_its_commit_makes_the_second_roll_back_and_both_are_stored_once_on_retry()
    {
        await using StorageHarness db = await StorageHarness.CreateAsync(server);
        PostgresLogStore store = CreateStore(db);
        var order = new CommitOrder();
        CommitTurn first = order.Next();
        CommitTurn second = order.Next();
        PreparedBatch firstBatch = await store.PrepareAsync([Batch(1, 3)], _token);
        PreparedBatch secondBatch = await store.PrepareAsync([Batch(4, 5)], _token);
        Task<FlushResult> firstCommit;
        Task<FlushResult> secondCommit;
        await using (NpgsqlConnection blocker = await HoldCheckpointRowAsync(db))
        {
            (firstCommit, secondCommit) = await StartOverlappedAsync(db, store, (first, firstBatch), (second, secondBatch));

            // The first batch's session dies while it waits to commit (a database restart, a network cut).
            await db.ExecuteAsync("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE 'INSERT INTO spool_checkpoints%'");
            await Assert.ThrowsAnyAsync<NpgsqlException>(() => firstCommit);
            first.Failed();

            await Assert.ThrowsAsync<PredecessorFailedException>(() => secondCommit);
            second.Failed();
        }

        Assert.Equal(0L, await db.ScalarAsync<long>("SELECT count(*) FROM logs"));
        Assert.Equal(0L, await db.ScalarAsync<long>($"SELECT sequence FROM spool_checkpoints WHERE collector_id = '{Collector}'"));

        // The writer's retries: the first batch again, then the second once the first has committed.
        await first.BeginAttemptAsync(_token);
        Assert.Equal(3, (await store.CommitAsync(firstBatch, first, _token)).RowsWritten);
        first.Committed();
        await second.BeginAttemptAsync(_token);
        Assert.Equal(2, (await store.CommitAsync(secondBatch, second, _token)).RowsWritten);
        second.Committed();

        Assert.Equal(
            [["1"], ["2"], ["3"], ["4"], ["5"]],
            await db.RowsAsync("SELECT source_port FROM logs ORDER BY source_port"));
        Assert.Equal(5L, await db.ScalarAsync<long>($"SELECT sequence FROM spool_checkpoints WHERE collector_id = '{Collector}'"));
    }

    /// <summary>
    /// Starts both commits in their turns and returns once the first waits for the checkpoint row a third session
    /// holds and the second has written its rows and waits for the first, its transaction open.
    /// </summary>
    private async Task<(Task<FlushResult> First, Task<FlushResult> Second)> StartOverlappedAsync(
        StorageHarness db, PostgresLogStore store, (CommitTurn Turn, PreparedBatch Batch) first, (CommitTurn Turn, PreparedBatch Batch) second)
    {
        await first.Turn.BeginAttemptAsync(_token);
        Task<FlushResult> firstCommit = store.CommitAsync(first.Batch, first.Turn, _token);
        await second.Turn.BeginAttemptAsync(_token);
        Task<FlushResult> secondCommit = store.CommitAsync(second.Batch, second.Turn, _token);
        await WaitForAsync(db, "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE 'INSERT INTO spool_checkpoints%'", 1);
        await WaitForAsync(db, "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND state = 'idle in transaction' AND query LIKE 'COPY logs%'", 1);
        return (firstCommit, secondCommit);
    }

    private static PostgresLogStore CreateStore(StorageHarness db) =>
        new(db.DataSource, new DimensionCaches(new DimensionCacheOptions()), NullLogger<PostgresLogStore>.Instance) { CollectorId = Collector };

    /// <summary>A chunk of the spool sequences <paramref name="first"/>..<paramref name="last"/>, one row each, its source port the sequence.</summary>
    private static RecordChunk Batch(int first, int last)
    {
        var chunk = new RecordChunk(last - first + 1);
        for (int sequence = first; sequence <= last; sequence++)
        {
            chunk.Add() = StorageHarness.Record(Noon.AddSeconds(sequence), source: null) with { SourcePort = sequence };
        }

        chunk.CoverSequences(first, last);
        return chunk;
    }

    /// <summary>Creates the collector's checkpoint row and locks it from a session of its own until that closes.</summary>
    private static async Task<NpgsqlConnection> HoldCheckpointRowAsync(StorageHarness db)
    {
        await db.ExecuteAsync($"INSERT INTO spool_checkpoints (collector_id, sequence, updated_at) VALUES ('{Collector}', 0, now()) ON CONFLICT DO NOTHING");
        NpgsqlConnection blocker = await db.DataSource.OpenConnectionAsync();
        await using NpgsqlCommand command = new($"BEGIN; SELECT 1 FROM spool_checkpoints WHERE collector_id = '{Collector}' FOR UPDATE", blocker);
        await command.ExecuteNonQueryAsync();
        return blocker;
    }

    private static async Task WaitForAsync(StorageHarness db, string countSql, long expected)
    {
        for (int i = 0; i < 600; i++)
        {
            if (await db.ScalarAsync<long>(countSql) == expected)
            {
                return;
            }

            await Task.Delay(50);
        }

        Assert.Fail($"never reached {expected}: {countSql}");
    }
}
