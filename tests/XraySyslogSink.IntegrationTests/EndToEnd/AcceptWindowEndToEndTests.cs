using System.Globalization;
using XraySyslogSink.Core;
using XraySyslogSink.IntegrationTests.Infrastructure;

namespace XraySyslogSink.IntegrationTests.EndToEnd;

/// <summary>
/// The daemon with its default accept window (30 days back, one day ahead of receipt): a node whose clock says 2099
/// or 1970 produces dead letters with the window's reasons, not partitions for those years.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class AcceptWindowEndToEndTests(PostgresServer postgres)
{
    [Fact]
    public async Task Lines_outside_the_accept_window_are_dead_letters_and_create_no_partition()
    {
        await using SinkUnderTest sink = await SinkUnderTest.StartAsync(
            await postgres.CreateDatabaseAsync(), "--Xray:AcceptWindowBack=30.00:00:00", "--Xray:AcceptWindowAhead=1.00:00:00");
        string now = DateTime.UtcNow.AddMinutes(-5).ToString("yyyy/MM/dd HH:mm:ss.ffffff", CultureInfo.InvariantCulture);

        await sink.SendTcpLinesAsync(
            "2099/01/01 00:00:00.000000 from 203.0.113.5:40001 accepted tcp:future.example:443 [in >> out]",
            "1970/01/01 00:00:00.000000 from 203.0.113.5:40002 accepted tcp:past.example:443 [in >> out]",
            "<30>1 2099-06-01T00:00:00Z node-1 xray - - - from 203.0.113.5:40003 accepted tcp:header.example:443 [in >> out]",
            $"{now} from 203.0.113.5:40004 accepted tcp:now.example:443 [in >> out]");

        Assert.Equal(1, await sink.WaitForRowsAsync(1));
        Assert.Equal(3, await sink.WaitForDeadLettersAsync(3));
        List<object?[]> dead = await Database.RowsAsync(sink.ConnectionString, "SELECT reason FROM dead_letters ORDER BY id");
        Assert.Equal([DeadLetterReasons.AfterAcceptWindow, DeadLetterReasons.BeforeAcceptWindow, DeadLetterReasons.AfterAcceptWindow], dead.Select(d => (string?)d[0]));
        Assert.Equal(0L, await Database.ScalarAsync<long>(
            sink.ConnectionString,
            "SELECT count(*) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE c.relname LIKE 'logs_2099%' OR c.relname LIKE 'logs_1970%'"));
        Assert.Equal("now.example", await Database.ScalarAsync<string>(sink.ConnectionString, "SELECT e.address FROM logs l JOIN endpoints e ON e.id = l.destination_id"));
    }
}
