using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using XraySyslogSink.IntegrationTests.Infrastructure;
using XraySyslogSink.IntegrationTests.Spool;
using Xunit.Abstractions;

namespace XraySyslogSink.IntegrationTests.Operations;

/// <summary>
/// A real Prometheus scrapes a running daemon and evaluates the shipped rules: every query of the shipped Grafana
/// dashboard and every rule expression returns data through the HTTP API, so none of them names a series the
/// daemon does not export.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed partial class PrometheusScrapeTests(PostgresServer postgres, ITestOutputHelper output)
{
    [Fact]
    public async Task Every_dashboard_query_and_every_rule_expression_returns_data_from_a_scraped_daemon()
    {
        string database = await postgres.CreateDatabaseAsync();
        int metricsPort = LoggedDaemon.FreeTcpPort();
        int relpPort = LoggedDaemon.FreeTcpPort();
        int udpPort = FreeUdpPort();
        string spool = DaemonProcess.NewSpoolDirectory();
        try
        {
            using LoggedDaemon daemon = await LoggedDaemon.StartAsync(database, spool, LoggedDaemon.FreeTcpPort(),
                $"--Metrics:Listen=127.0.0.1:{metricsPort}", $"--Listeners:Relp=127.0.0.1:{relpPort}", $"--Listeners:Udp=127.0.0.1:{udpPort}",
                "--Writer:FlushInterval=00:00:00.200", "--Pipeline:DeadLettersPerSecond=1");
            string instance = $"127.0.0.1:{metricsPort}";
            using PrometheusServer prometheus = await PrometheusServer.StartAsync(instance, [ShippedAlertRulesTests.RulesFile]);

            await SendEveryKindOfTrafficAsync(daemon.Port, relpPort, udpPort);
            Assert.Equal(1001, await Database.WaitForCountAsync(database, "SELECT count(*) FROM logs", 1001));
            // A second batch meets the users and destinations of the first in the writer's cache (hits).
            await TestLines.SendAsync(new IPEndPoint(IPAddress.Loopback, daemon.Port), TestLines.Build(2001, 200));
            Assert.Equal(1201, await Database.WaitForCountAsync(database, "SELECT count(*) FROM logs", 1201));

            List<string> queries = [.. DashboardQueries().Select(query => query
                .Replace("$instance", instance, StringComparison.Ordinal)
                .Replace("$__rate_interval", "30s", StringComparison.Ordinal))];
            Assert.True(queries.Count >= 30, $"the dashboard should have its queries, found {queries.Count}");
            List<(string Name, string Query)> rules = await RuleQueriesAsync(prometheus);
            Assert.Equal(13, rules.Count);
            queries.AddRange(rules.Select(rule => AnyValue(rule.Query)));

            // Series appear one scrape after their first event; rates need two samples. Bounded at 60 s.
            List<string> empty = await EmptyQueriesAsync(prometheus, queries);
            DateTime deadline = DateTime.UtcNow.AddSeconds(60);
            while (empty.Count > 0 && DateTime.UtcNow < deadline)
            {
                await Task.Delay(1000);
                empty = await EmptyQueriesAsync(prometheus, empty);
            }

            Assert.True(empty.Count == 0, "queries without data:\n" + string.Join('\n', empty));
            JsonElement instances = await prometheus.GetAsync("api/v1/label/instance/values?match[]=xraysink_spool_bytes");
            Assert.Equal(instance, Assert.Single(instances.EnumerateArray()).GetString());
            await AssertEveryRuleEvaluatesAsync(prometheus);
            output.WriteLine($"{queries.Count} queries returned data ({rules.Count} rule expressions)");
        }
        finally
        {
            if (Directory.Exists(spool))
            {
                Directory.Delete(spool, recursive: true);
            }
        }
    }

    [Theory]
    [InlineData("up{job=\"xraysink\"} == 0", "up{job=\"xraysink\"} == bool 0")]
    [InlineData("sum(rate(a[10m])) == 0\nand sum(increase(a[6h])) > 0", "sum(rate(a[10m])) == bool 0\nand sum(increase(a[6h])) > bool 0")]
    [InlineData("max(a{s=~\"x\"} / b{s!=\"y\"}) >= 0.8", "max(a{s=~\"x\"} / b{s!=\"y\"}) >= bool 0.8")]
    [InlineData("a > bool 1", "a > bool 1")]
    public void A_rule_expression_becomes_one_that_returns_its_series_whatever_their_values(string expression, string expected)
    {
        Assert.Equal(expected, AnyValue(expression));
    }

    /// <summary>
    /// An alert expression with <c>bool</c> on each comparison: it returns 0 or 1 for every series the alert looks
    /// at instead of only the ones over their threshold, so it has data exactly when the series it names exist.
    /// </summary>
    private static string AnyValue(string expression)
    {
        var result = new StringBuilder(expression.Length + 16);
        int braces = 0;
        bool quoted = false;
        for (int i = 0; i < expression.Length; i++)
        {
            char c = expression[i];
            result.Append(c);
            if (quoted)
            {
                quoted = c != '"' || expression[i - 1] == '\\';
                continue;
            }

            switch (c)
            {
                case '"':
                    quoted = true;
                    continue;
                case '{':
                    braces++;
                    continue;
                case '}':
                    braces--;
                    continue;
            }

            if (braces > 0 || c is not ('>' or '<' or '=' or '!'))
            {
                continue;
            }

            if (i + 1 < expression.Length && expression[i + 1] == '=')
            {
                result.Append('=');
                i++;
            }
            else if (c is '=' or '!')
            {
                continue;
            }

            if (!expression.AsSpan(i + 1).TrimStart().StartsWith("bool ", StringComparison.Ordinal))
            {
                result.Append(" bool");
            }
        }

        return result.ToString();
    }

    private static async Task SendEveryKindOfTrafficAsync(int tcpPort, int relpPort, int udpPort)
    {
        var tcp = new IPEndPoint(IPAddress.Loopback, tcpPort);
        // Access lines (rows, cache hits and misses), dead letters over the 1-per-second cap (suppressed), skipped lines.
        byte[] payload =
        [
            .. TestLines.Build(1, 1000),
            .. Encoding.UTF8.GetBytes(
                "2025/08/24 18:40:36.000000 from CLIENT_IP:1 accepted tcp:a.example:443 [in >> out]\n" +
                "2025/08/24 18:40:37.000000 from 192.x.x.x:2 accepted tcp:a.example:443 [in >> out]\n" +
                "2025/08/24 18:40:38.000000 from 192.y.y.y:3 accepted tcp:a.example:443 [in >> out]\n" +
                "2025/11/17 10:00:00.000000 [Warning] app/dispatcher: default route for tcp:a.example:443\n" +
                new string('x', 9000) + "\n"),
        ];
        await TestLines.SendAsync(tcp, payload);
        // An octet-counted frame cut short by the sender (incomplete), a TLS ClientHello on the plain port (rejected).
        await SendAndCloseAsync(tcp, "500 <30>1 2025-11-17T10:00:00Z node xray - - - cut short"u8.ToArray());
        await SendAndCloseAsync(tcp, [0x16, 0x03, 0x01, 0x00, 0x05, 0x01, 0x00, 0x00, 0x01, 0x00]);
        // A RELP session that opens and then breaks the protocol (session opened, closed, frame rejected).
        await SendAndCloseAsync(new IPEndPoint(IPAddress.Loopback, relpPort), "1 open 30 relp_version=0\ncommands=syslog\nOPEN SESAME\n"u8.ToArray());
        using var udp = new UdpClient(AddressFamily.InterNetwork);
        await udp.SendAsync(TestLines.Build(5000, 1), new IPEndPoint(IPAddress.Loopback, udpPort));
    }

    private static async Task SendAndCloseAsync(IPEndPoint endPoint, byte[] bytes)
    {
        using var client = new TcpClient(AddressFamily.InterNetwork);
        await client.ConnectAsync(endPoint);
        NetworkStream stream = client.GetStream();
        await stream.WriteAsync(bytes);
        client.Client.Shutdown(SocketShutdown.Send);
        byte[] sink = new byte[256];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (await stream.ReadAsync(sink, timeout.Token) > 0)
        {
        }
    }

    private static async Task<List<string>> EmptyQueriesAsync(PrometheusServer prometheus, IEnumerable<string> queries)
    {
        var empty = new List<string>();
        foreach (string query in queries)
        {
            if ((await prometheus.QueryAsync(query)).GetArrayLength() == 0)
            {
                empty.Add(query);
            }
        }

        return empty;
    }

    private static async Task<List<(string Name, string Query)>> RuleQueriesAsync(PrometheusServer prometheus)
    {
        JsonElement data = await prometheus.GetAsync("api/v1/rules");
        return [.. data.GetProperty("groups").EnumerateArray()
            .SelectMany(group => group.GetProperty("rules").EnumerateArray())
            .Select(rule => (rule.GetProperty("name").GetString()!, rule.GetProperty("query").GetString()!))];
    }

    /// <summary>Prometheus has evaluated every rule without an error (health "ok", not "err" or "unknown").</summary>
    private static async Task AssertEveryRuleEvaluatesAsync(PrometheusServer prometheus)
    {
        DateTime deadline = DateTime.UtcNow.AddSeconds(15);
        List<string> unhealthy;
        do
        {
            JsonElement data = await prometheus.GetAsync("api/v1/rules");
            unhealthy = [.. data.GetProperty("groups").EnumerateArray()
                .SelectMany(group => group.GetProperty("rules").EnumerateArray())
                .Where(rule => rule.GetProperty("health").GetString() != "ok")
                .Select(rule => $"{rule.GetProperty("name").GetString()}: {rule.GetProperty("health").GetString()} {(rule.TryGetProperty("lastError", out JsonElement error) ? error.GetString() : "")}")];
            if (unhealthy.Count > 0)
            {
                await Task.Delay(500);
            }
        }
        while (unhealthy.Count > 0 && DateTime.UtcNow < deadline);

        Assert.True(unhealthy.Count == 0, string.Join('\n', unhealthy));
    }

    /// <summary>Every <c>expr</c> of every panel of config/grafana/xraysink-dashboard.json.</summary>
    private static List<string> DashboardQueries()
    {
        using JsonDocument dashboard = JsonDocument.Parse(File.ReadAllText(Path.Combine(Repository.Root, "config", "grafana", "xraysink-dashboard.json")));
        var queries = new List<string>();
        var pending = new Stack<JsonElement>([dashboard.RootElement]);
        while (pending.Count > 0)
        {
            JsonElement element = pending.Pop();
            if (element.ValueKind == JsonValueKind.Array)
            {
                foreach (JsonElement item in element.EnumerateArray())
                {
                    pending.Push(item);
                }
            }
            else if (element.ValueKind == JsonValueKind.Object)
            {
                foreach (JsonProperty property in element.EnumerateObject())
                {
                    if (property.Name == "expr" && property.Value.ValueKind == JsonValueKind.String)
                    {
                        queries.Add(property.Value.GetString()!);
                    }
                    else
                    {
                        pending.Push(property.Value);
                    }
                }
            }
        }

        return queries;
    }

    private static int FreeUdpPort()
    {
        using var probe = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)probe.Client.LocalEndPoint!).Port;
    }
}
