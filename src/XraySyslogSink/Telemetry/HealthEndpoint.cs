using System.Net;
using System.Text;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace XraySyslogSink.Telemetry;

/// <summary>
/// <c>GET /healthz</c> on the metrics port: 200 with <c>ready</c> when <see cref="SinkHealth"/> says so, else 503 with
/// <c>not ready: reason</c>; the following lines show every check. For load balancers and <c>curl -f</c> probes.
/// </summary>
internal sealed partial class HealthEndpoint : IHostedService, IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly SinkHealth _health;
    private readonly ILogger<HealthEndpoint> _logger;
    private readonly CancellationTokenSource _stopping = new();
    private Task _loop = Task.CompletedTask;

    private readonly string _prefix;

    /// <param name="prefix">The metrics endpoint's HttpListener prefix, e.g. <c>http://127.0.0.1:9464/</c>.</param>
    public HealthEndpoint(string prefix, SinkHealth health, ILogger<HealthEndpoint> logger)
    {
        _prefix = prefix;
        _listener.Prefixes.Add(prefix + "healthz/");
        _health = health;
        _logger = logger;
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            _listener.Start();
        }
        catch (HttpListenerException ex)
        {
            throw new InvalidOperationException($"Metrics:Listen: cannot serve /healthz on {_prefix}: {ex.Message}", ex);
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
        _listener.Close();
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
