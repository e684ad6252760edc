using System.Net;
using System.Text;
using Microsoft.Extensions.Time.Testing;
using XraySyslogSink.Core;
using XraySyslogSink.IntegrationTests.Infrastructure;
using XraySyslogSink.Pipeline;
using XraySyslogSink.Storage;
using XraySyslogSink.Xray;

namespace XraySyslogSink.IntegrationTests.Storage;

/// <summary>
/// The record builder's length check agrees with PostgreSQL's VARCHAR(255): an email of 250 letters and 5 stray
/// UTF-8 continuation bytes (255 characters once each became U+FFFD) is stored, not refused by the database.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class ValueLengthTests(PostgresServer server)
{
    [Fact]
    public async Task A_value_the_builder_accepts_at_the_limit_is_stored_by_postgresql()
    {
        await using StorageHarness db = await StorageHarness.CreateAsync(server);
        var caches = new DimensionCaches(new DimensionCacheOptions());
        var builder = new AccessRecordBuilder(caches, new SenderTimeZones(new XrayOptions()), new PipelineOptions { ParserWorkers = 1 }, new FakeTimeProvider(), AcceptWindow.None);
        byte[] line = [.. Encoding.ASCII.GetBytes("2025/11/17 10:00:00.000000 from 1.2.3.4:5 accepted tcp:x.org:443 [in >> out] email: " + new string('a', 250)), 0x80, 0x80, 0x80, 0x80, 0x80];
        ReceivedMessage message = ReceivedMessage.Copy(line, InetValue.FromIPAddress(IPAddress.Loopback), Transport.Tcp, StorageHarness.Today);
        var chunk = new RecordChunk();
        builder.Append(message, chunk);
        message.Release();

        FlushResult result = await db.CreateStore(caches).WriteBatchAsync([chunk], CancellationToken.None);

        Assert.Equal(new FlushResult(1, 0, 0), result);
        Assert.Equal(255, await db.ScalarAsync<int>("SELECT char_length(email) FROM users"));
        Assert.Equal(new string('a', 250) + new string('\uFFFD', 5), await db.ScalarAsync<string>("SELECT email FROM users"));
    }
}
