using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using XraySyslogSink.IntegrationTests.Infrastructure;

namespace XraySyslogSink.IntegrationTests.EndToEnd;

/// <summary>
/// Issue 12 item 3 through the whole daemon: a source flooding garbage is capped at its share of the dead letters
/// stored, while the dead letters of an honest source (another address family, so another /24 or /64) are all stored.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class DeadLetterFloodTests(PostgresServer postgres)
{
    private const string Garbage = "this is not an xray line at all";

    [Fact]
    public async Task A_flooding_source_is_capped_at_its_share_while_an_honest_sources_dead_letters_are_stored()
    {
        // 100 dead letters a second in all, 10 % (10 a second) for one source.
        await using SinkUnderTest sink = await SinkUnderTest.StartAsync(
            await postgres.CreateDatabaseAsync(), "--Listeners:Tcp=[::1]:0", "--Pipeline:DeadLettersPerSecond=100");
        var clock = Stopwatch.StartNew();

        await sink.SendUdpAsync([.. Enumerable.Repeat(Garbage, 2000)]);
        using (var honest = new TcpClient(AddressFamily.InterNetworkV6))
        {
            await honest.ConnectAsync(sink.TcpEndPoint);
            NetworkStream stream = honest.GetStream();
            await stream.WriteAsync(Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat(Garbage + "\n", 8))));
            honest.Client.Shutdown(SocketShutdown.Send);
        }

        Assert.Equal(8, await Database.WaitForCountAsync(sink.ConnectionString, "SELECT count(*) FROM dead_letters WHERE host(peer) = '::1'", 8));
        long flooder = await Database.ScalarAsync<long>(sink.ConnectionString, "SELECT count(*) FROM dead_letters WHERE host(peer) = '127.0.0.1'");
        Assert.InRange(flooder, 1, 10 * ((long)clock.Elapsed.TotalSeconds + 2));
    }
}
