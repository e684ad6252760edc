using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace XraySyslogSink.Storage;

/// <summary>
/// Knows which daily <c>logs_YYYY_MM_DD</c> partitions exist and creates missing ones, safely when
/// several writers or daemons race for the same day.
/// </summary>
/// <remarks>
/// Creation runs in its own short transaction before the rows' transaction opens: <c>CREATE TABLE …
/// PARTITION OF</c> locks the parent, and holding that lock across a long COPY would stall other writers.
/// </remarks>
internal sealed partial class PartitionManager
{
    // At most this many retries when a concurrent creator still wins the race despite the advisory lock
    // (e.g. a daemon of an older version that does not take it).
    private const int MaxCreateAttempts = 3;

    private readonly ConcurrentDictionary<DateOnly, byte> _known = new();
    private readonly ILogger _logger;

    public PartitionManager(ILogger logger)
    {
        _logger = logger;
    }

    /// <summary>The partition name for a UTC day; built from the date only, never from input text.</summary>
    public static string PartitionName(DateOnly day) =>
        string.Create(CultureInfo.InvariantCulture, $"logs_{day.Year:D4}_{day.Month:D2}_{day.Day:D2}");

    public static DateOnly DayOf(DateTime timestampUtc) => DateOnly.FromDateTime(timestampUtc);

    public bool IsKnown(DateOnly day) => _known.ContainsKey(day);

    /// <summary>Forgets a day (its partition was dropped); the next <see cref="EnsureAsync"/> recreates it.</summary>
    public void Forget(DateOnly day) => _known.TryRemove(day, out _);

    /// <summary>
    /// Creates the partitions of <paramref name="days"/> that this instance has not seen yet. Must be called
    /// with no transaction open on <paramref name="connection"/>.
    /// </summary>
    public async Task EnsureAsync(NpgsqlConnection connection, IEnumerable<DateOnly> days, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(days);

        // Sorted so that concurrent creators take the parent's locks in the same order.
        List<DateOnly> missing = days.Where(d => !_known.ContainsKey(d)).Distinct().Order().ToList();
        if (missing.Count == 0)
        {
            return;
        }

        for (int attempt = 1; ; attempt++)
        {
            try
            {
                await CreateAsync(connection, missing, cancellationToken);
                break;
            }
            catch (PostgresException e) when (attempt < MaxCreateAttempts
                && (e.SqlState is PostgresErrors.DuplicateTable or PostgresErrors.UniqueViolation))
            {
                // The other creator committed the same table; IF NOT EXISTS sees it on the next attempt.
                LogCreateRace(_logger, e.SqlState, attempt);
            }
        }

        foreach (DateOnly day in missing)
        {
            _known.TryAdd(day, 0);
        }
    }

    private async Task CreateAsync(NpgsqlConnection connection, List<DateOnly> days, CancellationToken cancellationToken)
    {
        await using NpgsqlTransaction transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (NpgsqlCommand lockCommand = new("SELECT pg_advisory_xact_lock($1)", connection, transaction))
        {
            lockCommand.Parameters.Add(new NpgsqlParameter<long> { TypedValue = AdvisoryLockKeys.Partitions });
            await lockCommand.ExecuteNonQueryAsync(cancellationToken);
        }

        foreach (DateOnly day in days)
        {
            // DDL cannot take bind parameters; every part of this text derives from the DateOnly.
            await using NpgsqlCommand create = new(CreateSql(day), connection, transaction);
            await create.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        LogEnsured(_logger, days);
    }

    internal static string CreateSql(DateOnly day)
    {
        DateOnly next = day.AddDays(1);
        return string.Create(
            CultureInfo.InvariantCulture,
            $"CREATE TABLE IF NOT EXISTS {PartitionName(day)} PARTITION OF logs FOR VALUES FROM ('{day:yyyy-MM-dd} 00:00:00+00') TO ('{next:yyyy-MM-dd} 00:00:00+00')");
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "logs partitions ensured for days {Days}")]
    private static partial void LogEnsured(ILogger logger, List<DateOnly> days);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Concurrent partition creation raced ({SqlState}), attempt {Attempt}; retrying")]
    private static partial void LogCreateRace(ILogger logger, string sqlState, int attempt);
}
