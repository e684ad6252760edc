using System.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using XraySyslogSink.IntegrationTests.Infrastructure;
using XraySyslogSink.Storage;

namespace XraySyslogSink.IntegrationTests.EndToEnd;

/// <summary>
/// scripts/sql/roles.sql and the writer role: the daemon runs as <c>xraysink_writer</c>, creates partitions through
/// the owner's SECURITY DEFINER function, and may do nothing else (no reads of logs, no deletes, no DDL).
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class LeastPrivilegeTests(PostgresServer postgres)
{
    [Fact]
    public async Task The_daemon_runs_as_the_writer_and_creates_a_new_days_partition_through_the_function()
    {
        await using SinkUnderTest sink = await SinkUnderTest.StartAsync(await postgres.CreateDatabaseAsync());

        await sink.SendTcpLinesAsync("2025/11/17 10:00:00.000000 from 203.0.113.5:40001 accepted tcp:example.com:443 [in >> out] email: alice@example.com");

        Assert.Equal(1, await sink.WaitForRowsAsync(1));
        Assert.True(await Database.ScalarAsync<long>(sink.ConnectionString, $"SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND usename = '{DatabaseRoles.Writer}' AND application_name = 'xraysink'") > 0);
        Assert.Equal(DatabaseRoles.Owner, await Database.ScalarAsync<string>(sink.ConnectionString, "SELECT pg_get_userbyid(relowner) FROM pg_class WHERE relname = 'logs_2025_11_17'"));
        Assert.True(await Database.ScalarAsync<bool>(sink.ConnectionString, $"SELECT has_table_privilege('{DatabaseRoles.Writer}', 'logs_2025_11_17', 'INSERT')"));
        Assert.False(await Database.ScalarAsync<bool>(sink.ConnectionString, $"SELECT has_table_privilege('{DatabaseRoles.Writer}', 'logs_2025_11_17', 'SELECT')"));
    }

    [Theory]
    [InlineData("SELECT count(*) FROM logs")]
    [InlineData("SELECT count(*) FROM dead_letters")]
    [InlineData("DELETE FROM users")]
    [InlineData("UPDATE endpoints SET address = 'x'")]
    [InlineData("TRUNCATE tags")]
    [InlineData("DROP TABLE logs")]
    [InlineData("CREATE TABLE intruder (id int)")]
    [InlineData("CREATE TABLE logs_2040_01_01 PARTITION OF logs FOR VALUES FROM ('2040-01-01') TO ('2040-01-02')")]
    [InlineData("ALTER FUNCTION xraysink_create_partition(date) SECURITY INVOKER")]
    public async Task The_writer_may_not_read_delete_or_change_the_schema(string sql)
    {
        string admin = await postgres.CreateDatabaseAsync();
        string writer = await DatabaseRoles.PrepareWriterAsync(admin);

        await using var connection = new NpgsqlConnection(writer);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        PostgresException denied = await Assert.ThrowsAsync<PostgresException>(() => command.ExecuteNonQueryAsync());

        Assert.Equal("42501", denied.SqlState); // insufficient_privilege (must be owner, permission denied)
    }

    [Fact]
    public async Task A_writer_missing_a_grant_is_stopped_at_start_with_the_fix_in_the_message()
    {
        string admin = await postgres.CreateDatabaseAsync();
        string writer = await DatabaseRoles.PrepareWriterAsync(admin);
        await Database.ScalarAsync<int>(admin, $"SELECT 1; REVOKE INSERT ON dead_letters FROM {DatabaseRoles.Writer}");

        await using NpgsqlDataSource dataSource = NpgsqlDataSource.Create(writer);
        var migrator = new SchemaMigrator(dataSource, new SchemaOptions(), TimeProvider.System, NullLogger<SchemaMigrator>.Instance);
        InvalidOperationException error = await Assert.ThrowsAsync<InvalidOperationException>(() => migrator.ApplyAsync(CancellationToken.None));

        Assert.Contains("INSERT on dead_letters", error.Message, StringComparison.Ordinal);
        Assert.Contains($"xraysink migrate --Schema:WriterRole={DatabaseRoles.Writer}", error.Message, StringComparison.Ordinal);
        Assert.Contains($"as {DatabaseRoles.Owner}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_writer_on_an_empty_database_is_told_to_run_the_migration_as_the_owner()
    {
        string admin = await postgres.CreateDatabaseAsync();
        await DatabaseRoles.RunRolesScriptAsync(admin);

        await using NpgsqlDataSource dataSource = NpgsqlDataSource.Create(DatabaseRoles.As(admin, DatabaseRoles.Writer, DatabaseRoles.WriterPassword));
        var migrator = new SchemaMigrator(dataSource, new SchemaOptions(), TimeProvider.System, NullLogger<SchemaMigrator>.Instance);
        InvalidOperationException error = await Assert.ThrowsAsync<InvalidOperationException>(() => migrator.ApplyAsync(CancellationToken.None));

        Assert.Contains("run `xraysink migrate` as the owner role", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_writer_on_an_install_from_before_versioned_migrations_is_told_to_migrate_and_runs_once_the_owner_did()
    {
        string admin = await postgres.CreateDatabaseAsync();
        await SchemaFixtures.LoadAsync(admin, SchemaFixtures.BeforeVersioning);
        await DatabaseRoles.RunRolesScriptAsync(admin);
        await using NpgsqlDataSource writer = NpgsqlDataSource.Create(DatabaseRoles.As(admin, DatabaseRoles.Writer, DatabaseRoles.WriterPassword));
        var asWriter = new SchemaMigrator(writer, new SchemaOptions(), TimeProvider.System, NullLogger<SchemaMigrator>.Instance);

        InvalidOperationException error = await Assert.ThrowsAsync<InvalidOperationException>(() => asWriter.ApplyAsync(CancellationToken.None));

        Assert.StartsWith("The database schema has no schema_migrations (made before versioned migrations); this xraysink needs version ", error.Message, StringComparison.Ordinal);
        Assert.EndsWith(
            $"Role {DatabaseRoles.Writer} may not migrate: run `xraysink migrate --Schema:WriterRole={DatabaseRoles.Writer}` as {DatabaseRoles.Owner} (see scripts/sql/roles.sql), then start the daemon again.",
            error.Message,
            StringComparison.Ordinal);
        Assert.Equal(0L, await Database.ScalarAsync<long>(admin, "SELECT count(*) FROM pg_class WHERE relname = 'schema_migrations'"));

        await using (NpgsqlDataSource owner = NpgsqlDataSource.Create(DatabaseRoles.As(admin, DatabaseRoles.Owner, DatabaseRoles.OwnerPassword)))
        {
            await new SchemaMigrator(owner, new SchemaOptions { WriterRole = DatabaseRoles.Writer }, TimeProvider.System, NullLogger<SchemaMigrator>.Instance)
                .ApplyAsync(CancellationToken.None);
        }

        await asWriter.ApplyAsync(CancellationToken.None);
        Assert.True(await Database.ScalarAsync<bool>(admin, $"SELECT has_table_privilege('{DatabaseRoles.Writer}', 'logs_2026_11_30', 'INSERT')"));
    }

    [Fact]
    public async Task The_documented_commands_roles_sql_then_migrate_as_the_owner_give_the_writer_what_it_needs()
    {
        string admin = await postgres.CreateDatabaseAsync();
        await DatabaseRoles.RunRolesScriptAsync(admin);
        string owner = DatabaseRoles.As(admin, DatabaseRoles.Owner, DatabaseRoles.OwnerPassword);

        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string argument in (string[])[DaemonProcess.DllPath, "migrate", $"--ConnectionStrings:Postgres={owner}", $"--Schema:WriterRole={DatabaseRoles.Writer}"])
        {
            start.ArgumentList.Add(argument);
        }

        using Process migrate = Process.Start(start)!;
        string output = await migrate.StandardOutput.ReadToEndAsync();
        string error = await migrate.StandardError.ReadToEndAsync();
        await migrate.WaitForExitAsync();
        Assert.True(migrate.ExitCode == 0, $"migrate exited {migrate.ExitCode}: {output} {error}");

        // The daemon as the writer finds everything in place and does not migrate.
        await using NpgsqlDataSource dataSource = NpgsqlDataSource.Create(DatabaseRoles.As(admin, DatabaseRoles.Writer, DatabaseRoles.WriterPassword));
        var migrator = new SchemaMigrator(dataSource, new SchemaOptions(), TimeProvider.System, NullLogger<SchemaMigrator>.Instance);
        await migrator.ApplyAsync(CancellationToken.None);
        Assert.Equal(DatabaseRoles.Owner, await Database.ScalarAsync<string>(admin, "SELECT pg_get_userbyid(relowner) FROM pg_class WHERE relname = 'logs'"));
        Assert.Equal(0L, await Database.ScalarAsync<long>(admin, "SELECT count(*) FROM pg_proc WHERE proname = 'xraysink_create_partition' AND has_function_privilege('public', oid, 'EXECUTE')"));
    }
}
