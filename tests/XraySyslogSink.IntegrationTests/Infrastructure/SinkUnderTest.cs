using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using XraySyslogSink.Hosting;
using XraySyslogSink.Listeners;
using XraySyslogSink.Telemetry;

namespace XraySyslogSink.IntegrationTests.Infrastructure;

/// <summary>
/// The daemon, built exactly as Program builds it, running in the test process with its listeners on
/// 127.0.0.1 ephemeral ports and its own fresh database.
/// </summary>
internal sealed class SinkUnderTest : IAsyncDisposable
{
    private readonly IHost _host;

    private SinkUnderTest(IHost host, string connectionString, string spoolDirectory)
    {
        _host = host;
        ConnectionString = connectionString;
        SpoolDirectory = spoolDirectory;
        ListenerSupervisor listeners = host.Services.GetRequiredService<ListenerSupervisor>();
        TcpEndPoint = listeners.TcpEndPoint!;
        UdpEndPoint = listeners.UdpEndPoint!;
        RelpEndPoint = listeners.RelpEndPoint;
        TlsEndPoint = listeners.TlsEndPoint;
        RelpTlsEndPoint = listeners.RelpTlsEndPoint;
    }

    /// <summary>The TLS listener, when the test turned it on with <c>--Listeners:Tls=127.0.0.1:0</c>.</summary>
    public IPEndPoint? TlsEndPoint { get; }

    /// <summary>The RELP-over-TLS listener, when the test turned it on with <c>--Listeners:RelpTls=127.0.0.1:0</c>.</summary>
    public IPEndPoint? RelpTlsEndPoint { get; }

    public string ConnectionString { get; }

    /// <summary>The spool directory in use: a fresh temporary one (deleted at dispose) unless the test passed <c>--Spool:Directory</c>.</summary>
    public string SpoolDirectory { get; }

    public IServiceProvider Services => _host.Services;

    public IPEndPoint TcpEndPoint { get; }

    public IPEndPoint UdpEndPoint { get; }

    /// <summary>The daemon's running totals (messages received, lines skipped, rows written…).</summary>
    public SinkMetrics Metrics => _host.Services.GetRequiredService<SinkMetrics>();

    /// <summary>The RELP listener, when the test turned it on with <c>--Listeners:Relp=127.0.0.1:0</c> (or a fixed port).</summary>
    public IPEndPoint? RelpEndPoint { get; }

    /// <summary>
    /// Starts the daemon on the database of <paramref name="connectionString"/> (a superuser's, kept in
    /// <see cref="ConnectionString"/> for assertions); the daemon itself connects as the least-privilege writer role.
    /// </summary>
    public static async Task<SinkUnderTest> StartAsync(string connectionString, params string[] extraArguments)
    {
        string writer = await DatabaseRoles.PrepareWriterAsync(connectionString);
        string spool = Path.Combine(Path.GetTempPath(), "xraysink-spool-" + Guid.NewGuid().ToString("N"));
        string[] args =
        [
            $"--ConnectionStrings:Postgres={writer}",
            $"--Spool:Directory={spool}",
            "--Listeners:Udp=127.0.0.1:0",
            "--Listeners:Tcp=127.0.0.1:0",
            "--Writer:FlushInterval=00:00:00.200",
            "--Metrics:Listen=",
            TestSettings.WideAcceptWindow,
            .. extraArguments,
        ];
        IHost host = SinkHost.Build(args, logging => logging.AddSimpleConsole().SetMinimumLevel(LogLevel.Warning));
        await host.StartAsync();
        return new SinkUnderTest(host, connectionString, host.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<XraySyslogSink.Spool.SpoolOptions>>().Value.Directory);
    }

    public Task StopAsync() => _host.StopAsync();

    public async ValueTask DisposeAsync()
    {
        await _host.StopAsync();
        _host.Dispose();
        if (SpoolDirectory.Contains("xraysink-spool-", StringComparison.Ordinal) && Directory.Exists(SpoolDirectory))
        {
            Directory.Delete(SpoolDirectory, recursive: true);
        }
    }

    /// <summary>Sends <paramref name="payload"/> over one TCP connection and closes it.</summary>
    public async Task SendTcpAsync(byte[] payload)
    {
        using var client = new TcpClient(AddressFamily.InterNetwork);
        await client.ConnectAsync(TcpEndPoint);
        NetworkStream stream = client.GetStream();
        await stream.WriteAsync(payload);
        await stream.FlushAsync();
        client.Client.Shutdown(SocketShutdown.Send);
    }

    public Task SendTcpOctetCountedAsync(params string[] messages)
    {
        var payload = new StringBuilder();
        foreach (string message in messages)
        {
            payload.Append(Encoding.UTF8.GetByteCount(message)).Append(' ').Append(message);
        }

        return SendTcpAsync(Encoding.UTF8.GetBytes(payload.ToString()));
    }

    public Task SendTcpLinesAsync(params string[] lines) =>
        SendTcpAsync(Encoding.UTF8.GetBytes(string.Join("\n", lines) + "\n"));

    public async Task SendUdpAsync(params string[] messages)
    {
        using var client = new UdpClient(AddressFamily.InterNetwork);
        foreach (string message in messages)
        {
            await client.SendAsync(Encoding.UTF8.GetBytes(message), UdpEndPoint);
        }
    }

    public Task<long> WaitForRowsAsync(long expected, TimeSpan? timeout = null) =>
        Database.WaitForCountAsync(ConnectionString, "SELECT count(*) FROM logs", expected, timeout);

    public Task<long> WaitForDeadLettersAsync(long expected, TimeSpan? timeout = null) =>
        Database.WaitForCountAsync(ConnectionString, "SELECT count(*) FROM dead_letters", expected, timeout);
}
