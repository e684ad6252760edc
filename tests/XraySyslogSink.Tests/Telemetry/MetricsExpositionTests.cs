using System.Text.Json;
using System.Text.RegularExpressions;

namespace XraySyslogSink.Tests.Telemetry;

/// <summary>What /metrics shows: every instrument of the meter, the dashboard's queries and the list in docs/operations.md all agree with it.</summary>
[Collection(MeterProviderCollection.Name)]
public sealed partial class MetricsExpositionTests
{
    private static readonly HashSet<string> PromQlKeywords = new(StringComparer.Ordinal) { "by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and", "or", "unless", "offset", "inf", "nan" };

    [Fact]
    public async Task Every_instrument_of_the_meter_is_one_family_with_counters_as_total_and_histograms_with_buckets()
    {
        string exposition = await PrometheusScrape.ScrapeAllInstrumentsAsync();
        Dictionary<string, string> sinkFamilies = PrometheusScrape.Families(exposition)
            .Where(f => f.Key.StartsWith("xraysink_", StringComparison.Ordinal))
            .ToDictionary(f => f.Key, f => f.Value);

        Assert.Equal(PrometheusScrape.InstrumentNames().Count, sinkFamilies.Count);
        Assert.Equal("counter", sinkFamilies["xraysink_lines_parsed_total"]);
        Assert.Equal("counter", sinkFamilies["xraysink_bytes_received_bytes_total"]);
        Assert.Equal("histogram", sinkFamilies["xraysink_flush_duration_seconds"]);
        Assert.Equal("gauge", sinkFamilies["xraysink_queue_depth"]);
        Assert.Contains("xraysink_flush_duration_seconds_bucket{otel_scope_name=\"XraySyslogSink\",le=\"0.025\"} ", exposition, StringComparison.Ordinal);
        Assert.Equal("histogram", sinkFamilies["xraysink_rows_commit_latency_seconds"]);
        Assert.Contains("xraysink_rows_commit_latency_seconds_bucket{otel_scope_name=\"XraySyslogSink\",le=\"1.25\"} ", exposition, StringComparison.Ordinal);
        Assert.Contains("xraysink_lines_dead_lettered_total{otel_scope_name=\"XraySyslogSink\",reason=\"no timestamp\"} ", exposition, StringComparison.Ordinal);
        Assert.Contains("xraysink_messages_received_total{otel_scope_name=\"XraySyslogSink\",transport=\"tcp\"} ", exposition, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Process_and_runtime_metrics_are_exported()
    {
        HashSet<string> names = PrometheusScrape.SampleNames(await PrometheusScrape.ScrapeAllInstrumentsAsync());

        Assert.Contains("process_memory_usage_bytes", names);
        Assert.Contains("process_cpu_time_seconds_total", names);
        Assert.Contains("process_unix_file_descriptor_count", names);
        Assert.Contains("dotnet_gc_collections_total", names);
        Assert.Contains("dotnet_gc_last_collection_heap_size_bytes", names);
    }

    [Fact]
    public async Task Every_metric_the_dashboard_queries_is_exported()
    {
        HashSet<string> exported = PrometheusScrape.SampleNames(await PrometheusScrape.ScrapeAllInstrumentsAsync());
        List<string> queries = DashboardQueries();
        Assert.True(queries.Count >= 20, $"the dashboard should query the metrics, found {queries.Count} expressions");

        var queried = new HashSet<string>(StringComparer.Ordinal);
        foreach (string query in queries)
        {
            queried.UnionWith(MetricNames(query));
        }

        Assert.Equal([], queried.Where(name => !exported.Contains(name)).ToArray());
        Assert.Contains("xraysink_flush_duration_seconds_bucket", queried);
        Assert.Contains("process_memory_usage_bytes", queried);
    }

    [Fact]
    public async Task Operations_guide_lists_every_metric_family_of_the_meter()
    {
        string exposition = await PrometheusScrape.ScrapeAllInstrumentsAsync();
        string guide = await File.ReadAllTextAsync(Path.Combine(Repository.Root, "docs", "operations.md"));
        int start = guide.IndexOf("\n## Metrics", StringComparison.Ordinal);
        Assert.True(start >= 0, "docs/operations.md has a Metrics section");
        int end = guide.IndexOf("\n## ", start + 5, StringComparison.Ordinal);
        string section = guide[start..(end < 0 ? guide.Length : end)];

        Assert.Equal([], PrometheusScrape.Families(exposition).Keys
            .Where(name => name.StartsWith("xraysink_", StringComparison.Ordinal) && !section.Contains($"`{name}`", StringComparison.Ordinal)).ToArray());
    }

    [Theory]
    [InlineData("sum by (le) (rate(xraysink_flush_duration_seconds_bucket{instance=~\"$instance\"}[$__rate_interval]))", "xraysink_flush_duration_seconds_bucket")]
    [InlineData("histogram_quantile(0.95, sum by (le, job) (rate(a_b_bucket[5m])))", "a_b_bucket")]
    [InlineData("sum(rate(x_sum[1m])) / sum(rate(x_count[1m]))", "x_sum x_count")]
    [InlineData("label_values(xraysink_spool_bytes, instance)", "xraysink_spool_bytes")]
    [InlineData("process_memory_usage_bytes{instance=~\"$instance\"}", "process_memory_usage_bytes")]
    public void Metric_names_are_read_out_of_promql(string query, string expected)
    {
        Assert.Equal(expected.Split(' ').Order(StringComparer.Ordinal), MetricNames(query).Order(StringComparer.Ordinal));
    }

    /// <summary>Every <c>expr</c> of every panel, and the templating queries.</summary>
    private static List<string> DashboardQueries()
    {
        using JsonDocument dashboard = JsonDocument.Parse(File.ReadAllText(Path.Combine(Repository.Root, "config", "grafana", "xraysink-dashboard.json")));
        var queries = new List<string>();
        Collect(dashboard.RootElement, queries);
        return queries;

        static void Collect(JsonElement element, List<string> queries)
        {
            switch (element.ValueKind)
            {
                case JsonValueKind.Object:
                    foreach (JsonProperty property in element.EnumerateObject())
                    {
                        if (property.Value.ValueKind == JsonValueKind.String && (property.Name == "expr" || (property.Name is "query" or "definition" && property.Value.GetString()!.StartsWith("label_values(", StringComparison.Ordinal))))
                        {
                            queries.Add(property.Value.GetString()!);
                        }
                        else
                        {
                            Collect(property.Value, queries);
                        }
                    }

                    break;
                case JsonValueKind.Array:
                    foreach (JsonElement item in element.EnumerateArray())
                    {
                        Collect(item, queries);
                    }

                    break;
            }
        }
    }

    /// <summary>The metric names in a PromQL expression: identifiers that are not functions, keywords, labels or variables.</summary>
    private static HashSet<string> MetricNames(string query)
    {
        if (query.StartsWith("label_values(", StringComparison.Ordinal))
        {
            query = query["label_values(".Length..query.IndexOf(',', StringComparison.Ordinal)];
        }

        string stripped = LabelMatchers().Replace(query, " ");
        stripped = RangeSelectors().Replace(stripped, " ");
        stripped = Groupings().Replace(stripped, " ");
        stripped = Variables().Replace(stripped, " ");
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (Match match in Identifiers().Matches(stripped))
        {
            if (!match.Groups["call"].Success && !PromQlKeywords.Contains(match.Groups["name"].Value))
            {
                names.Add(match.Groups["name"].Value);
            }
        }

        return names;
    }

    [GeneratedRegex("\\{[^}]*\\}")]
    private static partial Regex LabelMatchers();

    [GeneratedRegex("\\[[^\\]]*\\]")]
    private static partial Regex RangeSelectors();

    [GeneratedRegex("\\b(by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)")]
    private static partial Regex Groupings();

    [GeneratedRegex("\\$\\w+")]
    private static partial Regex Variables();

    [GeneratedRegex("(?<![\\w.])(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(?<call>\\s*\\()?")]
    private static partial Regex Identifiers();
}
