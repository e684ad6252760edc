using System.Diagnostics;
using System.Globalization;
using XraySyslogSink.IntegrationTests.Infrastructure;

namespace XraySyslogSink.IntegrationTests.EndToEnd;

/// <summary>util-linux <c>logger</c>, a real syslog client, sending xray lines the ways a node can.</summary>
[Collection(PostgresCollection.Name)]
public sealed class LoggerClientTests(PostgresServer postgres)
{
    public static TheoryData<string, string[]> Transports => new()
    {
        { "udp rfc3164", ["--udp", "--rfc3164"] },
        { "udp rfc5424", ["--udp", "--rfc5424"] },
        { "tcp rfc5424 octet-counted", ["--tcp", "--rfc5424", "--octet-count"] },
        { "tcp rfc3164 LF framing", ["--tcp", "--rfc3164"] },
        { "tcp rfc5424 LF framing", ["--tcp", "--rfc5424"] },
    };

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task Logger_lines_arrive_as_rows_with_their_values(string name, string[] options)
    {
        Assert.False(string.IsNullOrEmpty(name));
        await using SinkUnderTest sink = await SinkUnderTest.StartAsync(await postgres.CreateDatabaseAsync());
        int port = options.Contains("--udp") ? sink.UdpEndPoint.Port : sink.TcpEndPoint.Port;

        for (int i = 1; i <= 3; i++)
        {
            string line = string.Create(CultureInfo.InvariantCulture, $"2025/11/17 08:00:0{i}.000000 from 203.0.113.{i}:5000{i} accepted tcp:node{i}.example.net:443 [vless-in >> direct] email: user{i}@example.com");
            await RunLoggerAsync([.. options, "--server", "127.0.0.1", "--port", port.ToString(CultureInfo.InvariantCulture), "--tag", "xray", line]);
        }

        Assert.Equal(3, await sink.WaitForRowsAsync(3));
        List<object?[]> rows = await Database.RowsAsync(sink.ConnectionString, Database.LogsWithDimensions);
        for (int i = 1; i <= 3; i++)
        {
            object?[] row = rows[i - 1];
            Assert.Equal(new DateTime(2025, 11, 17, 8, 0, i, DateTimeKind.Utc), row[0]);
            Assert.Equal($"203.0.113.{i}/32", row[1]);
            Assert.Equal(50000 + i, row[2]);
            Assert.Equal("accepted", row[3]);
            Assert.Equal("tcp", row[4]);
            Assert.Equal($"node{i}.example.net", row[5]);
            Assert.Equal(443, row[6]);
            Assert.Equal("vless-in", row[7]);
            Assert.Equal("direct", row[8]);
            Assert.Equal($"user{i}@example.com", row[9]);
            Assert.Equal("logs_2025_11_17", row[10]);
        }

        Assert.Equal(0L, await Database.ScalarAsync<long>(sink.ConnectionString, "SELECT count(*) FROM dead_letters"));
    }

    private static async Task RunLoggerAsync(string[] arguments)
    {
        var start = new ProcessStartInfo("logger") { RedirectStandardError = true };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using Process process = Process.Start(start) ?? throw new InvalidOperationException("logger (util-linux) is not installed: run scripts/test.sh");
        string error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"logger failed: {error}");
    }
}
