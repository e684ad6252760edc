using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using XraySyslogSink.IntegrationTests.Infrastructure;

namespace XraySyslogSink.IntegrationTests.Operations;

/// <summary>A metrics port that is already taken stops the start with one message naming the setting.</summary>
public sealed class MetricsPortTests
{
    [Fact]
    public void A_taken_metrics_port_stops_the_start_naming_metrics_listen()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        int port = ((IPEndPoint)taken.LocalEndpoint).Port;

        using Process daemon = DaemonProcess.Start("--ConnectionStrings:Postgres=Host=127.0.0.1;Port=1", "--Listeners:Udp=", "--Listeners:Tcp=", $"--Metrics:Listen=127.0.0.1:{port}");
        Assert.True(daemon.WaitForExit(TimeSpan.FromSeconds(60)), "the daemon should give up at once");
        string error = daemon.StandardError.ReadToEnd();

        Assert.Equal(1, daemon.ExitCode);
        Assert.Equal($"xraysink: Metrics:Listen: cannot serve http://127.0.0.1:{port}/metrics and /healthz: Address already in use", error.Trim());
    }
}
