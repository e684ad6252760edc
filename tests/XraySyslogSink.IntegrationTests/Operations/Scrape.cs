using System.Globalization;
using System.Net;

namespace XraySyslogSink.IntegrationTests.Operations;

/// <summary>Reads a running daemon's <c>/metrics</c> (samples by name and labels) and <c>/healthz</c>.</summary>
internal sealed class Scrape : IDisposable
{
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(10) };

    public Scrape(int port) => BaseAddress = new Uri($"http://127.0.0.1:{port}/");

    public Uri BaseAddress { get; }

    /// <summary>
    /// Samples keyed <c>name</c> or <c>name{label="value",...}</c> in exposition order, without the
    /// <c>otel_scope_*</c> labels every sample of a meter carries.
    /// </summary>
    public async Task<Dictionary<string, double>> MetricsAsync()
    {
        string text = await _http.GetStringAsync(new Uri(BaseAddress, "metrics"));
        var samples = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (string line in text.Split('\n'))
        {
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            int valueAt = line.LastIndexOf(' ');
            string series = line[..valueAt];
            int brace = series.IndexOf('{', StringComparison.Ordinal);
            if (brace >= 0)
            {
                string name = series[..brace];
                string[] labels = [.. series[(brace + 1)..^1].Split(',').Where(l => l.Length > 0 && !l.StartsWith("otel_scope_", StringComparison.Ordinal))];
                series = labels.Length == 0 ? name : $"{name}{{{string.Join(',', labels)}}}";
            }

            samples[series] = double.Parse(line[(valueAt + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture);
        }

        return samples;
    }

    /// <summary>Scrapes until <paramref name="series"/> has <paramref name="expected"/> (the exporter caches a scrape for 300 ms).</summary>
    public async Task<Dictionary<string, double>> WaitForAsync(string series, double expected, TimeSpan? timeout = null)
    {
        DateTime deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        Dictionary<string, double> samples = await MetricsAsync();
        while ((!samples.TryGetValue(series, out double value) || value != expected) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(200);
            samples = await MetricsAsync();
        }

        return samples;
    }

    public async Task<(HttpStatusCode Status, string Body)> HealthAsync()
    {
        using HttpResponseMessage response = await _http.GetAsync(new Uri(BaseAddress, "healthz"));
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    /// <summary>Asks <c>/healthz</c> until it answers <paramref name="status"/> (the database probe is cached for a few seconds).</summary>
    public async Task<(HttpStatusCode Status, string Body)> WaitForHealthAsync(HttpStatusCode status, TimeSpan timeout)
    {
        DateTime deadline = DateTime.UtcNow + timeout;
        (HttpStatusCode Status, string Body) health = await HealthAsync();
        while (health.Status != status && DateTime.UtcNow < deadline)
        {
            await Task.Delay(250);
            health = await HealthAsync();
        }

        return health;
    }

    public void Dispose() => _http.Dispose();
}
