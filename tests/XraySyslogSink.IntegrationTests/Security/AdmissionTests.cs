using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using XraySyslogSink.IntegrationTests.Infrastructure;
using XraySyslogSink.Listeners;
using XraySyslogSink.Listeners.Security;

namespace XraySyslogSink.IntegrationTests.Security;

/// <summary>Source allow lists and connection limits on the real listeners (127.0.0.1 and ::1 only).</summary>
[Collection(PostgresCollection.Name)]
public sealed class AdmissionTests(PostgresServer postgres)
{
    private const string Line = "<14>1 2025-11-17T10:00:00Z node xray - - - 2025/11/17 10:00:00 from 203.0.113.5:40001 accepted tcp:example.com:443 [in >> out] email: a@example.com";

    [Fact]
    public async Task Sources_outside_the_lists_are_dropped_or_closed_and_counted_and_a_new_list_applies_at_once()
    {
        await using SinkUnderTest sink = await SinkUnderTest.StartAsync(
            await postgres.CreateDatabaseAsync(),
            "--Listeners:AllowedSources:0=10.0.0.0/8",
            "--Listeners:AllowedSourcesByListener:Tcp:0=127.0.0.0/8",
            "--Listeners:Udp=[::]:0");

        // UDP: the common list (10/8) drops 127.0.0.1 and ::1 without reading further.
        IPEndPoint udp = sink.UdpEndPoint;
        using (var v4 = new UdpClient(AddressFamily.InterNetwork))
        using (var v6 = new UdpClient(AddressFamily.InterNetworkV6))
        {
            await v4.SendAsync(Encoding.UTF8.GetBytes(Line), new IPEndPoint(IPAddress.Loopback, udp.Port));
            await v6.SendAsync(Encoding.UTF8.GetBytes(Line), new IPEndPoint(IPAddress.IPv6Loopback, udp.Port));
        }

        Assert.True(await Eventually.TrueAsync(() => sink.Metrics.TotalUdpDropped == 2), $"dropped {sink.Metrics.TotalUdpDropped}");
        Assert.Equal(0, sink.Metrics.TotalMessages);

        // TCP has its own list that takes 127/8.
        await sink.SendTcpOctetCountedAsync(Line);
        Assert.True(await Eventually.TrueAsync(() => sink.Metrics.TotalMessages == 1));

        // A new list (what a reload installs) applies to the next datagram and connection.
        SourceFilter filter = sink.Services.GetRequiredService<SourceFilter>();
        Assert.True(filter.Update(new ListenerOptions { AllowedSources = ["127.0.0.1", "::1"], AllowedSourcesByListener = new(StringComparer.OrdinalIgnoreCase) { ["Tcp"] = ["192.0.2.0/24"] } }));
        using (var v6 = new UdpClient(AddressFamily.InterNetworkV6))
        {
            await v6.SendAsync(Encoding.UTF8.GetBytes(Line), new IPEndPoint(IPAddress.IPv6Loopback, udp.Port));
        }

        Assert.True(await Eventually.TrueAsync(() => sink.Metrics.TotalMessages == 2));
        using var refused = new TcpClient(AddressFamily.InterNetwork);
        await refused.ConnectAsync(sink.TcpEndPoint);
        await refused.GetStream().WriteAsync(Encoding.UTF8.GetBytes(Line + "\n"));
        Assert.Equal(0, await TlsForwardingTests.ReadUntilClosedAsync(refused));
        Assert.True(await Eventually.TrueAsync(() => sink.Metrics.TotalRejected(ConnectionAdmission.SourceNotAllowed) == 1));
        Assert.Equal(2, sink.Metrics.TotalMessages);
    }

    [Fact]
    public async Task Connections_over_the_per_source_limit_are_closed_and_counted_while_the_first_ones_keep_working()
    {
        await using SinkUnderTest sink = await SinkUnderTest.StartAsync(await postgres.CreateDatabaseAsync(), "--Listeners:MaxConnectionsPerSource=2");
        using var first = new TcpClient(AddressFamily.InterNetwork);
        using var second = new TcpClient(AddressFamily.InterNetwork);
        await first.ConnectAsync(sink.TcpEndPoint);
        await second.ConnectAsync(sink.TcpEndPoint);
        Assert.True(await Eventually.TrueAsync(() => sink.Metrics.TotalRejected(ConnectionAdmission.TooManyFromSource) == 0));

        using var third = new TcpClient(AddressFamily.InterNetwork);
        await third.ConnectAsync(sink.TcpEndPoint);
        Assert.Equal(0, await TlsForwardingTests.ReadUntilClosedAsync(third));
        Assert.Equal(1, sink.Metrics.TotalRejected(ConnectionAdmission.TooManyFromSource));

        await first.GetStream().WriteAsync(Encoding.UTF8.GetBytes(Line + "\n"));
        await second.GetStream().WriteAsync(Encoding.UTF8.GetBytes(Line + "\n"));
        Assert.True(await Eventually.TrueAsync(() => sink.Metrics.TotalMessages == 2));
    }
}
