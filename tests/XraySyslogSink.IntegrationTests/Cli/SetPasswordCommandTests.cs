using System.Diagnostics;
using Npgsql;
using XraySyslogSink.IntegrationTests.Infrastructure;

namespace XraySyslogSink.IntegrationTests.Cli;

/// <summary>
/// <c>xraysink set-password ROLE --password-file FILE</c> against a server that really demands the password (members of
/// <c>xraysink_password_login</c> authenticate with SCRAM, see pg-local.sh): the stored secret is the client-made
/// verifier, the password logs in and a wrong one does not; and <c>roles.sql</c> refuses passwords on its command line.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class SetPasswordCommandTests(PostgresServer postgres) : IAsyncLifetime
{
    private const string PasswordGroup = "xraysink_password_login";
    private readonly string _role = "xraysink_setpw_" + Guid.NewGuid().ToString("N")[..12];
    private readonly string _password = "Pw-" + Guid.NewGuid().ToString("N");

    [Fact]
    public async Task The_role_logs_in_with_the_password_from_the_file_and_the_server_holds_only_a_scram_verifier()
    {
        string admin = await postgres.CreateDatabaseAsync();
        await CreateRoleWithoutPasswordAsync(admin);
        string file = CliRunner.WriteTempFile(_password + "\n", ".pw");
        CliRun run;
        try
        {
            run = await CliRunner.RunAsync(admin, DateTimeOffset.UtcNow, "set-password", _role, "--password-file", file);
        }
        finally
        {
            File.Delete(file);
        }

        Assert.True(run.ExitCode == 0, run.Error);
        Assert.Equal($"xraysink: the password of {_role} is set (SCRAM-SHA-256)\n", run.Out);
        Assert.DoesNotContain(_password, run.Out + run.Error, StringComparison.Ordinal);
        string stored = await Database.ScalarAsync<string>(admin, $"SELECT rolpassword FROM pg_authid WHERE rolname = '{_role}'");
        Assert.StartsWith("SCRAM-SHA-256$4096:", stored, StringComparison.Ordinal);

        await using (var connection = new NpgsqlConnection(DatabaseRoles.As(admin, _role, _password)))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand("SELECT current_user", connection);
            Assert.Equal(_role, await command.ExecuteScalarAsync());
        }

        await using var wrong = new NpgsqlConnection(DatabaseRoles.As(admin, _role, _password + "x") + ";Pooling=false");
        PostgresException refused = await Assert.ThrowsAsync<PostgresException>(() => wrong.OpenAsync());
        Assert.Equal(PostgresErrorCodes.InvalidPassword, refused.SqlState);
    }

    [Fact]
    public async Task The_password_can_come_from_standard_input()
    {
        string admin = await postgres.CreateDatabaseAsync();
        await CreateRoleWithoutPasswordAsync(admin);
        using var input = new MemoryStream(System.Text.Encoding.ASCII.GetBytes(_password + "\n"));
        CliRun run = await CliRunner.RunAsync(admin, DateTimeOffset.UtcNow, input, CancellationToken.None, "set-password", _role, "--password-file", "-");
        Assert.True(run.ExitCode == 0, run.Error);

        await using var connection = new NpgsqlConnection(DatabaseRoles.As(admin, _role, _password));
        await connection.OpenAsync();
    }

    [Fact]
    public async Task An_unknown_role_or_a_missing_file_is_a_usage_error()
    {
        string admin = await postgres.CreateDatabaseAsync();
        string file = CliRunner.WriteTempFile(_password + "\n", ".pw");
        try
        {
            CliRun unknown = await CliRunner.RunAsync(admin, DateTimeOffset.UtcNow, "set-password", "no_such_role_" + Guid.NewGuid().ToString("N")[..8], "--password-file", file);
            Assert.Equal(2, unknown.ExitCode);
            Assert.Contains("there is no role no_such_role_", unknown.Error, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(file);
        }

        CliRun missing = await CliRunner.RunAsync(admin, DateTimeOffset.UtcNow, "set-password", DatabaseRoles.Writer, "--password-file", "/nonexistent/xraysink.pw");
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains("cannot read the password file /nonexistent/xraysink.pw", missing.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Roles_sql_refuses_passwords_given_on_the_psql_command_line()
    {
        string admin = await postgres.CreateDatabaseAsync();
        var server = new NpgsqlConnectionStringBuilder(admin);
        var start = new ProcessStartInfo("psql") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string argument in (string[])[
            "-X", "-q", "-h", server.Host!, "-p", server.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-U", server.Username!, "-d", server.Database!,
            "-v", $"writer_password={_password}", "-f", Path.Combine(Repository.Root, "scripts", "sql", "roles.sql")])
        {
            start.ArgumentList.Add(argument);
        }

        using Process psql = Process.Start(start)!;
        Task<string> output = psql.StandardOutput.ReadToEndAsync();
        string error = await psql.StandardError.ReadToEndAsync();
        await psql.WaitForExitAsync();

        Assert.Equal(3, psql.ExitCode);
        Assert.Contains("roles.sql no longer takes passwords with -v", error, StringComparison.Ordinal);
        Assert.Contains("xraysink set-password ROLE --password-file FILE", error, StringComparison.Ordinal);
        Assert.DoesNotContain(_password, error + await output, StringComparison.Ordinal);
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() =>
        await Database.ScalarAsync<int>(postgres.ConnectionString, $"DROP ROLE IF EXISTS {_role}; SELECT 1");

    private async Task CreateRoleWithoutPasswordAsync(string admin) =>
        await Database.ScalarAsync<int>(admin, $"""
            DO $$ BEGIN
                IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{PasswordGroup}') THEN
                    CREATE ROLE {PasswordGroup} NOLOGIN;
                END IF;
            EXCEPTION WHEN duplicate_object THEN NULL;
            END $$;
            CREATE ROLE {_role} LOGIN IN ROLE {PasswordGroup};
            SELECT 1
            """);
}
