using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using XraySyslogSink.IntegrationTests.Infrastructure;

namespace XraySyslogSink.IntegrationTests.Operations;

/// <summary>
/// config/grafana/xraysink-analytics-dashboard.json: every panel's SQL and every query variable, with Grafana's
/// PostgreSQL macros expanded as Grafana expands them for a fixed range (2025-11-17, UTC) and the variables set, run
/// as <c>xraysink_reader</c> over a known day; its rows must be the expected ones and its plan must read only that
/// day's partition although the days around it exist.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed partial class GrafanaAnalyticsDashboardTests(PostgresServer postgres)
{
    private const string From = "2025-11-17T00:00:00Z";
    private const string To = "2025-11-17T23:59:59Z";
    private const int IntervalSeconds = 3600;

    // The dashboard's variables as a user would pick them.
    private static readonly Dictionary<string, string> Variables = new(StringComparer.Ordinal)
    {
        ["user"] = "alice@example.com",
        ["gap"] = "30 minutes",
    };

    // 08:00, 09:00 and 10:00 UTC on 2025-11-17 as Unix seconds: the time column of $__timeGroupAlias.
    private const string H08 = "1763366400";
    private const string H09 = "1763370000";
    private const string H10 = "1763373600";

    /// <summary>Per panel title (or "variable NAME"): the rows, columns joined by " | ".</summary>
    private static readonly Dictionary<string, string[]> Expected = new(StringComparer.Ordinal)
    {
        ["variable user"] = ["alice@example.com", "bob@example.com", "carol@example.com"],
        ["Connections"] = [$"{H08} | 5", $"{H09} | 2", $"{H10} | 4"],
        ["Active users"] = [$"{H08} | 2", $"{H09} | 1", $"{H10} | 2"],
        ["Connections by protocol"] = [$"{H08} | tcp | 4", $"{H08} | udp | 1", $"{H09} | tcp | 2", $"{H10} | (none) | 1", $"{H10} | tcp | 2", $"{H10} | udp | 1"],
        ["Connections by outbound tag"] = [$"{H08} | direct | 5", $"{H09} | proxy-de | 2", $"{H10} | (none) | 1", $"{H10} | block | 1", $"{H10} | direct | 2"],
        ["Connections by hour of day (UTC)"] = ["08 | 5", "09 | 2", "10 | 4"],
        ["Routes"] =
        [
            "trojan-in | direct | 4 | 0 | 2 | 3",
            "vless-in | direct | 3 | 0 | 1 | 3",
            "vless-in | proxy-de | 2 | 0 | 1 | 2",
            "trojan-in | block | 1 | 0 | 1 | 1",
            "NULL | NULL | 1 | 1 | 0 | 0",
        ],
        ["Top endpoints"] =
        [
            "www.example.com | 4 | 2 | 2025-11-17 08:00:00 | 2025-11-17 10:05:00",
            "api.example.com | 1 | 1 | 2025-11-17 08:05:00 | 2025-11-17 08:05:00",
            "blocked.example | 1 | 1 | 2025-11-17 10:00:00 | 2025-11-17 10:00:00",
            "dns.example.net | 1 | 1 | 2025-11-17 08:10:00 | 2025-11-17 08:10:00",
            "mail.example.com | 1 | 1 | 2025-11-17 08:40:00 | 2025-11-17 08:40:00",
            "time.example.net | 1 | 1 | 2025-11-17 10:02:00 | 2025-11-17 10:02:00",
            "video.example.org | 1 | 1 | 2025-11-17 09:45:00 | 2025-11-17 09:45:00",
        ],
        ["Protocols"] = ["tcp | 8 | 3 | 72.73", "udp | 2 | 2 | 18.18", "NULL | 1 | 0 | 9.09"],
        ["Top users"] =
        [
            "alice@example.com | 5 | 4 | 2 | 2025-11-17 08:00:00 | 2025-11-17 09:45:00",
            "bob@example.com | 3 | 2 | 1 | 2025-11-17 08:20:00 | 2025-11-17 10:05:00",
            "carol@example.com | 2 | 2 | 1 | 2025-11-17 10:00:00 | 2025-11-17 10:02:00",
        ],
        ["Source IPs per user"] =
        [
            "alice@example.com | 2 | 5 | 2025-11-17 08:00:00 | 2025-11-17 09:45:00 | 198.51.100.7, 203.0.113.10",
            "bob@example.com | 1 | 3 | 2025-11-17 08:20:00 | 2025-11-17 10:05:00 | 203.0.113.10",
            "carol@example.com | 1 | 2 | 2025-11-17 10:00:00 | 2025-11-17 10:02:00 | 192.0.2.55",
        ],
        ["Timeline of $user"] = [$"{H08} | 3", $"{H09} | 2"],
        ["Sessions of $user"] =
        [
            "alice@example.com | 1 | 2025-11-17 08:00:00 | 2025-11-17 08:10:00 | 00:10:00 | 3 | 1 | 3",
            "alice@example.com | 2 | 2025-11-17 09:30:00 | 2025-11-17 09:45:00 | 00:15:00 | 2 | 1 | 2",
        ],
    };

    public static TheoryData<string> Queries => new(Expected.Keys);

    [Fact]
    public void Every_query_of_the_dashboard_has_expected_rows_here_and_uses_the_reader_data_source()
    {
        JsonNode dashboard = Dashboard();
        Assert.Equal(Expected.Keys.Order(StringComparer.Ordinal), Sql(dashboard).Keys.Order(StringComparer.Ordinal));
        foreach (JsonNode panel in dashboard["panels"]!.AsArray().Select(p => p!).Where(p => (string?)p["type"] != "row"))
        {
            Assert.Equal("grafana-postgresql-datasource", (string?)panel["datasource"]?["type"]);
            Assert.Equal("${datasource}", (string?)panel["datasource"]?["uid"]);
        }
    }

    [Theory]
    [MemberData(nameof(Queries))]
    public async Task Each_query_returns_its_rows_as_the_reader_and_reads_only_the_ranges_partition(string query)
    {
        string reader = await ReaderQueries.KnownDayAsync(postgres);
        string sql = Expand(Sql(Dashboard())[query]);

        Assert.Equal(Expected[query], await ReaderQueries.RowsAsync(reader, sql));

        string plan = string.Join('\n', await ReaderQueries.RowsAsync(reader, "EXPLAIN (COSTS OFF) " + sql));
        Assert.Contains("logs_2025_11_17", plan, StringComparison.Ordinal);
        Assert.DoesNotContain("logs_2025_11_16", plan, StringComparison.Ordinal);
        Assert.DoesNotContain("logs_2025_11_18", plan, StringComparison.Ordinal);
    }

    /// <summary>
    /// Grafana's PostgreSQL macros as Grafana writes them out: <c>$__timeFilter(c)</c> is
    /// <c>c BETWEEN 'from' AND 'to'</c>, <c>$__timeFrom()</c>/<c>$__timeTo()</c> the quoted bounds,
    /// <c>$__timeGroupAlias(c, $__interval)</c> <c>floor(extract(epoch from c)/N)*N AS "time"</c>; <c>${name:sqlstring}</c>
    /// is the variable's value quoted as an SQL string.
    /// </summary>
    internal static string Expand(string sql)
    {
        string expanded = TimeGroupPattern().Replace(sql, m => string.Create(CultureInfo.InvariantCulture, $"floor(extract(epoch from {m.Groups["column"].Value})/{IntervalSeconds})*{IntervalSeconds} AS \"time\""));
        expanded = TimeFilterPattern().Replace(expanded, m => $"{m.Groups["column"].Value} BETWEEN '{From}' AND '{To}'");
        expanded = expanded.Replace("$__timeFrom()", $"'{From}'", StringComparison.Ordinal).Replace("$__timeTo()", $"'{To}'", StringComparison.Ordinal);
        expanded = SqlStringPattern().Replace(expanded, m => "'" + Variables[m.Groups["name"].Value].Replace("'", "''", StringComparison.Ordinal) + "'");
        Assert.DoesNotContain("$", expanded, StringComparison.Ordinal);
        return expanded;
    }

    private static JsonNode Dashboard() =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(Repository.Root, "config", "grafana", "xraysink-analytics-dashboard.json")))!;

    /// <summary>Every SQL of the dashboard: each panel's by its title, each query variable's as "variable NAME".</summary>
    private static Dictionary<string, string> Sql(JsonNode dashboard)
    {
        var sql = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (JsonNode variable in dashboard["templating"]!["list"]!.AsArray().Select(v => v!).Where(v => (string?)v["type"] == "query"))
        {
            sql.Add($"variable {(string)variable["name"]!}", (string)variable["query"]!);
        }

        foreach (JsonNode panel in dashboard["panels"]!.AsArray().Select(p => p!).Where(p => p["targets"] is not null))
        {
            JsonArray targets = panel["targets"]!.AsArray();
            Assert.Single(targets);
            sql.Add((string)panel["title"]!, (string)targets[0]!["rawSql"]!);
        }

        return sql;
    }

    [GeneratedRegex(@"\$__timeGroupAlias\((?<column>[^,]+),\s*\$__interval\)")]
    private static partial Regex TimeGroupPattern();

    [GeneratedRegex(@"\$__timeFilter\((?<column>[^)]+)\)")]
    private static partial Regex TimeFilterPattern();

    [GeneratedRegex(@"\$\{(?<name>[a-z_]+):sqlstring\}")]
    private static partial Regex SqlStringPattern();
}
