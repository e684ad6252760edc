using System.Globalization;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace XraySyslogSink.Storage;

/// <summary>
/// Applies the seed schema idempotently and checks the server version. Connected as the schema's owner (or before
/// the first migration) it migrates, creates the partition function and grants the writer role
/// (<c>Schema:WriterRole</c>); connected as another role it only checks that role's run-time privileges.
/// </summary>
public sealed partial class SchemaMigrator
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

        (string? owner, bool owns) = await SchemaOwnerAsync(connection, cancellationToken);
        if (owner is not null && !owns)
        {
            // A writer role (scripts/sql/roles.sql): no DDL, but every run-time privilege must be there.
            await CheckRunTimePrivilegesAsync(connection, owner, cancellationToken);
            LogNotOwner(_logger, connection.UserName ?? "?", owner);
        }
        else
        {
            await MigrateAsync(connection, cancellationToken);
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

        // NpgsqlCommand (not NpgsqlBatchCommand) splits the multi-statement DDL text into one batch.
        string ddl = SchemaSql.TablesFor(_options.ForeignKeys) + SchemaSql.ImportFiles + SchemaSql.PartitionFunction(schema)
            + SchemaSql.DropPartitionFunction(schema);
        if (_options.CompositeUserTimestampIndex)
        {
            ddl += SchemaSql.CompositeUserTimestampIndex;
        }

        if (_options.BrinTimestampIndex)
        {
            ddl += SchemaSql.BrinTimestampIndex;
        }

        ddl += AnalyticsSql.Objects + SchemaSql.ReportFunctionsPrivate;
        if (_options.WriterRole.Length > 0)
        {
            ddl += SchemaSql.WriterGrants($"\"{_options.WriterRole}\"");
        }

        if (_options.ReaderRole.Length > 0)
        {
            ddl += SchemaSql.ReaderGrants($"\"{_options.ReaderRole}\"");
        }

        try
        {
            await using NpgsqlCommand command = new(ddl, connection, transaction);
            await command.ExecuteNonQueryAsync(cancellationToken);
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

    [LoggerMessage(Level = LogLevel.Information, Message = "Run-time privileges granted to the writer role {Role}")]
    private static partial void LogGranted(ILogger logger, string role);

    [LoggerMessage(Level = LogLevel.Information, Message = "Read privileges granted to the reader role {Role}")]
    private static partial void LogReaderGranted(ILogger logger, string role);

    [LoggerMessage(Level = LogLevel.Information, Message = "Database schema applied (PostgreSQL {Version})")]
    private static partial void LogApplied(ILogger logger, Version version);
}
