using System.Globalization;
using Microsoft.Extensions.Logging;
using Npgsql;
using XraySyslogSink.Storage.Migrations;

namespace XraySyslogSink.Storage;

/// <summary>
/// Brings the database to this binary's schema and checks the server version. Connected as the schema's owner (or
/// before the first migration) it runs the versioned steps not yet recorded in <c>schema_migrations</c> (see
/// <see cref="SchemaSteps"/>), then what the settings ask for (optional indexes, the writer role's grants); connected
/// as another role (the writer) it only checks that every step has run and that role's run-time privileges, and tells
/// the operator to migrate otherwise. A database migrated by a newer binary is refused either way.
/// </summary>
internal sealed partial class SchemaMigrator
{
    // PostgreSQL 10 has native partitioning but cannot create indexes on a partitioned parent,
    // which the seed schema relies on.
    internal const int MinimumServerVersionNum = 110000;

    private const string InsufficientPrivilege = "42501";

    private readonly NpgsqlDataSource _dataSource;
    private readonly SchemaOptions _options;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger<SchemaMigrator> _logger;
    private readonly PartitionManager _partitions;
    private readonly IReadOnlyList<SchemaStep> _steps;

    public SchemaMigrator(NpgsqlDataSource dataSource, SchemaOptions options, TimeProvider timeProvider, ILogger<SchemaMigrator> logger)
        : this(dataSource, options, timeProvider, logger, SchemaSteps.All)
    {
    }

    /// <summary>
    /// The writer role's limits a migration run as the owner stores (see <see cref="Storage.WriterLimits"/>); null leaves
    /// the stored ones as they are (<c>xraysink import</c>, which does not read the daemon's settings).
    /// </summary>
    public WriterLimits? WriterLimits { get; init; }

    /// <summary>With another list of steps (tests of the framework itself).</summary>
    internal SchemaMigrator(
        NpgsqlDataSource dataSource, SchemaOptions options, TimeProvider timeProvider, ILogger<SchemaMigrator> logger, IReadOnlyList<SchemaStep> steps)
    {
        ArgumentNullException.ThrowIfNull(steps);
        _steps = steps;
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

        (string? owner, bool owns) = await SchemaOwnerAsync(connection, cancellationToken);
        if (owner is not null && !owns)
        {
            // A writer role (scripts/sql/roles.sql): no DDL, but every step must have run and every run-time privilege be there.
            await CheckVersionAsync(connection, owner, cancellationToken);
            await CheckRunTimePrivilegesAsync(connection, owner, cancellationToken);
            LogNotOwner(_logger, connection.UserName ?? "?", owner);
        }
        else
        {
            await MigrateAsync(connection, cancellationToken);
        }

        IReadOnlyList<DateOnly> ahead = DaysAhead();
        await _partitions.EnsureAsync(connection, ahead, cancellationToken);
        await DeadLetterPartitions.EnsureAsync(connection, ahead, cancellationToken);
        LogApplied(_logger, connection.PostgreSqlVersion);
    }

    /// <summary>Today (UTC) and the <see cref="SchemaOptions.PrecreateDays"/> days after it.</summary>
    public IReadOnlyList<DateOnly> DaysAhead()
    {
        DateOnly today = DateOnly.FromDateTime(_timeProvider.GetUtcNow().UtcDateTime);
        return Days(today, today.AddDays(_options.PrecreateDays));
    }

    /// <summary>
    /// Creates the partitions of <c>logs</c> and of <c>dead_letters</c> of every UTC day from <paramref name="first"/> to
    /// <paramref name="last"/>, both included.
    /// </summary>
    public async Task EnsurePartitionsAsync(DateOnly first, DateOnly last, CancellationToken cancellationToken)
    {
        await using NpgsqlConnection connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        IReadOnlyList<DateOnly> days = Days(first, last);
        await _partitions.EnsureAsync(connection, days, cancellationToken);
        await DeadLetterPartitions.EnsureAsync(connection, days, cancellationToken);
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

    /// <summary>Empty, or a plain role name that can be spliced into GRANT as a quoted identifier.</summary>
    internal static bool IsValidRoleName(string role)
    {
        if (role.Length == 0)
        {
            return true;
        }

        if (role.Length > 63 || char.IsAsciiDigit(role[0]))
        {
            return false;
        }

        foreach (char c in role)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c != '_')
            {
                return false;
            }
        }

