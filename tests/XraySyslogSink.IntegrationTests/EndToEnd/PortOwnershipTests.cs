using System.Net.Sockets;
using XraySyslogSink.IntegrationTests.Infrastructure;

namespace XraySyslogSink.IntegrationTests.EndToEnd;

/// <summary>A second collector started on a port already in use must fail loudly, not share the senders silently.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PortOwnershipTests(PostgresServer postgres)
{
    [Fact]
    public async Task A_second_daemon_cannot_bind_the_same_tcp_port()
    {
        string database = await postgres.CreateDatabaseAsync();
        await using SinkUnderTest first = await SinkUnderTest.StartAsync(database);

        SocketException error = await Assert.ThrowsAsync<SocketException>(() =>
            SinkUnderTest.StartAsync(database, $"--Listeners:Tcp=127.0.0.1:{first.TcpEndPoint.Port}"));

        Assert.Equal(SocketError.AddressAlreadyInUse, error.SocketErrorCode);
    }
}
