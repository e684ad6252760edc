using System.IO.Compression;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using XraySyslogSink.Import;
using XraySyslogSink.IntegrationTests.Infrastructure;
using XraySyslogSink.Pipeline;
using XraySyslogSink.Storage;
using XraySyslogSink.Xray;

namespace XraySyslogSink.IntegrationTests.Cli;

[Collection(PostgresCollection.Name)]
public sealed class ImportCommandTests(PostgresServer server) : IDisposable
{
    private const string KnownSha256 = "a43fd412542e3cf0a6f578eeba7c59920463e69cb322ee8eed44dd9cc515419a";

    private readonly List<string> _files = [];

    [Fact]
    public async Task Imports_a_plain_file_through_the_daemons_parser_and_store()
    {
        string db = await server.CreateDatabaseAsync();
        string file = Track(CliRunner.WriteTempFile(KnownLog.Text));

        CliRun result = await CliRunner.RunAsync(db, KnownLog.Now, "import", file);

        Assert.Equal(0, result.ExitCode);
        Assert.Equal(string.Empty, result.Error);
        Assert.Equal($"{file}: sha256 {KnownSha256}\n{KnownLog.FirstImportSummary}", WithoutRate(result.Out));
        Assert.Matches("\n  rate          [0-9]+ lines/s over [0-9]+\\.[0-9]{2} s\n$", result.Out);

        List<object?[]> rows = await Database.RowsAsync(db, Database.LogsWithDimensions);
        Assert.Equal(KnownLog.Rows, rows.Count);
        Assert.Equal(
            new object?[] { new DateTime(2025, 11, 17, 8, 0, 0, DateTimeKind.Utc), "203.0.113.10/32", 50001, "accepted", "tcp", "www.example.com", 443, "vless-in", "direct", "alice@example.com", "logs_2025_11_17" },
            rows[0]);
        Assert.Equal(
            new object?[] { new DateTime(2025, 11, 17, 10, 3, 0, DateTimeKind.Utc), "192.0.2.55/32", 50010, "rejected", null, null, null, null, null, null, "logs_2025_11_17" },
            rows[9]);

        // The syslog-wrapped line: the header is parsed off, the line keeps its own time.
        Assert.Equal(new object?[] { new DateTime(2025, 11, 17, 10, 5, 0, DateTimeKind.Utc), 50011, "bob@example.com" }, new[] { rows[10][0], rows[10][2], rows[10][9] });
        Assert.Equal(
            new object?[] { "no timestamp", "this is not an xray line" },
            (await Database.RowsAsync(db, "SELECT reason, raw FROM dead_letters")).Single());
        Assert.Equal(
            new object?[] { KnownSha256, file, 14L, 14L },
            (await Database.RowsAsync(db, "SELECT sha256, file_name, lines_total, lines_committed FROM import_files")).Single());
    }

    [Fact]
    public async Task Importing_the_same_content_again_plain_gzip_or_stdin_adds_nothing()
    {
        string db = await server.CreateDatabaseAsync();
        string plain = Track(CliRunner.WriteTempFile(KnownLog.Text));
        string gz = Track(WriteGzip(KnownLog.Text, ".log.gz"));

        Assert.Equal(0, (await CliRunner.RunAsync(db, KnownLog.Now, "import", plain)).ExitCode);
        CliRun again = await CliRunner.RunAsync(db, KnownLog.Now, "import", plain, gz);
        using var stdin = new MemoryStream(Encoding.UTF8.GetBytes(KnownLog.Text));
        CliRun piped = await CliRunner.RunAsync(db, KnownLog.Now, stdin, CancellationToken.None, "import", "-");

        Assert.Equal(0, again.ExitCode);
        string already = "  already imported: all 14 lines are committed; nothing to do\n";
        Assert.StartsWith($"{plain}: sha256 {KnownSha256}\n{already}{gz}: sha256 {KnownSha256}\n{already}total: 2 inputs, 0 lines read, 0 rows, 0 skipped, 0 dead letters, ", again.Out, StringComparison.Ordinal);
        Assert.Equal($"-: sha256 {KnownSha256}\n{already}", piped.Out);
        Assert.Equal((long)KnownLog.Rows, await Database.ScalarAsync<long>(db, "SELECT count(*) FROM logs"));
        Assert.Equal(1L, await Database.ScalarAsync<long>(db, "SELECT count(*) FROM dead_letters"));
    }

