using System.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using XraySyslogSink.Storage;

namespace XraySyslogSink.IntegrationTests.Infrastructure;

/// <summary>
/// Least privilege in the tests: <c>scripts/sql/roles.sql</c> run with the real psql on a test database, the
/// schema migrated as <c>xraysink_owner</c> granting <c>xraysink_writer</c> and <c>xraysink_reader</c>, and the daemon
/// connected as the writer.
/// The test keeps its superuser connection string for assertions and for what only a superuser may do.
/// </summary>
internal static class DatabaseRoles
{
    public const string Owner = "xraysink_owner";
    public const string Writer = "xraysink_writer";
    public const string Reader = "xraysink_reader";

    // Test passwords, so the roles also work where the server demands password authentication (a container).
    public const string OwnerPassword = "xraysink-test-owner";
    public const string WriterPassword = "xraysink-test-writer";
    public const string ReaderPassword = "xraysink-test-reader";

    // Roles are cluster-wide: two tests creating them at once would race on CREATE ROLE.
    private static readonly SemaphoreSlim Gate = new(1, 1);

    /// <summary>
    /// The writer's limits the tests' owner migration stores: retention of days that ended 10 or more days ago (the
    /// retention tests use 10 days), and partitions over the tests' widened accept window (<see cref="TestSettings.WideAcceptWindow"/>).
    /// </summary>
    public static readonly WriterLimits TestLimits = new(RetentionFloorDays: 10, CreateDaysBack: 3651, CreateDaysAhead: 7);

    /// <summary>Prepares the roles on the database of <paramref name="adminConnectionString"/>; returns the writer's connection string.</summary>
    public static async Task<string> PrepareWriterAsync(string adminConnectionString, WriterLimits? limits = null)
    {
        await RunRolesScriptAsync(adminConnectionString);
        string owner = As(adminConnectionString, Owner, OwnerPassword);
        await using (NpgsqlDataSource dataSource = NpgsqlDataSource.Create(owner))
        {
            var migrator = new SchemaMigrator(dataSource, new SchemaOptions { WriterRole = Writer, ReaderRole = Reader }, TimeProvider.System, NullLogger<SchemaMigrator>.Instance)
            {
                WriterLimits = limits ?? TestLimits,
            };
            await migrator.ApplyAsync(CancellationToken.None);
        }

        return As(adminConnectionString, Writer, WriterPassword);
    }

    /// <summary>
    /// Runs scripts/sql/roles.sql with psql as the admin of <paramref name="adminConnectionString"/>, then sets the three
    /// passwords the documented way, <c>xraysink set-password ROLE --password-file FILE</c>.
    /// </summary>
    public static async Task RunRolesScriptAsync(string adminConnectionString)
    {
        var admin = new NpgsqlConnectionStringBuilder(adminConnectionString);
        var start = new ProcessStartInfo("psql")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in (string[])[
            "-X", "-q", "-h", admin.Host!, "-p", admin.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "-U", admin.Username!, "-d", admin.Database!,
            "-f", Path.Combine(Repository.Root, "scripts", "sql", "roles.sql")])
        {
            start.ArgumentList.Add(argument);
        }

        if (!string.IsNullOrEmpty(admin.Password))
        {
            start.Environment["PGPASSWORD"] = admin.Password;
        }

        await Gate.WaitAsync();
        try
        {
            using Process psql = Process.Start(start) ?? throw new InvalidOperationException("could not start psql");
            Task<string> output = psql.StandardOutput.ReadToEndAsync();
            string error = await psql.StandardError.ReadToEndAsync();
            await psql.WaitForExitAsync();
            if (psql.ExitCode != 0)
            {
                throw new InvalidOperationException($"psql -f roles.sql failed ({psql.ExitCode}): {error} {await output}");
            }
        }
        finally
        {
            Gate.Release();
        }

        foreach ((string role, string password) in ((string, string)[])[(Owner, OwnerPassword), (Writer, WriterPassword), (Reader, ReaderPassword)])
        {
            await SetPasswordAsync(adminConnectionString, role, password);
        }
    }

    /// <summary>Sets <paramref name="role"/>'s password with <c>xraysink set-password</c> from a private file.</summary>
    public static async Task SetPasswordAsync(string adminConnectionString, string role, string password)
    {
        string file = CliRunner.WriteTempFile(password + "\n", ".pw");
        try
        {
            CliRun run = await CliRunner.RunAsync(adminConnectionString, DateTimeOffset.UtcNow, "set-password", role, "--password-file", file);
            if (run.ExitCode != 0)
            {
                throw new InvalidOperationException($"xraysink set-password {role} failed ({run.ExitCode}): {run.Error} {run.Out}");
            }
        }
        finally
        {
            File.Delete(file);
        }
    }

    /// <summary>The same database as another role.</summary>
    public static string As(string connectionString, string role, string? password) =>
        new NpgsqlConnectionStringBuilder(connectionString) { Username = role, Password = password }.ConnectionString;
}
