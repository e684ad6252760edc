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
}
