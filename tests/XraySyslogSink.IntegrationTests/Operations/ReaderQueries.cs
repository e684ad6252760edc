using System.Globalization;
using XraySyslogSink.IntegrationTests.Cli;
using XraySyslogSink.IntegrationTests.Infrastructure;

namespace XraySyslogSink.IntegrationTests.Operations;

/// <summary>What the shipped queries (cookbook, dashboards) are checked against: <see cref="KnownLog"/>'s day, read as the reader.</summary>
internal static class ReaderQueries
{
    private static readonly SemaphoreSlim Loading = new(1, 1);
    private static string? _reader;

    /// <summary>One <see cref="LoadKnownDayAsync"/> database shared by the tests that only read it; the reader's connection string.</summary>
    public static async Task<string> KnownDayAsync(PostgresServer postgres)
    {
        await Loading.WaitAsync();
        try
        {
            return _reader ??= await LoadKnownDayAsync(postgres);
        }
        finally
        {
            Loading.Release();
        }
    }

    /// <summary>
    /// A database with the three roles, the empty days around 2025-11-17 (so pruning shows in plans) and
    /// <see cref="KnownLog"/> imported; returns the reader's connection string.
    /// </summary>
    public static async Task<string> LoadKnownDayAsync(PostgresServer postgres)
    {
        string admin = await postgres.CreateDatabaseAsync();
        await DatabaseRoles.PrepareWriterAsync(admin);
        string owner = DatabaseRoles.As(admin, DatabaseRoles.Owner, DatabaseRoles.OwnerPassword);
        Assert.Equal(0, (await CliRunner.RunAsync(owner, KnownLog.Now, "migrate", "--from", "2025-11-16", "--to", "2025-11-18")).ExitCode);
        string file = CliRunner.WriteTempFile(KnownLog.Text);
        try
        {
            Assert.Equal(0, (await CliRunner.RunAsync(owner, KnownLog.Now, "import", file)).ExitCode);
        }
        finally
        {
            File.Delete(file);
        }

        return DatabaseRoles.As(admin, DatabaseRoles.Reader, DatabaseRoles.ReaderPassword);
    }

    /// <summary>The rows of <paramref name="sql"/>, columns joined by " | " (NULL as NULL, times in UTC to the second).</summary>
    public static async Task<List<string>> RowsAsync(string connectionString, string sql)
    {
        List<string> lines = [];
        foreach (object?[] row in await Database.RowsAsync(connectionString, sql))
        {
            lines.Add(string.Join(" | ", row.Select(Text)));
        }

        return lines;
    }

    private static string Text(object? value) => value switch
    {
        null => "NULL",
        DateTime time => time.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture),
        TimeSpan span => span.ToString("c", CultureInfo.InvariantCulture),
        IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? string.Empty,
    };
}
