using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using XraySyslogSink.Core;
using XraySyslogSink.Storage;

namespace XraySyslogSink.IntegrationTests.Infrastructure;

/// <summary>A migrated test database with helpers to build stores, chunks and run queries.</summary>
internal sealed class StorageHarness : IAsyncDisposable
{
    public static readonly DateTimeOffset Today = new(2025, 11, 17, 12, 0, 0, TimeSpan.Zero);

    private StorageHarness(string connectionString, NpgsqlDataSource dataSource)
    {
        ConnectionString = connectionString;
        DataSource = dataSource;
    }

    public string ConnectionString { get; }

    public NpgsqlDataSource DataSource { get; }

    public static async Task<StorageHarness> CreateAsync(PostgresServer server, SchemaOptions? options = null)
    {
        string connectionString = await server.CreateDatabaseAsync();
        NpgsqlDataSource dataSource = NpgsqlDataSource.Create(connectionString);
        SchemaMigrator migrator = new(dataSource, options ?? new SchemaOptions(), new FixedTimeProvider(Today), NullLogger<SchemaMigrator>.Instance);
        await migrator.ApplyAsync(CancellationToken.None);
        return new StorageHarness(connectionString, dataSource);
    }

    public PostgresLogStore CreateStore(DimensionCaches? caches = null) =>
        new(DataSource, caches ?? new DimensionCaches(new DimensionCacheOptions()), NullLogger<PostgresLogStore>.Instance);

    public static RecordChunk Chunk(params AccessRecord[] records)
    {
        RecordChunk chunk = new(Math.Max(records.Length, 1));
        foreach (AccessRecord record in records)
        {
            chunk.Add() = record;
        }

        return chunk;
    }

    public static AccessRecord Record(
        DateTime timestampUtc,
        string? user = "alice@example.com",
        string destination = "example.com",
        InetValue? source = null,
        int destinationPort = 443)
    {
        return new AccessRecord
        {
            TimestampUtc = timestampUtc,
            SourceIp = source ?? InetValue.FromIPv4(0x0A000001),
            SourcePort = 50000,
            Action = AccessAction.Accepted,
            Protocol = new DimensionValue("tcp"),
            Destination = new DimensionValue(destination),
            DestinationPort = destinationPort,
            InboundTag = new DimensionValue("socks-in"),
            OutboundTag = new DimensionValue("direct"),
            User = user is null ? default : new DimensionValue(user),
        };
    }

    public async Task<T> ScalarAsync<T>(string sql)
    {
        await using NpgsqlCommand command = DataSource.CreateCommand(sql);
        object? value = await command.ExecuteScalarAsync();
        return (T)value!;
    }

    public async Task ExecuteAsync(string sql)
    {
        await using NpgsqlCommand command = DataSource.CreateCommand(sql);
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>All rows of a query, each column rendered as text (NULL as null).</summary>
    public async Task<List<string?[]>> RowsAsync(string sql)
    {
        List<string?[]> rows = [];
        await using NpgsqlCommand command = DataSource.CreateCommand(sql);
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            string?[] row = new string?[reader.FieldCount];
            for (int i = 0; i < row.Length; i++)
            {
                row[i] = reader.IsDBNull(i) ? null : Convert.ToString(reader.GetValue(i), System.Globalization.CultureInfo.InvariantCulture);
            }

            rows.Add(row);
        }

        return rows;
    }

    public async ValueTask DisposeAsync() => await DataSource.DisposeAsync();
}
