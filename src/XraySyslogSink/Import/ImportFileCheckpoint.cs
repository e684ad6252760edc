using Npgsql;
using XraySyslogSink.Storage;

namespace XraySyslogSink.Import;

/// <summary>
/// The <c>import_files</c> row of one input: how many of its lines are committed. The store advances it in the same
/// transaction as each batch's rows, so a second import of the same content writes nothing and an interrupted one
/// resumes after the last committed line.
/// </summary>
internal sealed class ImportFileCheckpoint(string sha256) : IBatchCheckpoint
{
    private const string RegisterSql = """
        INSERT INTO import_files (sha256, file_name, lines_total, lines_committed, started_at, updated_at)
        VALUES ($1, $2, $3, 0, now(), now())
        ON CONFLICT (sha256) DO NOTHING
        """;

    private const string ReadSql = "SELECT lines_committed FROM import_files WHERE sha256 = $1";

    private const string AdvanceSql = """
        UPDATE import_files SET lines_committed = $2, updated_at = now()
        WHERE sha256 = $1 AND lines_committed < $2
        """;

    public string Sha256 { get; } = sha256;

    /// <summary>The second key of this content's import lock: its hash's first four bytes.</summary>
    internal int LockKey => int.Parse(Sha256.AsSpan(0, 8), System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>
    /// Takes the session lock of this content, so that two imports of the same content cannot run at once (with other
    /// batch sizes their batches would overlap); null when another import holds it. Disposing the result releases it.
    /// </summary>
    public async Task<IAsyncDisposable?> TryLockAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        NpgsqlConnection connection = await dataSource.OpenConnectionAsync(cancellationToken);
        try
        {
            if (await LockCommandAsync(connection, "pg_try_advisory_lock", cancellationToken))
            {
                return new HeldLock(this, connection);
            }
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }

        await connection.DisposeAsync();
        return null;
    }

    /// <summary>Records the input when it is new; returns its lines committed so far (0 for a new one).</summary>
    public async Task<long> RegisterAsync(NpgsqlDataSource dataSource, string fileName, long lines, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        await using NpgsqlConnection connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using (NpgsqlCommand register = new(RegisterSql, connection))
        {
            register.Parameters.Add(new NpgsqlParameter<string> { TypedValue = Sha256 });
            register.Parameters.Add(new NpgsqlParameter<string> { TypedValue = fileName });
            register.Parameters.Add(new NpgsqlParameter<long> { TypedValue = lines });
            await register.ExecuteNonQueryAsync(cancellationToken);
        }

        await using NpgsqlCommand read = new(ReadSql, connection);
        read.Parameters.Add(new NpgsqlParameter<string> { TypedValue = Sha256 });
        return (long)(await read.ExecuteScalarAsync(cancellationToken))!;
    }

    public async Task<bool> AdvanceAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, long sequence, CancellationToken cancellationToken)
    {
        await using NpgsqlCommand command = new(AdvanceSql, connection, transaction);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = Sha256 });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = sequence });
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    private async Task<bool> LockCommandAsync(NpgsqlConnection connection, string function, CancellationToken cancellationToken)
    {
        await using NpgsqlCommand command = new($"SELECT {function}($1, $2)", connection);
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = AdvisoryLockKeys.Import });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = LockKey });
        return (bool)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <summary>The lock's connection; a pooled connection keeps session locks until reused, so it unlocks explicitly.</summary>
    private sealed class HeldLock(ImportFileCheckpoint owner, NpgsqlConnection connection) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            try
            {
                await owner.LockCommandAsync(connection, "pg_advisory_unlock", CancellationToken.None);
            }
            catch (NpgsqlException)
            {
                // The connection is broken: the server released the lock with the session.
            }
            finally
            {
                await connection.DisposeAsync();
            }
        }
    }
}
