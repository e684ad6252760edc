using System.Text.Json.Nodes;
using Npgsql;
using XraySyslogSink.IntegrationTests.Infrastructure;

namespace XraySyslogSink.IntegrationTests.Cli;

/// <summary>
/// The read-only <c>xraysink_reader</c> of scripts/sql/roles.sql: after the documented install and role set-up,
/// <c>xraysink report</c> runs as it; it reads the data and runs the report functions, and may do nothing else.
/// </summary>
[Collection(PostgresCollection.Name)]
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class ReaderRoleTests(PostgresServer postgres) : IDisposable
{
    private readonly string _prefix = Path.Combine(Path.GetTempPath(), "xraysink-reader-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public async Task After_the_documented_install_and_role_set_up_reports_run_as_the_reader()
    {
        // scripts/install.sh, then its next steps: roles.sql with the three passwords, migrate as the owner granting
        // the writer and the reader, the reader's password in a file named by Reports:PasswordFile.
        bool built = File.Exists(DaemonProcess.DllPath) && DaemonProcess.DllPath.Contains("/Release/", StringComparison.Ordinal);
        (int exit, string output) = await ProgramRun.RunAsync("bash", [Path.Combine(Repository.Root, "scripts", "install.sh"), "--prefix", _prefix, .. built ? (string[])["--no-build"] : []]);
        Assert.True(exit == 0, output);
        foreach (string step in (string[])["set-password xraysink_owner --password-file -", "--Schema:ReaderRole=xraysink_reader", "Reports:PasswordFile", "report top-endpoints --config"])
        {
            Assert.Contains(step, output, StringComparison.Ordinal);
        }

        string xraysink = Path.Combine(_prefix, "opt", "xraysink", "xraysink");
        string etc = Path.Combine(_prefix, "etc", "xraysink");
        string settings = Path.Combine(etc, "appsettings.json");

        string admin = await postgres.CreateDatabaseAsync();
        await DatabaseRoles.RunRolesScriptAsync(admin);
        string owner = DatabaseRoles.As(admin, DatabaseRoles.Owner, DatabaseRoles.OwnerPassword);
        (exit, output) = await ProgramRun.RunAsync(xraysink, "migrate", "--config", settings, $"--ConnectionStrings:Postgres={owner}", "--Schema:WriterRole=xraysink_writer", "--Schema:ReaderRole=xraysink_reader", "--from", "2025-11-16", "--to", "2025-11-18");
        Assert.True(exit == 0, output);
        string file = CliRunner.WriteTempFile(KnownLog.Text);
        try
        {
            (exit, output) = await ProgramRun.RunAsync(xraysink, "import", file, "--config", settings, $"--ConnectionStrings:Postgres={owner}");
            Assert.True(exit == 0, output);
        }
        finally
        {
            File.Delete(file);
        }

        // The operator's edit of step 2: this server's address in the shipped reader connection string, and the password file.
        var server = new NpgsqlConnectionStringBuilder(admin);
        JsonNode json = JsonNode.Parse(await File.ReadAllTextAsync(settings))!;
        var shipped = new NpgsqlConnectionStringBuilder((string)json["Reports"]!["ConnectionString"]!);
        Assert.Equal(DatabaseRoles.Reader, shipped.Username);
        shipped.Host = server.Host;
        shipped.Port = server.Port;
        shipped.Database = server.Database;
        string passwordFile = Path.Combine(etc, "reader-password");
        await File.WriteAllTextAsync(passwordFile, DatabaseRoles.ReaderPassword + "\n");
        json["Reports"]!["ConnectionString"] = shipped.ConnectionString;
        json["Reports"]!["PasswordFile"] = passwordFile;
        await File.WriteAllTextAsync(settings, json.ToJsonString());

        (exit, output) = await ProgramRun.RunAsync(xraysink, "report", "top-endpoints", "--config", settings, "--from", "2025-11-17", "--to", "2025-11-17");
        Assert.True(exit == 0, output);
        Assert.Equal(KnownLog.TopEndpoints, output);

        (exit, output) = await ProgramRun.RunAsync(xraysink, "report", "sessions", "--help");
        Assert.Equal(0, exit);
        Assert.Contains("Usage:\n  xraysink report sessions [options]\n", output, StringComparison.Ordinal);
        Assert.Contains("--gap <AGE>", output, StringComparison.Ordinal);

        // As the writer (which may neither read logs nor run the report functions) a report fails with the way out in the message.
        string writer = DatabaseRoles.As(admin, DatabaseRoles.Writer, DatabaseRoles.WriterPassword);
        (exit, output) = await ProgramRun.RunAsync(xraysink, "report", "top-endpoints", "--config", settings, $"--Reports:ConnectionString={writer}", "--Reports:PasswordFile=", "--from", "2025-11-17");
        Assert.Equal(1, exit);
        Assert.Contains("permission denied for function report_top_endpoints as xraysink_writer", output, StringComparison.Ordinal);
        Assert.Contains("--Schema:ReaderRole=xraysink_writer", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_reader_holds_exactly_select_on_the_data_and_execute_on_the_report_functions()
    {
        string admin = await postgres.CreateDatabaseAsync();
        await DatabaseRoles.PrepareWriterAsync(admin);

        List<object?[]> tables = await Database.RowsAsync(admin, $"""
            SELECT c.relname || ' ' || p.privilege
            FROM pg_class c
            CROSS JOIN unnest(ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES', 'TRIGGER']) AS p(privilege)
            WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p', 'v', 'S')
              AND CASE WHEN c.relkind = 'S' THEN has_sequence_privilege('{DatabaseRoles.Reader}', c.oid, CASE p.privilege WHEN 'SELECT' THEN 'SELECT' ELSE 'USAGE' END)
                       ELSE has_table_privilege('{DatabaseRoles.Reader}', c.oid, p.privilege) END
            ORDER BY 1
            """);
        string today = $"logs_{DateTime.UtcNow:yyyy_MM_dd}";
        Assert.Equal(
            new[] { "endpoints SELECT", "logs SELECT", "logs_readable SELECT", "nodes SELECT", "protocols SELECT", "tags SELECT", "users SELECT" }
                .Concat(Enumerable.Range(0, 3).Select(d => $"logs_{DateTime.UtcNow.AddDays(d):yyyy_MM_dd} SELECT"))
                .Order(StringComparer.Ordinal),
            tables.Select(r => (string)r[0]!).Order(StringComparer.Ordinal));
        Assert.Contains($"{today} SELECT", tables.Select(r => (string)r[0]!));

        List<object?[]> functions = await Database.RowsAsync(admin, $"""
            SELECT p.proname FROM pg_proc p
            WHERE p.pronamespace = current_schema()::regnamespace AND has_function_privilege('{DatabaseRoles.Reader}', p.oid, 'EXECUTE')
            ORDER BY 1
            """);
        Assert.Equal(
            ["report_ips_per_user", "report_node_traffic", "report_nodes", "report_routes", "report_shared_accounts", "report_top_endpoints", "report_top_protocols", "report_user_activity", "report_user_sessions", "report_users_per_ip"],
            functions.Select(r => (string)r[0]!));
    }

    [Theory]
    [InlineData("INSERT INTO users (email) VALUES ('mallory@example.com')")]
    [InlineData("INSERT INTO logs (\"timestamp\", source_ip, source_port, action) VALUES (now(), '192.0.2.1', 1, 'accepted')")]
    [InlineData("DELETE FROM logs")]
    [InlineData("DELETE FROM users")]
    [InlineData("UPDATE endpoints SET address = 'x'")]
    [InlineData("TRUNCATE tags")]
    [InlineData("SELECT count(*) FROM dead_letters")]
    [InlineData("SELECT count(*) FROM spool_checkpoints")]
    [InlineData("SELECT count(*) FROM import_files")]
    [InlineData("SELECT xraysink_create_partition('2040-01-01')")]
    [InlineData("SELECT xraysink_drop_partition('2020-01-01')")]
    [InlineData("CREATE TABLE intruder (id int)")]
    public async Task The_reader_may_not_write_read_operational_tables_or_touch_partitions(string sql)
    {
        string admin = await postgres.CreateDatabaseAsync();
        await DatabaseRoles.PrepareWriterAsync(admin);
        await using var connection = new NpgsqlConnection(DatabaseRoles.As(admin, DatabaseRoles.Reader, DatabaseRoles.ReaderPassword));
        await connection.OpenAsync();

        // Even in a transaction that asks to write, the privileges refuse it (not only the read-only default).
        await using NpgsqlTransaction transaction = await connection.BeginTransactionAsync();
        await using (var readWrite = new NpgsqlCommand("SET TRANSACTION READ WRITE", connection, transaction))
        {
            await readWrite.ExecuteNonQueryAsync();
        }

        await using var command = new NpgsqlCommand(sql, connection, transaction);
        PostgresException denied = await Assert.ThrowsAsync<PostgresException>(() => command.ExecuteNonQueryAsync());
        Assert.Equal("42501", denied.SqlState);
    }

    [Fact]
    public async Task The_readers_sessions_are_read_only_and_it_reads_the_data()
    {
        string admin = await postgres.CreateDatabaseAsync();
        await DatabaseRoles.PrepareWriterAsync(admin);
        string reader = DatabaseRoles.As(admin, DatabaseRoles.Reader, DatabaseRoles.ReaderPassword);

        Assert.Equal(0L, await Database.ScalarAsync<long>(reader, "SELECT count(*) FROM logs_readable"));
        Assert.Equal(0L, await Database.ScalarAsync<long>(reader, "SELECT count(*) FROM report_top_endpoints(now() - interval '1 day', now())"));
        PostgresException readOnly = await Assert.ThrowsAsync<PostgresException>(() => Database.ScalarAsync<long>(reader, "INSERT INTO users (email) VALUES ('x')"));
        Assert.Equal("25006", readOnly.SqlState); // read_only_sql_transaction
    }

    public void Dispose()
    {
        if (Directory.Exists(_prefix))
        {
            Directory.Delete(_prefix, recursive: true);
        }
    }
}
