using XraySyslogSink.Cli;
using XraySyslogSink.IntegrationTests.Infrastructure;

namespace XraySyslogSink.IntegrationTests.Cli;

/// <summary>Every report over <see cref="KnownLog"/>, imported through the real store, compared as whole text.</summary>
[Collection(PostgresCollection.Name)]
public sealed class ReportCommandTests(PostgresServer server)
{
    private static readonly SemaphoreSlim Loading = new(1, 1);
    private static string? _database;

    public static TheoryData<string, string> Tables => new()
    {
        {
            "sessions", """
            email              session  started_at           ended_at             duration  connections  source_ips  endpoints
            -----------------  -------  -------------------  -------------------  --------  -----------  ----------  ---------
            alice@example.com        1  2025-11-17 08:00:00  2025-11-17 08:10:00  00:10:00            3           1          3
            alice@example.com        2  2025-11-17 09:30:00  2025-11-17 09:45:00  00:15:00            2           1          2
            bob@example.com          1  2025-11-17 08:20:00  2025-11-17 08:40:00  00:20:00            2           1          2
            bob@example.com          2  2025-11-17 10:05:00  2025-11-17 10:05:00  00:00:00            1           1          1
            carol@example.com        1  2025-11-17 10:00:00  2025-11-17 10:02:00  00:02:00            2           1          2
            (5 rows)

            """
        },
        {
            "activity", """
            email              period_start         connections  endpoints  source_ips
            -----------------  -------------------  -----------  ---------  ----------
            alice@example.com  2025-11-17 08:00:00            3          3           1
            alice@example.com  2025-11-17 09:00:00            2          2           1
            bob@example.com    2025-11-17 08:00:00            2          2           1
            bob@example.com    2025-11-17 10:00:00            1          1           1
            carol@example.com  2025-11-17 10:00:00            2          2           1
            (5 rows)

            """
        },
        { "top-endpoints", KnownLog.TopEndpoints },
        {
            "top-protocols", """
            protocol  connections  users  percent
            --------  -----------  -----  -------
            tcp                 8      3    72.73
            udp                 2      2    18.18
                                1      0     9.09
            (3 rows)

            """
        },
        {
            "routes", """
            inbound    outbound  connections  rejected  users  endpoints
            ---------  --------  -----------  --------  -----  ---------
            trojan-in  direct              4         0      2          3
            vless-in   direct              3         0      1          3
            vless-in   proxy-de            2         0      1          2
            trojan-in  block               1         0      1          1
                                           1         1      0          0
            (5 rows)

            """
        },
        {
            "ips-per-user", """
            email              source_ips  connections  first_seen           last_seen            ips
            -----------------  ----------  -----------  -------------------  -------------------  --------------------------
            alice@example.com           2            5  2025-11-17 08:00:00  2025-11-17 09:45:00  198.51.100.7, 203.0.113.10
            bob@example.com             1            3  2025-11-17 08:20:00  2025-11-17 10:05:00  203.0.113.10
            carol@example.com           1            2  2025-11-17 10:00:00  2025-11-17 10:02:00  192.0.2.55
            (3 rows)

            """
        },
        {
            "users-per-ip", """
            source_ip     users  connections  first_seen           last_seen            emails
            ------------  -----  -----------  -------------------  -------------------  ----------------------------------
            203.0.113.10      2            6  2025-11-17 08:00:00  2025-11-17 10:05:00  alice@example.com, bob@example.com
            192.0.2.55        1            3  2025-11-17 10:00:00  2025-11-17 10:03:00  carol@example.com
            198.51.100.7      1            2  2025-11-17 09:30:00  2025-11-17 09:45:00  alice@example.com
            (3 rows)

            """
        },
    };

    [Theory]
    [MemberData(nameof(Tables))]
    public async Task Each_report_prints_its_exact_table(string report, string expected)
    {
        CliRun result = await ReportAsync(report);
        Assert.Equal(string.Empty, result.Error);
        Assert.Equal(0, result.ExitCode);
        Assert.Equal(expected, result.Out);
    }

    [Fact]
    public async Task Sessions_with_a_shorter_gap_for_one_user_as_csv()
    {
        CliRun result = await ReportAsync("sessions", "--gap", "10m", "--user", "alice@example.com", "--format", "csv");
        Assert.Equal(
            """
            email,session,started_at,ended_at,duration,connections,source_ips,endpoints
            alice@example.com,1,2025-11-17T08:00:00Z,2025-11-17T08:10:00Z,00:10:00,3,1,3
            alice@example.com,2,2025-11-17T09:30:00Z,2025-11-17T09:30:00Z,00:00:00,1,1,1
            alice@example.com,3,2025-11-17T09:45:00Z,2025-11-17T09:45:00Z,00:00:00,1,1,1

            """,
            result.Out);
    }