    [Fact]
    public async Task Imports_gzip_and_standard_input()
    {
        string gzDb = await server.CreateDatabaseAsync();
        string gz = Track(WriteGzip(KnownLog.Text, ".gz"));
        CliRun fromGzip = await CliRunner.RunAsync(gzDb, KnownLog.Now, "import", gz);
        Assert.Equal($"{gz}: sha256 {KnownSha256}\n{KnownLog.FirstImportSummary}", WithoutRate(fromGzip.Out));

        string stdinDb = await server.CreateDatabaseAsync();
        using var stdin = new MemoryStream(Encoding.UTF8.GetBytes(KnownLog.Text.Replace("\n", "\r\n", StringComparison.Ordinal)));
        CliRun fromStdin = await CliRunner.RunAsync(stdinDb, KnownLog.Now, stdin, CancellationToken.None, "import", "-");

        // CRLF content is other bytes (another hash) but the same lines and rows.
        Assert.Equal(0, fromStdin.ExitCode);
        Assert.Equal(KnownLog.FirstImportSummary, WithoutRate(fromStdin.Out)[(fromStdin.Out.IndexOf('\n', StringComparison.Ordinal) + 1)..]);
        Assert.StartsWith("-: sha256 ", fromStdin.Out, StringComparison.Ordinal);
        Assert.Equal(
            await Database.RowsAsync(gzDb, Database.LogsWithDimensions),
            await Database.RowsAsync(stdinDb, Database.LogsWithDimensions));
        Assert.Equal("-", await Database.ScalarAsync<string>(stdinDb, "SELECT file_name FROM import_files"));
    }

    [Fact]
    public async Task An_interrupted_import_resumes_after_its_last_committed_batch()
    {
        string db = await server.CreateDatabaseAsync();
        string file = Track(CliRunner.WriteTempFile(ManyLines(1200)));
        Assert.Equal(0, (await CliRunner.RunAsync(db, KnownLog.Now, "migrate")).ExitCode);

        // Interrupted (as by Ctrl+C) once the first batch of 500 rows is committed: that batch stays.
        await using NpgsqlDataSource dataSource = NpgsqlDataSource.Create(db);
        using var interrupt = new CancellationTokenSource();
        var importer = new LogImporter(
            dataSource,
            new DimensionCaches(new DimensionCacheOptions()),
            new SenderTimeZones(new XrayOptions()),
            new PipelineOptions(),
            batchSize: 500,
            new FixedTimeProvider(KnownLog.Now),
            NullLoggerFactory.Instance)
        {
            Progress = p =>
            {
                if (p.LinesCommitted > 0)
                {
                    interrupt.Cancel();
                }
            },
        };
        using (ImportSource source = ImportSource.OpenFile(file))
        {
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => importer.ImportAsync(source, interrupt.Token));
        }

        Assert.Equal(512L, await Database.ScalarAsync<long>(db, "SELECT count(*) FROM logs"));
        Assert.Equal(512L, await Database.ScalarAsync<long>(db, "SELECT lines_committed FROM import_files"));

