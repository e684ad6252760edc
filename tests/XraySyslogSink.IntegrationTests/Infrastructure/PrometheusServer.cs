using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;

namespace XraySyslogSink.IntegrationTests.Infrastructure;

/// <summary>
/// A private Prometheus (the Debian package's binary) on a free loopback port with a temporary configuration and
/// data directory: scrapes one target every second in job <c>xraysink</c> and evaluates the given rule files every second.
/// </summary>
public sealed class PrometheusServer : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly string _directory;
    private readonly HttpClient _http;

    private PrometheusServer(string directory, int port, IEnumerable<string> arguments)
    {
        _directory = directory;
        Port = port;
        _http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromSeconds(10) };
        _process = ExternalTool.Start(ExternalTool.Find("prometheus", "prometheus"), arguments, _output);
    }

    public int Port { get; }

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public static async Task<PrometheusServer> StartAsync(string target, IReadOnlyList<string> ruleFiles)
    {
        string directory = Directory.CreateTempSubdirectory("xraysink-prometheus-").FullName;
        string configuration = Path.Combine(directory, "prometheus.yml");
        var text = new StringBuilder();
        text.Append("global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n");
        text.Append("rule_files:\n");
        foreach (string file in ruleFiles)
        {
            text.Append(CultureInfo.InvariantCulture, $"  - \"{file}\"\n");
        }

        text.Append(CultureInfo.InvariantCulture, $"scrape_configs:\n  - job_name: xraysink\n    static_configs:\n      - targets: [\"{target}\"]\n");
        await File.WriteAllTextAsync(configuration, text.ToString());

        int port = LoggedDaemon.FreeTcpPort();
        var prometheus = new PrometheusServer(directory, port,
        [
            "--config.file=" + configuration,
            "--storage.tsdb.path=" + Path.Combine(directory, "data"),
            "--storage.tsdb.retention.time=1h",
            "--web.listen-address=127.0.0.1:" + port.ToString(CultureInfo.InvariantCulture),
        ]);
        await prometheus.WaitUntilReadyAsync();
        return prometheus;
    }

    /// <summary>The <c>data.result</c> array of an instant query (throws with Prometheus' error on a bad query).</summary>
    public async Task<JsonElement> QueryAsync(string promql)
    {
        using HttpResponseMessage response = await _http.GetAsync("api/v1/query?query=" + Uri.EscapeDataString(promql));
        string body = await response.Content.ReadAsStringAsync();
        if (response.StatusCode != HttpStatusCode.OK)
        {
            throw new InvalidOperationException($"Prometheus rejected {promql}: {body}");
        }

        using JsonDocument document = JsonDocument.Parse(body);
        return document.RootElement.GetProperty("data").GetProperty("result").Clone();
    }

    /// <summary>GET of an API path, parsed.</summary>
    public async Task<JsonElement> GetAsync(string path)
    {
        string body = await _http.GetStringAsync(path);
        using JsonDocument document = JsonDocument.Parse(body);
        return document.RootElement.GetProperty("data").Clone();
    }

    public void Dispose()
    {
        ExternalTool.Stop(_process);
        _http.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    private async Task WaitUntilReadyAsync()
    {
        DateTime deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"prometheus exited with {_process.ExitCode}:\n{Output}");
            }

            try
            {
                using HttpResponseMessage response = await _http.GetAsync("-/ready");
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }

            await Task.Delay(200);
        }

        throw new TimeoutException($"prometheus was not ready within 30 s:\n{Output}");
    }
}
