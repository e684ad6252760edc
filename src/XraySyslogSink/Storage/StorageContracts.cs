// Contract stubs for the Storage stage: the storage helper replaces these with real implementations
// (one type per file) keeping these public signatures.
using Microsoft.Extensions.Logging;
using Npgsql;
using XraySyslogSink.Pipeline;

namespace XraySyslogSink.Storage;

/// <summary>Column limits of the seed schema; values longer than these can never be stored.</summary>
public static class SchemaLimits
{
    public const int EmailLength = 255;
    public const int EndpointAddressLength = 255;
    public const int TagNameLength = 100;
    public const int ProtocolNameLength = 10;
    public const int ActionLength = 50;
}

/// <summary>Thread-safe map from a dimension's text (looked up by UTF-8 bytes, without allocating) to its id; bounded.</summary>
public sealed class DimensionCache
{
    public DimensionCache(string name, int maxEntries) => throw new NotImplementedException();

    public string Name => throw new NotImplementedException();

    public int Count => throw new NotImplementedException();

    public bool TryGetId(ReadOnlySpan<byte> utf8Value, out int id) => throw new NotImplementedException();

    public bool TryGetId(string value, out int id) => throw new NotImplementedException();

    public void Set(string value, int id) => throw new NotImplementedException();
}

/// <summary>The four dimension caches.</summary>
public sealed class DimensionCaches
{
    public DimensionCaches(DimensionCacheOptions options) => throw new NotImplementedException();

    public DimensionCache Users => throw new NotImplementedException();

    public DimensionCache Protocols => throw new NotImplementedException();

    public DimensionCache Endpoints => throw new NotImplementedException();

    public DimensionCache Tags => throw new NotImplementedException();
}

/// <summary>Options section <c>Cache</c>.</summary>
public sealed class DimensionCacheOptions
{
    public const string SectionName = "Cache";
}

/// <summary>Options section <c>Schema</c>.</summary>
public sealed class SchemaOptions
{
    public const string SectionName = "Schema";
}

/// <param name="RowsWritten">Rows committed to <c>logs</c>.</param>
/// <param name="DeadLettersWritten">Rows committed to <c>dead_letters</c>, including rows the database rejected.</param>
/// <param name="RowsRejected">Records the database refused (moved to dead letters).</param>
public sealed record FlushResult(int RowsWritten, int DeadLettersWritten, int RowsRejected);

/// <summary>Stores one batch atomically: dimensions resolved, partitions ensured, rows copied, dead letters inserted.</summary>
public sealed class PostgresLogStore : IBatchStore
{
    public PostgresLogStore(NpgsqlDataSource dataSource, DimensionCaches caches, ILogger<PostgresLogStore> logger) => throw new NotImplementedException();

    public Task<FlushResult> WriteBatchAsync(IReadOnlyList<RecordChunk> chunks, CancellationToken cancellationToken) => throw new NotImplementedException();
}

/// <summary>Applies the seed schema idempotently and checks the server version.</summary>
public sealed class SchemaMigrator
{
    public SchemaMigrator(NpgsqlDataSource dataSource, SchemaOptions options, TimeProvider timeProvider, ILogger<SchemaMigrator> logger) => throw new NotImplementedException();

    public Task ApplyAsync(CancellationToken cancellationToken) => throw new NotImplementedException();
}

public static class PostgresErrors
{
    /// <summary>True when retrying the same batch later can succeed (connection lost, server starting or shutting down…).</summary>
    public static bool IsTransient(Exception exception) => throw new NotImplementedException();
}
