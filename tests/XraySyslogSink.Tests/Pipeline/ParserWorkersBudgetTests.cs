using System.Net;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using XraySyslogSink.Core;
using XraySyslogSink.Nodes;
using XraySyslogSink.Pipeline;
using XraySyslogSink.Spool;
using XraySyslogSink.Storage;
using XraySyslogSink.Telemetry;
using XraySyslogSink.Xray;

namespace XraySyslogSink.Tests.Pipeline;

/// <summary>
/// Issue 12 item 4: the memory budget (<c>Pipeline:MessageQueueBytes</c>) covers a message from the spool's hand-off
/// until the writer has committed its records, not only until it is parsed: with the database down, parsed records
/// waiting for the writer keep their cost, so the spool leaves what is beyond the budget on disk.
/// </summary>
public sealed class ParserWorkersBudgetTests
{
    [Fact]
    public async Task Records_parsed_but_not_committed_keep_their_messages_cost()
    {
        using var metrics = new SinkMetrics();
        var options = new PipelineOptions { ParserWorkers = 2, RecordQueueCapacity = 64 };
        var channels = new SinkChannels(options, metrics);
        var budget = new MessageQueueBudget(1024 * 1024);
        var clock = new FakeTimeProvider(new DateTimeOffset(2025, 11, 17, 12, 0, 0, TimeSpan.Zero));
        var workers = new ParserWorkers(
            channels,
            new DimensionCaches(new DimensionCacheOptions()),
            new SenderTimeZones(new XrayOptions()),
            Options.Create(options),
            Options.Create(new XrayOptions()),
            metrics,
            clock,
            new NodeSeries(10),
            new HostnameMismatches(),
            NullLogger<ParserWorkers>.Instance,
            budget,
            new DeadLetterBudget(1000, 1024 * 1024, 10, clock));

        const int Messages = 1500;
        long expected = 0;
        for (int i = 1; i <= Messages; i++)
        {
            byte[] line = Encoding.ASCII.GetBytes(
                $"<134>1 2025-11-17T12:00:00Z node xray - - - 2025/11/17 12:00:00 from 10.0.0.{i % 250}:{i} accepted tcp:host{i}.example:443 [in >> out] email: user{i}");
            long cost = MessageQueueBudget.Cost(line.Length);
            Assert.True(budget.TryTake(cost));
            expected += cost;
            var message = ReceivedMessage.Copy(line, InetValue.FromIPAddress(IPAddress.Loopback), Transport.Tcp, new DateTimeOffset(2025, 11, 17, 12, 0, 0, TimeSpan.Zero));
            Assert.True(channels.Messages.Writer.TryWrite(message.WithSequence(i, i)));
        }

        channels.Messages.Writer.Complete();
        await workers.StartAsync(CancellationToken.None);
        await workers.StopAsync(CancellationToken.None);

        // Every message is parsed and its buffer returned, but no chunk has been committed: the cost is still held.
        List<RecordChunk> chunks = [];
        while (channels.Records.Reader.TryRead(out RecordChunk? chunk))
        {
            chunks.Add(chunk);
        }

        Assert.Equal(Messages, chunks.Sum(c => c.Count));
        Assert.Equal(expected, budget.Bytes);

        // The writer releases each chunk after its commit: only then is the cost given back.
        foreach (RecordChunk chunk in chunks)
        {
            chunk.Release();
        }

        Assert.Equal(0, budget.Bytes);
    }
}