        return true;
    }

    private async Task MigrateAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using NpgsqlTransaction transaction = await connection.BeginTransactionAsync(cancellationToken);

        // Two daemons starting at once would otherwise race on CREATE … IF NOT EXISTS (42P07/23505).
        await using (NpgsqlCommand lockCommand = new("SELECT pg_advisory_xact_lock($1)", connection, transaction))
        {
            lockCommand.Parameters.Add(new NpgsqlParameter<long> { TypedValue = AdvisoryLockKeys.Migration });
            await lockCommand.ExecuteNonQueryAsync(cancellationToken);
        }

        string schema;
        await using (NpgsqlCommand current = new("SELECT quote_ident(current_schema())", connection, transaction))
        {
            schema = (string?)await current.ExecuteScalarAsync(cancellationToken)
                ?? throw new InvalidOperationException("The search_path names no schema the tables could be created in.");
        }

        var context = new SchemaStepContext(_options, schema);
        try
        {
            await ExecuteAsync(connection, transaction, MigrationLedger.CreateSql, cancellationToken);
            SortedDictionary<int, AppliedStep> applied = await MigrationLedger.ReadAsync(connection, transaction, cancellationToken);
            MigrationLedger.EnsureNotNewer(_steps, applied);
            WarnOfEditedSteps(applied);
            foreach (SchemaStep step in MigrationLedger.Pending(_steps, applied, _options.SeedOnly))
            {
                bool skip = step.ExtendsSeed && _options.SeedOnly;
                if (!skip)
                {
                    // NpgsqlCommand (not NpgsqlBatchCommand) splits the multi-statement DDL text into one batch.
                    await ExecuteAsync(connection, transaction, step.Sql(context), cancellationToken);
                }

                await MigrationLedger.RecordAsync(connection, transaction, step, skip, cancellationToken);
                LogStep(_logger, step.Version, step.Name, skip ? "skipped (Schema:SeedOnly)" : "applied");
            }

            // What the settings ask for, on every run: it follows the settings, not a version.
            await ExecuteAsync(connection, transaction, SettingsSql(), cancellationToken);
            await StoreWriterLimitsAsync(connection, transaction, cancellationToken);
        }
        catch (PostgresException e) when (e.SqlState == InsufficientPrivilege)
        {
            throw new InvalidOperationException(
                $"Role {connection.UserName} may not create the schema ({e.MessageText}): run `xraysink migrate` as the owner role (scripts/sql/roles.sql), then start the daemon as the writer role.",
                e);
        }

        await transaction.CommitAsync(cancellationToken);
        if (_options.WriterRole.Length > 0)
        {
            LogGranted(_logger, _options.WriterRole);
        }

        if (_options.ReaderRole.Length > 0)
        {
            LogReaderGranted(_logger, _options.ReaderRole);
        }
    }

    /// <summary>
    /// The optional indexes and the writer's and reader's grants, as the settings of this run ask, and the report functions
    /// kept from PUBLIC (whichever step made them); idempotent.
    /// </summary>
    private string SettingsSql()
    {
        string ddl = SchemaSql.ReportFunctionsPrivate;
        if (_options.CompositeUserTimestampIndex)
        {
            ddl += SchemaSql.CompositeUserTimestampIndex;
        }

        if (_options.BrinTimestampIndex)
        {
            ddl += SchemaSql.BrinTimestampIndex;
        }

        if (_options.WriterRole.Length > 0)
        {
            ddl += SchemaSql.WriterGrants($"\"{_options.WriterRole}\"") + NodeSql.WriterGrants($"\"{_options.WriterRole}\"");
        }

        if (_options.ReaderRole.Length > 0)
        {
            ddl += SchemaSql.ReaderGrants($"\"{_options.ReaderRole}\"") + NodeSql.ReaderGrants($"\"{_options.ReaderRole}\"");
        }

        return ddl;
    }

    private async Task StoreWriterLimitsAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        if (WriterLimits is not { } limits)
        {
            return;
        }

        await using NpgsqlCommand command = new(WriterLimitsSql.UpdateSql, connection, transaction);
        command.Parameters.Add(new NpgsqlParameter<int?> { TypedValue = limits.RetentionFloorDays, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Integer });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = limits.CreateDaysBack });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = limits.CreateDaysAhead });
        command.Parameters.Add(new NpgsqlParameter<int?> { TypedValue = limits.DeadLetterFloorDays, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Integer });
        await command.ExecuteNonQueryAsync(cancellationToken);
        LogWriterLimits(_logger, limits.RetentionFloorDays, limits.CreateDaysBack, limits.CreateDaysAhead, limits.DeadLetterFloorDays);
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string sql, CancellationToken cancellationToken)
    {
        if (sql.Length == 0)
        {
            return;
        }

        await using NpgsqlCommand command = new(sql, connection, transaction);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private void WarnOfEditedSteps(SortedDictionary<int, AppliedStep> applied)
    {
        foreach (SchemaStep step in _steps)
        {
            if (applied.TryGetValue(step.Version, out AppliedStep? done) && !done.Skipped && done.Checksum != step.Checksum)
            {
                LogEditedStep(_logger, step.Version, done.Checksum, step.Checksum);
            }
        }
    }

    /// <summary>A role that may not migrate: every step this binary knows must have run, and none it does not know.</summary>
    private async Task CheckVersionAsync(NpgsqlConnection connection, string owner, CancellationToken cancellationToken)
    {
        SortedDictionary<int, AppliedStep> applied;
        try
        {
            applied = await MigrationLedger.ReadAsync(connection, null, cancellationToken);
        }
        catch (PostgresException e) when (e.SqlState == InsufficientPrivilege)
        {
            throw new InvalidOperationException(
                $"Role {connection.UserName} may not read schema_migrations ({e.MessageText}): "
                + $"run `xraysink migrate --Schema:WriterRole={connection.UserName}` as {owner} (see scripts/sql/roles.sql).",
                e);
        }

        MigrationLedger.EnsureNotNewer(_steps, applied);
        List<SchemaStep> pending = MigrationLedger.Pending(_steps, applied, _options.SeedOnly);
        if (pending.Count > 0)
        {
            string at = applied.Count == 0 ? "has no schema_migrations (made before versioned migrations)" : $"is at version {applied.Keys.Max()}";
            throw new InvalidOperationException(
                $"The database schema {at}; this xraysink needs version {_steps[^1].Version} (missing: "
                + string.Join(", ", pending.Select(p => $"{p.Version} {p.Name}")) + $"). Role {connection.UserName} may not migrate: "
                + $"run `xraysink migrate --Schema:WriterRole={connection.UserName}` as {owner} (see scripts/sql/roles.sql), then start the daemon again.");
        }
    }

    /// <summary>The owner of <c>logs</c> (null before the first migration) and whether the connected role acts as it.</summary>
    private static async Task<(string? Owner, bool Owns)> SchemaOwnerAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using NpgsqlCommand command = new(
            "SELECT pg_get_userbyid(relowner), pg_has_role(current_user, relowner, 'USAGE') FROM pg_class WHERE oid = to_regclass('logs')",
            connection);
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? (reader.GetString(0), reader.GetBoolean(1)) : (null, false);
    }

    private static async Task CheckRunTimePrivilegesAsync(NpgsqlConnection connection, string owner, CancellationToken cancellationToken)
    {
        List<string> missing = [];
        await using (NpgsqlCommand command = new(SchemaSql.RunTimePrivileges, connection))
        await using (NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                missing.Add(reader.GetString(0));
            }
        }

        if (missing.Count > 0)
        {
            throw new InvalidOperationException(
                $"Role {connection.UserName} does not own the schema (owner: {owner}) and lacks {string.Join(", ", missing)}: "
                + $"run `xraysink migrate --Schema:WriterRole={connection.UserName}` as {owner} (see scripts/sql/roles.sql).");
        }
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

    [LoggerMessage(Level = LogLevel.Information, Message = "Role {Role} does not own the schema (owner {Owner}): not migrating; its run-time privileges are in place")]
    private static partial void LogNotOwner(ILogger logger, string role, string owner);

    [LoggerMessage(Level = LogLevel.Information, Message = "Schema migration {Version} ({Name}): {Outcome}")]
    private static partial void LogStep(ILogger logger, int version, string name, string outcome);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Schema migration {Version} was applied with checksum {Recorded}, this binary's is {Current}: a released step was edited")]
    private static partial void LogEditedStep(ILogger logger, int version, string recorded, string current);

    [LoggerMessage(Level = LogLevel.Information, Message = "Writer limits stored: it may drop days that ended {Floor} or more days ago (none: no drops), create partitions from {Back} days back to {Ahead} days ahead, and expire dead letters of days that ended {DeadLetterFloor} or more days ago (none: no expiry)")]
    private static partial void LogWriterLimits(ILogger logger, int? floor, int back, int ahead, int? deadLetterFloor);

    [LoggerMessage(Level = LogLevel.Information, Message = "Run-time privileges granted to the writer role {Role}")]
    private static partial void LogGranted(ILogger logger, string role);

    [LoggerMessage(Level = LogLevel.Information, Message = "Read privileges granted to the reader role {Role}")]
    private static partial void LogReaderGranted(ILogger logger, string role);

    [LoggerMessage(Level = LogLevel.Information, Message = "Database schema applied (PostgreSQL {Version})")]
    private static partial void LogApplied(ILogger logger, Version version);
}
