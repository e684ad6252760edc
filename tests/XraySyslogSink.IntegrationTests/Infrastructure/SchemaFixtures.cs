using Npgsql;

namespace XraySyslogSink.IntegrationTests.Infrastructure;

/// <summary>Installs made by earlier versions of the project (tests/…/Storage/Fixtures/*.sql), loaded as the test's superuser.</summary>
public static class SchemaFixtures
{
    /// <summary>The oldest released schema (commit f38cb44).</summary>
    public const string Oldest = "schema-f38cb44.sql";

    /// <summary>The last schema before versioned migrations (commit 68f937b).</summary>
    public const string BeforeVersioning = "schema-68f937b.sql";

    /// <summary>Rows every fixture install holds before its upgrade.</summary>
    public const string Rows = "schema-rows.sql";

    public static async Task LoadAsync(string connectionString, string fixture)
    {
        string sql = await File.ReadAllTextAsync(Path.Combine(Repository.Root, "tests", "XraySyslogSink.IntegrationTests", "Storage", "Fixtures", fixture));
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
