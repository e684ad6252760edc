using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace XraySyslogSink.Storage;

/// <summary>
/// Knows which daily <c>logs_YYYY_MM_DD</c> partitions exist, creates missing ones safely when several
/// writers or daemons race for the same day, and tells the writer which table to COPY a day's rows into.
/// </summary>
/// <remarks>
/// Creation runs in its own short transaction before the rows' transaction opens: <c>CREATE TABLE …
/// PARTITION OF</c> locks the parent, and holding that lock across a long COPY would stall other writers.
/// </remarks>
internal sealed partial class PartitionManager
{
    /// <summary>The parent table; rows COPYed into it are routed by PostgreSQL (slower, but always right).</summary>
    public const string ParentTable = "logs";

    // PostgreSQL: invalid_object_definition, raised when a new partition would overlap an existing one.
    private const string PartitionOverlap = "42P17";

    // At most this many retries when a concurrent creator still wins the race despite the advisory lock
    // (e.g. a daemon of an older version that does not take it).
    private const int MaxCreateAttempts = 3;

    // Whether the day's own partition is attached to logs and inherited the id default, so rows can
    // skip tuple routing, and COPY straight into it is safe.
    private const string CheckSql = """
        SELECT EXISTS (SELECT 1 FROM pg_inherits WHERE inhrelid = to_regclass($1) AND inhparent = to_regclass('logs'))
           AND EXISTS (SELECT 1 FROM pg_attribute a JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
                       WHERE a.attrelid = to_regclass($1) AND a.attname = 'id')
        """;

    private readonly ConcurrentDictionary<DateOnly, string> _targets = new();
    private readonly ILogger _logger;

    public PartitionManager(ILogger logger)
    {
        _logger = logger;
    }

    /// <summary>The partition name for a UTC day; built from the date only, never from input text.</summary>
    public static string PartitionName(DateOnly day) =>
        string.Create(CultureInfo.InvariantCulture, $"logs_{day.Year:D4}_{day.Month:D2}_{day.Day:D2}");

    public static DateOnly DayOf(DateTime timestampUtc) => DateOnly.FromDateTime(timestampUtc);

    public bool IsKnown(DateOnly day) => _targets.ContainsKey(day);

    /// <summary>
    /// The table to COPY the day's rows into: its own partition, or <see cref="ParentTable"/> when an operator
    /// laid out partitions differently (an overlapping range, a detached table, a partition without the id default).
    /// Only valid after <see cref="EnsureAsync"/> for that day.
    /// </summary>
    public string TargetFor(DateOnly day) => _targets.TryGetValue(day, out string? target) ? target : ParentTable;

    /// <summary>Forgets a day (its partition was dropped); the next <see cref="EnsureAsync"/> recreates it.</summary>
    public void Forget(DateOnly day) => _targets.TryRemove(day, out _);

    /// <summary>
    /// Creates the partitions of <paramref name="days"/> that this instance has not seen yet. Must be called
    /// with no transaction open on <paramref name="connection"/>.
    /// </summary>
    public async Task EnsureAsync(NpgsqlConnection connection, IEnumerable<DateOnly> days, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(days);

        // Sorted so that concurrent creators take the parent's locks in the same order.
        foreach (DateOnly day in days.Where(d => !_targets.ContainsKey(d)).Distinct().Order())
        {
            // A refused day is not remembered: a day ahead of the window enters it as time passes.
            if (await EnsureDayAsync(connection, day, cancellationToken) is { } target)
            {
                _targets[day] = target;
            }
        }
    }

    /// <summary>The day's target table, or null when the writer role may not create that day (its rows go through the parent).</summary>
    private async Task<string?> EnsureDayAsync(NpgsqlConnection connection, DateOnly day, CancellationToken cancellationToken)
    {
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                return await CreateAsync(connection, day, cancellationToken);
            }
            catch (PostgresException e) when (attempt < MaxCreateAttempts
                && (e.SqlState is PostgresErrors.DuplicateTable or PostgresErrors.UniqueViolation))
            {
                // The other creator committed the same table; IF NOT EXISTS sees it on the next attempt.
                LogCreateRace(_logger, e.SqlState, attempt);
            }
            catch (PostgresException e) when (e.SqlState == PartitionOverlap)
            {
                // E.g. an operator's monthly partition covers the day: let PostgreSQL route the rows.
                LogRoutedThroughParent(_logger, day, e.MessageText);
                return ParentTable;
            }
        }
    }

    private async Task<string?> CreateAsync(NpgsqlConnection connection, DateOnly day, CancellationToken cancellationToken)
    {
        string name = PartitionName(day);
        await using NpgsqlTransaction transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (NpgsqlCommand lockCommand = new("SELECT pg_advisory_xact_lock($1)", connection, transaction))
        {
            lockCommand.Parameters.Add(new NpgsqlParameter<long> { TypedValue = AdvisoryLockKeys.Partitions });
            await lockCommand.ExecuteNonQueryAsync(cancellationToken);
        }

        // Through the migrator's SECURITY DEFINER function, so a writer role that does not own logs can create it too.
        await using (NpgsqlCommand create = new(CreateSql, connection, transaction))
        {
            create.Parameters.Add(new NpgsqlParameter<DateOnly> { TypedValue = day });
            if (await create.ExecuteScalarAsync(cancellationToken) is DBNull)
            {
                // Outside the window the schema owner lets the writer create (xraysink_writer_limits): nothing was created.
                // The day's rows are copied through logs, find no partition there and become counted dead letters.
                await transaction.CommitAsync(cancellationToken);
                LogOutsideWriterWindow(_logger, day);
                return null;
            }
        }

        bool direct;
        await using (NpgsqlCommand check = new(CheckSql, connection, transaction))
        {
            check.Parameters.Add(new NpgsqlParameter<string> { TypedValue = name });
            direct = (bool)(await check.ExecuteScalarAsync(cancellationToken))!;
        }

        await transaction.CommitAsync(cancellationToken);
        if (!direct)
        {
            LogRoutedThroughParent(_logger, day, $"{name} exists but is not a partition of logs with the id default");
            return ParentTable;
        }

        LogEnsured(_logger, name);
        return name;
    }

    /// <summary>Creates the day's partition (<c>logs_YYYY_MM_DD</c>, bounds at UTC midnight) with the privileges of logs.</summary>
    internal const string CreateSql = "SELECT " + SchemaSql.PartitionFunctionName + "($1)";

    [LoggerMessage(Level = LogLevel.Warning, Message = "The schema owner does not let this role create the partition of {Day} (outside the writer's window, see xraysink_writer_limits): its rows become dead letters")]
    private static partial void LogOutsideWriterWindow(ILogger logger, DateOnly day);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Partition {Partition} ensured")]
    private static partial void LogEnsured(ILogger logger, string partition);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Concurrent partition creation raced ({SqlState}), attempt {Attempt}; retrying")]
    private static partial void LogCreateRace(ILogger logger, string sqlState, int attempt);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Rows of {Day} are copied through the parent logs table: {Why}")]
    private static partial void LogRoutedThroughParent(ILogger logger, DateOnly day, string why);
}
