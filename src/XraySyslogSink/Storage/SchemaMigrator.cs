using System.Globalization;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace XraySyslogSink.Storage;

/// <summary>Applies the seed schema idempotently and checks the server version.</summary>
public sealed partial class SchemaMigrator
{
    // PostgreSQL 10 has native partitioning but cannot create indexes on a partitioned parent,
    // which the seed schema relies on.
    internal const int MinimumServerVersionNum = 110000;

    private readonly NpgsqlDataSource _dataSource;
    private readonly SchemaOptions _options;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger<SchemaMigrator> _logger;
    private readonly PartitionManager _partitions;

    public SchemaMigrator(NpgsqlDataSource dataSource, SchemaOptions options, TimeProvider timeProvider, ILogger<SchemaMigrator> logger)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(timeProvider);
        ArgumentNullException.ThrowIfNull(logger);
        _dataSource = dataSource;
        _options = options;
        _timeProvider = timeProvider;
        _logger = logger;
        _partitions = new PartitionManager(logger);
    }

    public async Task ApplyAsync(CancellationToken cancellationToken)
    {
        await using NpgsqlConnection connection = await _dataSource.OpenConnectionAsync(cancellationToken);

        await using (NpgsqlCommand version = new("SELECT current_setting('server_version_num'), current_setting('server_version')", connection))
        await using (NpgsqlDataReader reader = await version.ExecuteReaderAsync(cancellationToken))
        {
            await reader.ReadAsync(cancellationToken);
            EnsureSupportedVersion(reader.GetString(0), reader.GetString(1));
        }

        await using (NpgsqlTransaction transaction = await connection.BeginTransactionAsync(cancellationToken))
        {
            // Two daemons starting at once would otherwise race on CREATE … IF NOT EXISTS (42P07/23505).
            await using (NpgsqlCommand lockCommand = new("SELECT pg_advisory_xact_lock($1)", connection, transaction))
            {
                lockCommand.Parameters.Add(new NpgsqlParameter<long> { TypedValue = AdvisoryLockKeys.Migration });
                await lockCommand.ExecuteNonQueryAsync(cancellationToken);
            }

            // NpgsqlCommand (not NpgsqlBatchCommand) splits the multi-statement DDL text into one batch.
            string ddl = SchemaSql.TablesFor(_options.ForeignKeys) + SchemaSql.ImportFiles;
            if (_options.CompositeUserTimestampIndex)
            {
                ddl += SchemaSql.CompositeUserTimestampIndex;
            }

            if (_options.BrinTimestampIndex)
            {
                ddl += SchemaSql.BrinTimestampIndex;
            }

            ddl += AnalyticsSql.Objects;
            await using (NpgsqlCommand command = new(ddl, connection, transaction))
            {
                await command.ExecuteNonQueryAsync(cancellationToken);
            }

            await transaction.CommitAsync(cancellationToken);
        }

        await _partitions.EnsureAsync(connection, DaysAhead(), cancellationToken);
        LogApplied(_logger, connection.PostgreSqlVersion);
    }

    /// <summary>Today (UTC) and the <see cref="SchemaOptions.PrecreateDays"/> days after it.</summary>
    public IReadOnlyList<DateOnly> DaysAhead()
    {
        DateOnly today = DateOnly.FromDateTime(_timeProvider.GetUtcNow().UtcDateTime);
        return Days(today, today.AddDays(_options.PrecreateDays));
    }

    /// <summary>Creates the partitions of every UTC day from <paramref name="first"/> to <paramref name="last"/>, both included.</summary>
    public async Task EnsurePartitionsAsync(DateOnly first, DateOnly last, CancellationToken cancellationToken)
    {
        await using NpgsqlConnection connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        await _partitions.EnsureAsync(connection, Days(first, last), cancellationToken);
    }

    /// <summary>Every day from <paramref name="first"/> to <paramref name="last"/>, both included; empty when last is before first.</summary>
    public static IReadOnlyList<DateOnly> Days(DateOnly first, DateOnly last)
    {
        List<DateOnly> days = [];
        for (DateOnly day = first; day <= last; day = day.AddDays(1))
        {
            days.Add(day);
        }

        return days;
    }

    /// <summary>Throws unless <paramref name="serverVersionNum"/> (e.g. <c>150004</c>) is at least 11.</summary>
    internal static void EnsureSupportedVersion(string serverVersionNum, string serverVersion)
    {
        if (!int.TryParse(serverVersionNum, NumberStyles.None, CultureInfo.InvariantCulture, out int number)
            || number < MinimumServerVersionNum)
        {
            throw new InvalidOperationException(
                $"PostgreSQL 11 or newer is required; server is {serverVersion} (server_version_num {serverVersionNum}).");
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Database schema applied (PostgreSQL {Version})")]
    private static partial void LogApplied(ILogger logger, Version version);
}
