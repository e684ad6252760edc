using System.Net;
using System.Text;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Metrics;

namespace XraySyslogSink.Telemetry;

/// <summary>
/// The HTTP side of <c>Metrics:Listen</c>: the OpenTelemetry meter provider whose Prometheus exporter serves
/// <c>/metrics</c>, and <c>GET /healthz</c> on the same port: 200 with <c>ready</c> when the <see cref="IReadinessProbe"/> says
/// so, else 503 with <c>not ready: reason</c>; the following lines show every check (for load balancers and
/// <c>curl -f</c> probes). Started before the database is awaited, so a booting collector already answers 503.
/// </summary>
internal sealed partial class MetricsServer : IHostedService, IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly string _prefix;
    private readonly int _port;
    private readonly IReadinessProbe _health;
    private readonly ILogger<MetricsServer> _logger;
    private readonly TimeSpan _flushInterval;
    private readonly CancellationTokenSource _stopping = new();
    private MeterProvider? _meterProvider;
    private bool _listening;
    private Task _loop = Task.CompletedTask;

    /// <param name="prefix">The HttpListener prefix of the endpoint, e.g. <c>http://127.0.0.1:9464/</c>.</param>
    /// <param name="flushInterval"><c>Writer:FlushInterval</c>, around which the commit latency buckets lie.</param>
    public MetricsServer(string prefix, int port, IReadinessProbe health, ILogger<MetricsServer> logger, TimeSpan flushInterval)
    {
        _flushInterval = flushInterval;
        _prefix = prefix;
        _port = port;
        _listener.Prefixes.Add(prefix + "healthz/");
        _health = health;
        _logger = logger;
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            _meterProvider = MetricsEndpoint.ConfigureMetrics(Sdk.CreateMeterProviderBuilder(), _flushInterval)
                .AddPrometheusHttpListener(exporter =>
                {
                    exporter.Port = _port;
                    exporter.ConfigureHttpListener = (_, listener) =>
                    {
                        listener.Prefixes.Clear();
                        listener.Prefixes.Add(_prefix + "metrics/");
                    };
                })
                .Build();
            _listener.Start();
            _listening = true;
        }
        catch (Exception ex) when (ex is HttpListenerException or InvalidOperationException)
        {
            _meterProvider?.Dispose();
            _meterProvider = null;
            throw new InvalidOperationException($"Metrics:Listen: cannot serve {_prefix}metrics and /healthz: {(ex.InnerException ?? ex).Message}", ex);
        }

        LogListening(_prefix);
        _loop = Task.Run(RunAsync, CancellationToken.None);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        if (_listener.IsListening)
        {
            _listener.Stop();
        }

        await _loop.WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    public void Dispose()
    {
        // Closing a listener that never started tries to bind its prefixes again (and throws when the port is taken).
        if (_listening)
        {
            _listener.Close();
        }

        _meterProvider?.Dispose();
        _stopping.Dispose();
    }

    private async Task RunAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            try
            {
                await RespondAsync(context);
            }
            catch (Exception ex) when (ex is HttpListenerException or IOException or ObjectDisposedException or OperationCanceledException)
            {
                LogResponseFailed(ex.Message);
            }
        }
    }

    private async Task RespondAsync(HttpListenerContext context)
    {
        using HttpListenerResponse response = context.Response;
        HealthReport report = await _health.CheckAsync(_stopping.Token);
        byte[] body = Encoding.UTF8.GetBytes(report.Text);
        response.StatusCode = report.Ready ? (int)HttpStatusCode.OK : (int)HttpStatusCode.ServiceUnavailable;
        response.ContentType = "text/plain; charset=utf-8";
        response.Headers["Cache-Control"] = "no-store";
        response.ContentLength64 = body.Length;
        if (context.Request.HttpMethod != "HEAD")
        {
            await response.OutputStream.WriteAsync(body, _stopping.Token);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Serving /metrics and /healthz on {Prefix}")]
    private partial void LogListening(string prefix);

    [LoggerMessage(Level = LogLevel.Debug, Message = "A /healthz response failed: {Error}")]
    private partial void LogResponseFailed(string error);
}
