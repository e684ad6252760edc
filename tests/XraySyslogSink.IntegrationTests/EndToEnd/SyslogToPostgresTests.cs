using System.Text;
using XraySyslogSink.IntegrationTests.Infrastructure;

namespace XraySyslogSink.IntegrationTests.EndToEnd;

/// <summary>
/// The whole daemon: real sockets in, real PostgreSQL out. Every assertion is on rows as an operator
/// would query them, with dimensions joined back to their text.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class SyslogToPostgresTests(PostgresServer postgres)
{
    private const string Accepted = "2025/11/17 10:00:00.123456 from 203.0.113.5:40001 accepted tcp:example.com:443 [in-vless -> direct] email: alice@example.com";

    [Fact]
    public async Task Lines_over_tcp_and_udp_become_normalized_rows_in_daily_partitions()
    {
        await using SinkUnderTest sink = await SinkUnderTest.StartAsync(await postgres.CreateDatabaseAsync());

        // RFC 5424, octet-counted, over TCP.
        await sink.SendTcpOctetCountedAsync(
            $"<30>1 2025-11-17T10:00:01.000000+00:00 node-1 xray 2634 - - {Accepted}",
            "<30>1 2025-11-17T23:59:59Z node-1 xray 2634 - - 2025/11/17 23:59:59 from [2001:db8::7]:40002 accepted udp:[2001:4860:4860::8888]:53 [direct] email: 412.6218924756_RykO");
        // RFC 3164 with LF framing over TCP; a v2fly line without "from", micros or inbound tag.
        await sink.SendTcpLinesAsync(
            "<30>Nov 18 00:00:01 node-2 xray[77]: 2025/11/18 00:00:01 198.51.100.9:40003 accepted tcp:www.google.com:443 [proxy]",
            "<30>Nov 18 00:00:02 node-2 xray[77]: 2025/11/18 00:00:02.000001 from 198.51.100.9:40004 rejected  proxy/vless/encoding: invalid request user id");
        // Headerless over UDP (a raw line sent with nc), masked source, URL destination.
        await sink.SendUdpAsync(
            "2025/11/18 00:00:03.000000 from 1.2.*.*:40005 accepted //cp.cloudflare.com:80 [socks-in >> direct] email: 154",
            "2025/11/18 00:00:04.000000 from tcp:192.0.2.1:40006 accepted http://example.org/path [http-in ==> block]");

        Assert.Equal(6, await sink.WaitForRowsAsync(6));
        List<object?[]> rows = await Database.RowsAsync(sink.ConnectionString, Database.LogsWithDimensions);

        AssertRow(rows[0], "2025-11-17T10:00:00.1234560Z", "203.0.113.5/32", 40001, "accepted", "tcp", "example.com", 443, "in-vless", "direct", "alice@example.com", "logs_2025_11_17");
        AssertRow(rows[1], "2025-11-17T23:59:59.0000000Z", "2001:db8::7/128", 40002, "accepted", "udp", "2001:4860:4860::8888", 53, null, "direct", "412.6218924756_RykO", "logs_2025_11_17");
        AssertRow(rows[2], "2025-11-18T00:00:01.0000000Z", "198.51.100.9/32", 40003, "accepted", "tcp", "www.google.com", 443, null, "proxy", null, "logs_2025_11_18");
        AssertRow(rows[3], "2025-11-18T00:00:02.0000010Z", "198.51.100.9/32", 40004, "rejected", null, null, null, null, null, null, "logs_2025_11_18");
        AssertRow(rows[4], "2025-11-18T00:00:03.0000000Z", "1.2.0.0/16", 40005, "accepted", "tcp", "cp.cloudflare.com", 80, "socks-in", "direct", "154", "logs_2025_11_18");
        AssertRow(rows[5], "2025-11-18T00:00:04.0000000Z", "192.0.2.1/32", 40006, "accepted", "tcp", "example.org", 80, "http-in", "block", null, "logs_2025_11_18");

        // Each dimension value exists once, however often it was used.
        Assert.Equal(2L, await Database.ScalarAsync<long>(sink.ConnectionString, "SELECT count(*) FROM protocols"));
        Assert.Equal(1L, await Database.ScalarAsync<long>(sink.ConnectionString, "SELECT count(*) FROM tags WHERE name = 'direct'"));
    }

    [Fact]
    public async Task Skipped_kinds_are_not_rows_and_broken_lines_become_dead_letters_with_a_reason()
    {
        await using SinkUnderTest sink = await SinkUnderTest.StartAsync(await postgres.CreateDatabaseAsync());

        await sink.SendTcpLinesAsync(
            "2025/11/17 10:00:00.000000 from DNS accepted udp:1.1.1.1:53 [dns-out]",
            "2025/11/17 10:00:00.000000 [Info] [1234] proxy/vless/inbound: firstLen = 1234",
            "2025/11/17 10:00:00 localhost got answer: example.com. TypeA -> [93.184.216.34] 12ms",
            "2025/11/17 10:00:00.000000 from  accepted tcp:example.com:443 [direct]",
            "this is not an xray line at all",
            Accepted);

        Assert.Equal(1, await sink.WaitForRowsAsync(1));
        Assert.Equal(2, await sink.WaitForDeadLettersAsync(2));
        List<object?[]> dead = await Database.RowsAsync(sink.ConnectionString, "SELECT host(peer), reason, raw FROM dead_letters ORDER BY id");
        Assert.Equal("127.0.0.1", dead[0][0]);
        Assert.Equal("source is not an address", dead[0][1]);
        Assert.Equal("2025/11/17 10:00:00.000000 from  accepted tcp:example.com:443 [direct]", dead[0][2]);
        Assert.Equal("this is not an xray line at all", dead[1][2]);
        Assert.Equal(1L, await Database.ScalarAsync<long>(sink.ConnectionString, "SELECT count(*) FROM logs"));
    }

    [Fact]
    public async Task A_value_too_long_for_its_column_is_a_dead_letter_and_its_neighbours_are_stored()
    {
        await using SinkUnderTest sink = await SinkUnderTest.StartAsync(await postgres.CreateDatabaseAsync());
        string longEmail = new string('u', 300) + "@example.com";

        await sink.SendTcpLinesAsync(
            Accepted,
            $"2025/11/17 10:00:01.000000 from 203.0.113.5:40002 accepted tcp:example.com:443 [in-vless -> direct] email: {longEmail}",
            Accepted.Replace("40001", "40003", StringComparison.Ordinal));

        Assert.Equal(2, await sink.WaitForRowsAsync(2));
        Assert.Equal(1, await sink.WaitForDeadLettersAsync(1));
        Assert.Equal("email longer than 255 characters", await Database.ScalarAsync<string>(sink.ConnectionString, "SELECT reason FROM dead_letters"));
    }

    [Fact]
    public async Task Node_local_timestamps_are_read_in_the_senders_zone()
    {
        await using SinkUnderTest sink = await SinkUnderTest.StartAsync(
            await postgres.CreateDatabaseAsync(),
            "--Xray:TimeZone=Europe/Berlin",
            "--Xray:SenderTimeZones:tokyo-node=Asia/Tokyo");

        await sink.SendTcpOctetCountedAsync(
            "<30>1 2025-11-18T00:30:00+09:00 tokyo-node xray - - - 2025/11/18 00:30:00.000000 from 203.0.113.5:40001 accepted tcp:example.com:443 [direct]",
            "<30>1 2025-11-18T00:30:00+01:00 berlin-node xray - - - 2025/11/18 00:30:00.000000 from 203.0.113.5:40002 accepted tcp:example.com:443 [direct]");

        Assert.Equal(2, await sink.WaitForRowsAsync(2));
        List<object?[]> rows = await Database.RowsAsync(sink.ConnectionString, Database.LogsWithDimensions);
        Assert.Equal(new DateTime(2025, 11, 17, 15, 30, 0, DateTimeKind.Utc), rows[0][0]);
        Assert.Equal("logs_2025_11_17", rows[0][10]);
        Assert.Equal(new DateTime(2025, 11, 17, 23, 30, 0, DateTimeKind.Utc), rows[1][0]);
    }

    [Fact]
    public async Task Evening_lines_of_a_node_west_of_UTC_land_in_the_next_UTC_days_partition()
    {
        await using SinkUnderTest sink = await SinkUnderTest.StartAsync(
            await postgres.CreateDatabaseAsync(),
            "--Xray:SenderTimeZones:ny-node=America/New_York");

        await sink.SendTcpOctetCountedAsync(
            // 21:30 EST on Nov 17 is 02:30 UTC on Nov 18.
            "<30>1 2025-11-17T21:30:00-05:00 ny-node xray - - - 2025/11/17 21:30:00.000000 from 203.0.113.5:40001 accepted tcp:example.com:443 [direct]",
            // Still Nov 17 in UTC: 18:59:59 EST.
            "<30>1 2025-11-17T18:59:59-05:00 ny-node xray - - - 2025/11/17 18:59:59.000000 from 203.0.113.5:40002 accepted tcp:example.com:443 [direct]",
            // Forwarded without xray's own timestamp (journald): the header's time, with its offset, is the event time.
            "<30>1 2025-11-17T23:45:00-05:00 ny-node xray - - - from 203.0.113.5:40003 accepted tcp:example.com:443 [direct]");

        Assert.Equal(3, await sink.WaitForRowsAsync(3));
        List<object?[]> rows = (await Database.RowsAsync(sink.ConnectionString, Database.LogsWithDimensions)).OrderBy(r => (int)r[2]!).ToList();
        Assert.Equal(new DateTime(2025, 11, 18, 2, 30, 0, DateTimeKind.Utc), rows[0][0]);
        Assert.Equal("logs_2025_11_18", rows[0][10]);
        Assert.Equal(new DateTime(2025, 11, 17, 23, 59, 59, DateTimeKind.Utc), rows[1][0]);
        Assert.Equal("logs_2025_11_17", rows[1][10]);
        Assert.Equal(new DateTime(2025, 11, 18, 4, 45, 0, DateTimeKind.Utc), rows[2][0]);
        Assert.Equal("logs_2025_11_18", rows[2][10]);
    }

    [Fact]
    public async Task Oversize_frames_are_discarded_and_the_stream_stays_in_sync()
    {
        await using SinkUnderTest sink = await SinkUnderTest.StartAsync(await postgres.CreateDatabaseAsync(), "--Listeners:MaxMessageSize=1024");
        string huge = Accepted + " " + new string('x', 5000);

        await sink.SendTcpOctetCountedAsync(Accepted, huge, Accepted.Replace("40001", "40002", StringComparison.Ordinal));
        await sink.SendTcpLinesAsync(huge, Accepted.Replace("40001", "40003", StringComparison.Ordinal));

        Assert.Equal(3, await sink.WaitForRowsAsync(3));
        List<object?[]> rows = await Database.RowsAsync(sink.ConnectionString, Database.LogsWithDimensions);
        Assert.Equal([40001, 40002, 40003], rows.Select(r => (int)r[2]!));
    }

    [Fact]
    public async Task Many_lines_over_many_connections_all_arrive_exactly_once()
    {
        await using SinkUnderTest sink = await SinkUnderTest.StartAsync(await postgres.CreateDatabaseAsync(), "--Writer:BatchSize=1000");
        const int Connections = 8;
        const int LinesPerConnection = 2500;

        await Task.WhenAll(Enumerable.Range(0, Connections).Select(c =>
        {
            var payload = new StringBuilder();
            for (int i = 0; i < LinesPerConnection; i++)
            {
                int port = (c * LinesPerConnection) + i + 1;
                payload.Append(System.Globalization.CultureInfo.InvariantCulture, $"2025/11/17 12:{i / 60 % 60:00}:{i % 60:00}.000000 from 10.{c}.0.1:{port} accepted tcp:host{i % 97}.example:443 [in >> out{i % 5}] email: user{i % 31}\n");
            }

            return sink.SendTcpAsync(Encoding.UTF8.GetBytes(payload.ToString()));
        }));

        const int Total = Connections * LinesPerConnection;
        Assert.Equal(Total, await sink.WaitForRowsAsync(Total, TimeSpan.FromSeconds(60)));
        Assert.Equal((long)Total, await Database.ScalarAsync<long>(sink.ConnectionString, "SELECT count(DISTINCT source_port) FROM logs"));
        Assert.Equal(97L, await Database.ScalarAsync<long>(sink.ConnectionString, "SELECT count(*) FROM endpoints"));
        Assert.Equal(31L, await Database.ScalarAsync<long>(sink.ConnectionString, "SELECT count(*) FROM users"));
        Assert.Equal(6L, await Database.ScalarAsync<long>(sink.ConnectionString, "SELECT count(*) FROM tags"));
    }

    private static void AssertRow(object?[] row, string timestamp, string source, int sourcePort, string action, string? protocol, string? destination, int? destinationPort, string? inbound, string? outbound, string? email, string partition)
    {
        Assert.Equal(DateTime.Parse(timestamp, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AdjustToUniversal | System.Globalization.DateTimeStyles.AssumeUniversal), row[0]);
        Assert.Equal(source, row[1]);
        Assert.Equal(sourcePort, row[2]);
        Assert.Equal(action, row[3]);
        Assert.Equal(protocol, row[4]);
        Assert.Equal(destination, row[5]);
        Assert.Equal(destinationPort, row[6]);
        Assert.Equal(inbound, row[7]);
        Assert.Equal(outbound, row[8]);
        Assert.Equal(email, row[9]);
        Assert.Equal(partition, row[10]);
    }
}
