using System.Diagnostics.Metrics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using XraySyslogSink.IntegrationTests.Infrastructure;
using XraySyslogSink.Telemetry;
using Xunit.Abstractions;

namespace XraySyslogSink.IntegrationTests.EndToEnd;

/// <summary>
/// RELP from real rsyslog <c>omrelp</c> (librelp) into the whole daemon, plus the protocol edges a well-behaved
/// client never shows, spoken over a raw socket. Each xray line carries a unique timestamp, so rows are matched
/// to lines by value and duplicates counted.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class RelpTests(PostgresServer postgres, ITestOutputHelper output)
{
    private const string RelpOn = "--Listeners:Relp=127.0.0.1:0";
    private static readonly DateTime Base = new(2025, 11, 17, 10, 0, 0, DateTimeKind.Utc);

    [Fact]
    public async Task Every_line_rsyslog_sends_over_omrelp_arrives_exactly_once()
    {
        const int Lines = 3000;
        await using SinkUnderTest sink = await SinkUnderTest.StartAsync(await postgres.CreateDatabaseAsync(), RelpOn);
        await using RsyslogRelpSender rsyslog = await RsyslogRelpSender.StartAsync(sink.RelpEndPoint!.Port);

        await rsyslog.WriteLinesAsync(LinesFrom(0, Lines));

        Assert.True(Lines == await sink.WaitForRowsAsync(Lines, TimeSpan.FromSeconds(60)), rsyslog.Output);
        await AssertEveryLineOnceAsync(sink.ConnectionString, Lines, maxDuplicates: 0);
    }

    [Fact]
    public async Task A_collector_restart_mid_stream_loses_nothing_and_omrelp_resends_what_was_not_acknowledged()
    {
        const int Lines = 8000;
        string database = await postgres.CreateDatabaseAsync();
        int port = FreePort();
        string relpOnPort = string.Create(CultureInfo.InvariantCulture, $"--Listeners:Relp=127.0.0.1:{port}");
        SinkUnderTest sink = await SinkUnderTest.StartAsync(database, relpOnPort);
        await using RsyslogRelpSender rsyslog = await RsyslogRelpSender.StartAsync(port);
        try
        {
            Task writing = WriteInChunksAsync(rsyslog, Lines);
            long before = await sink.WaitForRowsAsync(Lines / 5, TimeSpan.FromSeconds(60));
            Assert.True(before >= Lines / 5, rsyslog.Output);

            // Stop mid-stream: sessions acknowledge what they took and close; unread frames stay unacknowledged.
            await sink.DisposeAsync();
            long atStop = await Database.ScalarAsync<long>(database, "SELECT count(*) FROM logs");
            Assert.True(atStop < Lines, $"the stream was over before the stop ({atStop} rows)");
            await Task.Delay(TimeSpan.FromSeconds(2));

            sink = await SinkUnderTest.StartAsync(database, relpOnPort);
            await writing;
            await sink.WaitForRowsAsync(Lines, TimeSpan.FromSeconds(90));
            long duplicates = await AssertEveryLineOnceAsync(database, Lines, maxDuplicates: RsyslogRelpSender.WindowSize);
            output.WriteLine($"{atStop} rows at the stop, {duplicates} duplicates after the restart");
        }
        finally
        {
            await sink.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_window_sent_in_one_write_is_acknowledged_in_order_and_close_ends_with_serverclose()
    {
        await using SinkUnderTest sink = await SinkUnderTest.StartAsync(await postgres.CreateDatabaseAsync(), RelpOn);
        using var client = new TcpClient(AddressFamily.InterNetwork);
        await client.ConnectAsync(sink.RelpEndPoint!);
        NetworkStream stream = client.GetStream();

        var window = new StringBuilder(Frame(1, "open", "relp_version=0\nrelp_software=test\ncommands=syslog"));
        int txnr = 2;
        foreach (string line in LinesFrom(0, 5))
        {
            window.Append(Frame(txnr++, "syslog", "<30>Nov 17 10:00:00 node-1 xray: " + line));
        }

        window.Append(txnr).Append(" close 0\n");
        await stream.WriteAsync(Encoding.ASCII.GetBytes(window.ToString()));
        string answers = await ReadToEndAsync(stream);

        string expected = "1 rsp ";
        Assert.StartsWith(expected, answers);
        string[] lines = answers.Split('\n');
        Assert.Equal("200 OK", lines[0][(lines[0].IndexOf(' ', 6) + 1)..]);
        Assert.Contains("relp_version=0", lines);
        Assert.Contains("commands=syslog", lines);
        Assert.EndsWith("2 rsp 6 200 OK\n3 rsp 6 200 OK\n4 rsp 6 200 OK\n5 rsp 6 200 OK\n6 rsp 6 200 OK\n7 rsp 6 200 OK\n0 serverclose 0\n", answers);
        Assert.Equal(5, await sink.WaitForRowsAsync(5));
    }

    [Theory]
    [InlineData("1 open 5 bogus\n", "500 ", "open_refused")]
    [InlineData("1 syslog 3 abc\n", "", "syslog_before_open")]
    [InlineData("OPEN SESAME\n", "", "bad_txnr")]
    [InlineData("1 open 30 relp_version=0\ncommands=syslog\n3 syslog 3 abc\n", "200 OK", "txnr_out_of_order")]
    [InlineData("1 open 30 relp_version=0\ncommands=syslog\n2 syslog 9999999 x", "200 OK", "too_large")]
    [InlineData("1 open 30 relp_version=0\ncommands=syslog\n2 eventlog 3 abc\n", "200 OK", "unknown_command")]
    public async Task A_malformed_or_out_of_order_frame_closes_the_session_with_a_counted_reason(string sent, string firstAnswer, string reason)
    {
        var rejected = new List<string>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == SinkMetrics.MeterName && instrument.Name == "xraysink.relp.frames.rejected")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, _, tags, _) =>
        {
            lock (rejected)
            {
                rejected.Add((string)tags[0].Value!);
            }
        });
        listener.Start();
        await using SinkUnderTest sink = await SinkUnderTest.StartAsync(await postgres.CreateDatabaseAsync(), RelpOn);
        using var client = new TcpClient(AddressFamily.InterNetwork);
        await client.ConnectAsync(sink.RelpEndPoint!);
        NetworkStream stream = client.GetStream();

        await stream.WriteAsync(Encoding.ASCII.GetBytes(sent));
        string answers = await ReadToEndAsync(stream);

        // The server closed the connection (ReadToEnd returned) after at most the open's answer and the hint.
        if (firstAnswer.Length > 0)
        {
            Assert.StartsWith("1 rsp ", answers);
            Assert.Contains(firstAnswer, answers);
        }

        Assert.DoesNotContain(" rsp 6 200 OK", answers);
        Assert.EndsWith("0 serverclose 0\n", answers);
        lock (rejected)
        {
            Assert.Equal([reason], rejected);
        }

        Assert.Equal(0L, await Database.ScalarAsync<long>(sink.ConnectionString, "SELECT count(*) FROM logs"));
    }

    [Fact]
    public async Task A_client_that_stops_reading_acknowledgements_is_disconnected_after_the_send_timeout()
    {
        // Oversize frames are acknowledged but never spooled: the test makes many answers cheaply.
        await using SinkUnderTest sink = await SinkUnderTest.StartAsync(await postgres.CreateDatabaseAsync(), RelpOn, "--Listeners:SendTimeout=00:00:02", "--Listeners:MaxMessageSize=64");
        using var client = new TcpClient(AddressFamily.InterNetwork) { ReceiveBufferSize = 4096 };
        await client.ConnectAsync(sink.RelpEndPoint!);
        NetworkStream stream = client.GetStream();
        using var giveUp = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        Task writing = Task.Run(async () =>
        {
            await stream.WriteAsync(Encoding.ASCII.GetBytes(Frame(1, "open", "relp_version=0\nrelp_software=test\ncommands=syslog")), giveUp.Token);
            string data = "<30>Nov 17 10:00:00 node-1 xray: " + new string('x', 100);
            var window = new StringBuilder();
            try
            {
                for (int txnr = 2; !giveUp.IsCancellationRequested; txnr++)
                {
                    window.Append(Frame(txnr, "syslog", data));
                    if (txnr % 100 == 0)
                    {
                        // Never reads an answer: the collector's send buffer and our receive window fill up.
                        await stream.WriteAsync(Encoding.ASCII.GetBytes(window.ToString()), giveUp.Token);
                        window.Clear();
                    }
                }
            }
            catch (Exception ex) when (ex is IOException or OperationCanceledException)
            {
                // Disconnected by the collector (or the test gave up).
            }
        });

        bool disconnected = await Eventually.TrueAsync(() => sink.Metrics.TotalRejected("send_timeout") == 1, TimeSpan.FromSeconds(45));
        await giveUp.CancelAsync();
        await writing;
        Assert.True(disconnected, "the session of a client that reads no acknowledgements was not closed");
    }

    /// <summary>Asserts that every generated line is a row, counts rows present more than once, and returns that count.</summary>
    private static async Task<long> AssertEveryLineOnceAsync(string connectionString, int lines, long maxDuplicates)
    {
        long rows = await Database.ScalarAsync<long>(connectionString, "SELECT count(*) FROM logs");
        long distinct = await Database.ScalarAsync<long>(connectionString, "SELECT count(DISTINCT \"timestamp\") FROM logs");
        DateTime first = await Database.ScalarAsync<DateTime>(connectionString, "SELECT min(\"timestamp\") FROM logs");
        DateTime last = await Database.ScalarAsync<DateTime>(connectionString, "SELECT max(\"timestamp\") FROM logs");
        Assert.Equal(lines, distinct);
        Assert.Equal(Base, first);
        Assert.Equal(Timestamp(lines - 1), last);
        long duplicates = rows - distinct;
        Assert.True(duplicates <= maxDuplicates, $"{duplicates} duplicates, at most {maxDuplicates} allowed");
        return duplicates;
    }

    internal static async Task WriteInChunksAsync(RsyslogRelpSender rsyslog, int lines)
    {
        const int Chunk = 500;
        for (int start = 0; start < lines; start += Chunk)
        {
            await rsyslog.WriteLinesAsync(LinesFrom(start, Math.Min(Chunk, lines - start)));
            await Task.Delay(100);
        }
    }

    internal static IEnumerable<string> LinesFrom(int start, int count)
    {
        for (int i = start; i < start + count; i++)
        {
            yield return string.Create(
                CultureInfo.InvariantCulture,
                $"{Timestamp(i):yyyy'/'MM'/'dd HH':'mm':'ss'.'ffffff} from 203.0.113.{i % 250}:{10000 + (i % 50000)} accepted tcp:node.example.net:443 [vless-in >> direct] email: user{i % 97}@example.com");
        }
    }

    private static DateTime Timestamp(int line) => Base.AddTicks(line * 10L);

    private static string Frame(int transactionNumber, string command, string data) =>
        string.Create(CultureInfo.InvariantCulture, $"{transactionNumber} {command} {Encoding.ASCII.GetByteCount(data)} {data}\n");

    private static async Task<string> ReadToEndAsync(NetworkStream stream)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        var received = new MemoryStream();
        await stream.CopyToAsync(received, timeout.Token);
        return Encoding.ASCII.GetString(received.ToArray());
    }

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }
}
