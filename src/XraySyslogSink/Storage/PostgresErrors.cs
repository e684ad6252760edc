using System.Net.Sockets;
using Npgsql;

namespace XraySyslogSink.Storage;

/// <summary>Classifies database errors for the writer's retry and poison-row decisions.</summary>
internal static class PostgresErrors
{
    public const string UndefinedTable = "42P01";
    public const string DuplicateTable = "42P07";
    public const string UniqueViolation = "23505";
    public const string InsufficientPrivilege = "42501";

    /// <summary>A function (or this argument list of it) does not exist.</summary>
    public const string UndefinedFunction = "42883";

    /// <summary>True when retrying the same batch later can succeed (connection lost, server starting or shutting down…).</summary>
    public static bool IsTransient(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        for (Exception? e = exception; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case PostgresException pg:
                    return IsTransientSqlState(pg.SqlState) || pg.IsTransient;
                case NpgsqlException npgsql when npgsql.IsTransient:
                    return true;
                case TimeoutException or IOException or SocketException:
                    return true;
            }
        }

        return false;
    }

    /// <summary>
    /// True for a data exception (class 22) or an integrity violation (class 23): the rows are at fault,
    /// not the server, so retrying the same rows can never succeed.
    /// </summary>
    public static bool IsRowError(Exception exception) =>
        exception is PostgresException { SqlState: [ '2', '2' or '3', _, _, _ ] };

    internal static bool IsSqlState(Exception exception, string sqlState) =>
        exception is PostgresException pg && pg.SqlState == sqlState;

    private static bool IsTransientSqlState(string sqlState) =>
        sqlState.StartsWith("08", StringComparison.Ordinal) // connection exception
        || sqlState is "57P01" // admin_shutdown
            or "57P02" // crash_shutdown
            or "57P03" // cannot_connect_now (starting up, recovery)
            or "57014" // query_canceled (statement_timeout)
            or "53000" or "53100" or "53200" or "53300" or "53400" // insufficient resources, too many connections
            or "55P03" // lock_not_available (lock_timeout)
            or "40001" // serialization_failure
            or "40P01" // deadlock_detected
            or "58000" or "58030"; // system / io error on the server
}
