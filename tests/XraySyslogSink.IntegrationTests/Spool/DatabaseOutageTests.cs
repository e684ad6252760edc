using Microsoft.Extensions.DependencyInjection;
using XraySyslogSink.IntegrationTests.Infrastructure;
using XraySyslogSink.Spool;

namespace XraySyslogSink.IntegrationTests.Spool;

/// <summary>PostgreSQL stopped under a running daemon for longer than its memory queues can bridge.</summary>
[Collection(PostgresCollection.Name)]
public sealed class DatabaseOutageTests : IAsyncLifetime
{
    // Memory queues far smaller than the outage's traffic, so most lines can only survive in the spool.
    private static readonly string[] SmallQueues =
    [
        "--Pipeline:MessageQueueCapacity=64",
        "--Pipeline:RecordQueueCapacity=2",
        "--Writer:BatchSize=1000",
        "--Writer:RetryInitialDelay=00:00:00.100",
        "--Writer:RetryMaxDelay=00:00:00.500",
    ];

    private PrivatePostgres _postgres = null!;

    public async Task InitializeAsync() => _postgres = await PrivatePostgres.StartAsync();

    public async Task DisposeAsync() => await _postgres.DisposeAsync();

    [Fact]
    public async Task Lines_received_while_the_database_is_down_arrive_exactly_once_after_it_returns_and_the_spool_empties()
    {
        string database = await CreateDatabaseAsync();
        await using SinkUnderTest sink = await SinkUnderTest.StartAsync(database, SmallQueues);
        MessageSpool spool = sink.Services.GetRequiredService<MessageSpool>();
        await TestLines.SendAsync(sink.TcpEndPoint, TestLines.Build(1, 1000));
        Assert.Equal(1000, await sink.WaitForRowsAsync(1000));

        await _postgres.StopAsync();
        const int DuringOutage = 30_000;
        await TestLines.SendAsync(sink.TcpEndPoint, TestLines.Build(1001, DuringOutage));
        long spooled = spool.Bytes;
        Assert.True(spooled > 1_000_000, $"the outage's lines should be held in the spool, found {spooled} bytes");
        await Task.Delay(1000);

        await _postgres.RestartAsync();
        const int Total = 1000 + DuringOutage;
        Assert.Equal(Total, await sink.WaitForRowsAsync(Total, TimeSpan.FromSeconds(90)));
        await Task.Delay(500);
        Assert.Equal((long)Total, await Database.ScalarAsync<long>(database, "SELECT count(*) FROM logs"));
        Assert.Equal((long)Total, await Database.ScalarAsync<long>(database, "SELECT count(DISTINCT source_port) FROM logs"));
        Assert.Equal(50L, await Database.ScalarAsync<long>(database, "SELECT count(*) FROM users"));
        Assert.True(spool.Replayed > 0, "lines beyond the memory queues must have been replayed from disk");
        Assert.Equal((long)Total, await Database.ScalarAsync<long>(database, "SELECT sequence FROM spool_checkpoints"));
        Assert.True(await WaitUntilAsync(() => spool.Bytes == 0), $"the spool should empty once everything is committed, holds {spool.Bytes} bytes");
        Assert.Equal(0, spool.CorruptBytes);
    }

    [Fact]
    public async Task A_full_spool_holds_tcp_senders_back_and_loses_nothing()
    {
        string database = await CreateDatabaseAsync();
        await using SinkUnderTest sink = await SinkUnderTest.StartAsync(database, [.. SmallQueues, "--Spool:MaxBytes=1048576"]);
        MessageSpool spool = sink.Services.GetRequiredService<MessageSpool>();
        await TestLines.SendAsync(sink.TcpEndPoint, TestLines.Build(1, 100));
        Assert.Equal(100, await sink.WaitForRowsAsync(100));

        await _postgres.StopAsync();
        const int Lines = 25_000; // about 4 MiB in the spool's format, four times Spool:MaxBytes
        Task sending = TestLines.SendAsync(sink.TcpEndPoint, TestLines.Build(101, Lines));
        await Task.Delay(3000);
        Assert.False(sending.IsCompleted, "the sender should be held back while the spool is full");
        Assert.InRange(spool.Bytes, 512 * 1024, 1024 * 1024);

        await _postgres.RestartAsync();
        await sending.WaitAsync(TimeSpan.FromSeconds(90));
        const int Total = 100 + Lines;
        Assert.Equal(Total, await sink.WaitForRowsAsync(Total, TimeSpan.FromSeconds(90)));
        await Task.Delay(500);
        Assert.Equal((long)Total, await Database.ScalarAsync<long>(database, "SELECT count(*) FROM logs"));
        Assert.Equal((long)Total, await Database.ScalarAsync<long>(database, "SELECT count(DISTINCT source_port) FROM logs"));
        Assert.Equal(0, spool.CorruptBytes);
    }

    private static async Task<bool> WaitUntilAsync(Func<bool> condition)
    {
        DateTime deadline = DateTime.UtcNow.AddSeconds(10);
        while (!condition() && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }

        return condition();
    }

    private async Task<string> CreateDatabaseAsync()
    {
        string name = "spool_" + Guid.NewGuid().ToString("N");
        await using (var connection = new Npgsql.NpgsqlConnection(_postgres.ConnectionString))
        {
            await connection.OpenAsync();
            await using var create = new Npgsql.NpgsqlCommand($"CREATE DATABASE {name}", connection);
            await create.ExecuteNonQueryAsync();
        }

        return new Npgsql.NpgsqlConnectionStringBuilder(_postgres.ConnectionString) { Database = name }.ConnectionString;
    }
}