        CliRun resumed = await CliRunner.RunAsync(db, KnownLog.Now, "import", file, "--batch-size", "500");
        Assert.Equal(0, resumed.ExitCode);
        Assert.Contains("  resumed after line 512 (committed by an earlier run)\n  lines         688 read of 1200\n  rows          688\n", resumed.Out, StringComparison.Ordinal);
        Assert.Equal(1200L, await Database.ScalarAsync<long>(db, "SELECT count(DISTINCT source_port) FROM logs"));
        Assert.Equal(1200L, await Database.ScalarAsync<long>(db, "SELECT count(*) FROM logs"));
        Assert.Equal(1200L, await Database.ScalarAsync<long>(db, "SELECT lines_committed FROM import_files"));
    }

    [Fact]
    public async Task Time_zone_and_host_options_read_the_clock_of_the_named_zone()
    {
        const string Line = "2025/11/17 09:00:00.000000 from 10.0.0.1:40000 accepted tcp:a.example:443 [in >> out] email: z@example.com\n";
        string tokyoDb = await server.CreateDatabaseAsync();
        string file = Track(CliRunner.WriteTempFile(Line));
        Assert.Equal(0, (await CliRunner.RunAsync(tokyoDb, KnownLog.Now, "import", file, "--time-zone", "Asia/Tokyo")).ExitCode);
        Assert.Equal(new DateTime(2025, 11, 17, 0, 0, 0, DateTimeKind.Utc), await Database.ScalarAsync<DateTime>(tokyoDb, "SELECT \"timestamp\" FROM logs"));

        string hostDb = await server.CreateDatabaseAsync();
        CliRun byHost = await CliRunner.RunAsync(hostDb, KnownLog.Now, "import", file, "--host", "ny-1", "--Xray:SenderTimeZones:ny-1=America/New_York");
        Assert.Equal(0, byHost.ExitCode);
        Assert.Equal(new DateTime(2025, 11, 17, 14, 0, 0, DateTimeKind.Utc), await Database.ScalarAsync<DateTime>(hostDb, "SELECT \"timestamp\" FROM logs"));

        CliRun bad = await CliRunner.RunAsync(hostDb, KnownLog.Now, "import", file, "--time-zone", "Mars/Olympus");
        Assert.Equal(2, bad.ExitCode);
        Assert.StartsWith("xraysink import: 'Mars/Olympus' is not a known IANA time zone\n", bad.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_second_import_of_content_being_imported_is_refused()
    {
        string db = await server.CreateDatabaseAsync();
        string file = Track(CliRunner.WriteTempFile(KnownLog.Text));
        Assert.Equal(0, (await CliRunner.RunAsync(db, KnownLog.Now, "migrate")).ExitCode);

        // Another import of this content holds its lock.
        await using NpgsqlDataSource dataSource = NpgsqlDataSource.Create(db);
        await using (IAsyncDisposable other = await new ImportFileCheckpoint(KnownSha256).TryLockAsync(dataSource, CancellationToken.None) ?? throw new InvalidOperationException("lock not taken"))
        {
            InvalidOperationException refused = await Assert.ThrowsAsync<InvalidOperationException>(() => CliRunner.RunAsync(db, KnownLog.Now, "import", file));
            Assert.Equal($"{file}: another xraysink import of the same content is running", refused.Message);
            Assert.Equal(0L, await Database.ScalarAsync<long>(db, "SELECT count(*) FROM logs"));
        }

        Assert.Equal(0, (await CliRunner.RunAsync(db, KnownLog.Now, "import", file)).ExitCode);
        Assert.Equal((long)KnownLog.Rows, await Database.ScalarAsync<long>(db, "SELECT count(*) FROM logs"));
    }

    [Fact]
    public async Task A_line_timed_only_by_a_year_less_header_takes_its_year_from_the_files_modification_time()
    {
        string db = await server.CreateDatabaseAsync();
        string file = Track(CliRunner.WriteTempFile("Dec 31 23:30:00 node-1 xray[812]: from 10.0.0.1:40000 accepted tcp:a.example:443 [in >> out]\n"));
        File.SetLastWriteTimeUtc(file, new DateTime(2024, 1, 2, 8, 0, 0, DateTimeKind.Utc));

        Assert.Equal(0, (await CliRunner.RunAsync(db, KnownLog.Now, "import", file)).ExitCode);
        Assert.Equal(new DateTime(2023, 12, 31, 23, 30, 0, DateTimeKind.Utc), await Database.ScalarAsync<DateTime>(db, "SELECT \"timestamp\" FROM logs"));
    }

    [Fact]
    public async Task A_missing_file_imports_nothing()
    {
        string db = await server.CreateDatabaseAsync();
        string file = Track(CliRunner.WriteTempFile(KnownLog.Text));
        CliRun result = await CliRunner.RunAsync(db, KnownLog.Now, "import", file, "/nonexistent/access.log");
        Assert.Equal(1, result.ExitCode);
        Assert.Equal("xraysink import: /nonexistent/access.log: no such file\n", result.Error);
        Assert.Equal(string.Empty, result.Out);
    }

    public void Dispose()
    {
        foreach (string file in _files)
        {
            File.Delete(file);
        }
    }

    /// <summary>Distinct lines told apart by source port 1…N, all on 2025-11-17.</summary>
    private static string ManyLines(int count)
    {
        var text = new StringBuilder();
        for (int port = 1; port <= count; port++)
        {
            text.Append(System.Globalization.CultureInfo.InvariantCulture, $"2025/11/17 10:{port / 60 % 60:00}:{port % 60:00}.000000 from 10.0.0.1:{port} accepted tcp:host{port % 7}.example:443 [in >> out] email: user{port % 5}@example.com\n");
        }

        return text.ToString();
    }

    private static string WithoutRate(string output) =>
        System.Text.RegularExpressions.Regex.Replace(output, "  rate +[^\n]*\n", string.Empty);

    private static string WriteGzip(string text, string extension)
    {
        string path = Path.Combine(Path.GetTempPath(), $"xraysink-cli-test-{Guid.NewGuid():N}{extension}");
        using FileStream file = File.Create(path);
        using var gzip = new GZipStream(file, CompressionLevel.Optimal);
        gzip.Write(Encoding.UTF8.GetBytes(text));
        return path;
    }

    private string Track(string path)
    {
        _files.Add(path);
        return path;
    }
}