    [Fact]
    public async Task Users_per_ip_as_csv_quotes_lists_and_as_json_keeps_numbers_and_nulls()
    {
        CliRun csv = await ReportAsync("users-per-ip", "--limit", "1", "--format", "csv");
        Assert.Equal(
            """
            source_ip,users,connections,first_seen,last_seen,emails
            203.0.113.10,2,6,2025-11-17T08:00:00Z,2025-11-17T10:05:00Z,"alice@example.com, bob@example.com"

            """,
            csv.Out);

        CliRun json = await ReportAsync("top-protocols", "--format", "json");
        Assert.Equal(
            """
            [
              {
                "protocol": "tcp",
                "connections": 8,
                "users": 3,
                "percent": 72.73
              },
              {
                "protocol": "udp",
                "connections": 2,
                "users": 2,
                "percent": 18.18
              },
              {
                "protocol": null,
                "connections": 1,
                "users": 0,
                "percent": 9.09
              }
            ]

            """,
            json.Out);
    }

    [Fact]
    public async Task Activity_per_day_and_a_range_that_excludes_everything()
    {
        CliRun daily = await ReportAsync("activity", "--bucket", "1d", "--user", "bob@example.com", "--format", "json");
        Assert.Equal(
            """
            [
              {
                "email": "bob@example.com",
                "period_start": "2025-11-17T00:00:00Z",
                "connections": 3,
                "endpoints": 2,
                "source_ips": 1
              }
            ]

            """,
            daily.Out);

        CliRun none = await CliRunner.RunAsync(await LoadedAsync(), KnownLog.Now, "report", "top-endpoints", "--from", "2025-11-18", "--to", "2025-11-18T12:00:00Z");
        Assert.Equal("endpoint  connections  users  first_seen  last_seen\n--------  -----------  -----  ----------  ---------\n(0 rows)\n", none.Out);
    }

    [Theory]
    [InlineData("nope", "unknown report 'nope' (one of sessions, activity, top-endpoints, top-protocols, routes, ips-per-user, users-per-ip, nodes, node-traffic, shared-accounts)")]
    [InlineData("routes --gap 5m", "--gap applies to the sessions report")]
    [InlineData("routes --from 2025-11-18 --to 2025-11-17", "--from 2025-11-18 00:00:00 is not before --to 2025-11-18 00:00:00")]
    [InlineData("routes --limit -1", "--limit must be a whole number from 0 to 2147483647 (got '-1')")]
    public async Task Bad_arguments_are_usage_errors(string args, string message)
    {
        CliRun result = await CliRunner.RunAsync(await LoadedAsync(), KnownLog.Now, ["report", .. args.Split(' ')]);
        Assert.Equal(2, result.ExitCode);
        Assert.StartsWith($"xraysink report: {message}\n", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Every_report_function_scans_only_the_partitions_of_its_range()
    {
        await using var dataSource = Npgsql.NpgsqlDataSource.Create(await LoadedAsync());
        foreach ((ReportCommand.Report report, string? node) in ReportCommand.Reports.SelectMany(r => new[] { (r, (string?)null), (r, "node-a") }))
        {
            // Bound as the command binds them, so the plan is the one a report run gets (with and without --node).
            var query = new ReportQuery(
                new DateTime(2025, 11, 17, 0, 0, 0, DateTimeKind.Utc), new DateTime(2025, 11, 18, 0, 0, 0, DateTimeKind.Utc),
                report.Name == "users-per-ip" ? "bob@example.com" : null, node, Limit: 0);
            (string sql, List<Npgsql.NpgsqlParameter> parameters) = query.Call(report);
            await using Npgsql.NpgsqlCommand explain = dataSource.CreateCommand("EXPLAIN (COSTS OFF) " + sql);
            explain.Parameters.AddRange(parameters.ToArray());
            var plan = new System.Text.StringBuilder();
            await using (Npgsql.NpgsqlDataReader reader = await explain.ExecuteReaderAsync())
            {
                while (await reader.ReadAsync())
                {
                    plan.Append(reader.GetString(0)).Append('\n');
                }
            }

            string text = plan.ToString();
            Assert.Contains("logs_2025_11_17", text, StringComparison.Ordinal);
            Assert.DoesNotContain("logs_2025_11_16", text, StringComparison.Ordinal);
            Assert.DoesNotContain("logs_2025_11_18", text, StringComparison.Ordinal);
            Assert.DoesNotContain("Function Scan", text, StringComparison.Ordinal);
        }
    }

    private async Task<CliRun> ReportAsync(string report, params string[] args) =>
        await CliRunner.RunAsync(await LoadedAsync(), KnownLog.Now, ["report", report, "--from", "2025-11-17", "--to", "2025-11-17", .. args]);

    /// <summary>One database with <see cref="KnownLog"/> imported through the CLI, shared by these tests.</summary>
    private async Task<string> LoadedAsync()
    {
        await Loading.WaitAsync();
        try
        {
            if (_database is null)
            {
                string db = await server.CreateDatabaseAsync();

                // Neighbouring days exist (empty), so that partition pruning is visible in the plans.
                Assert.Equal(0, (await CliRunner.RunAsync(db, KnownLog.Now, "migrate", "--from", "2025-11-16", "--to", "2025-11-18")).ExitCode);
                string file = CliRunner.WriteTempFile(KnownLog.Text);
                try
                {
                    CliRun import = await CliRunner.RunAsync(db, KnownLog.Now, "import", file);
                    Assert.Equal(0, import.ExitCode);
                }
                finally
                {
                    File.Delete(file);
                }

                _database = db;
            }

            return _database;
        }
        finally
        {
            Loading.Release();
        }
    }
}
