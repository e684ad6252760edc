using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using XraySyslogSink.Core;
using XraySyslogSink.Spool;
using XraySyslogSink.Nodes;
using XraySyslogSink.Storage;
using XraySyslogSink.Telemetry;
using XraySyslogSink.Xray;

namespace XraySyslogSink.Pipeline;

/// <summary>
/// Parser workers: each drains the message queue, builds records into chunks and hands full chunks
/// (or whatever it has when the queue runs dry) to the writer. They stop once the listeners have
/// completed the message queue and it is empty, then complete the record queue.
/// </summary>
/// <remarks>
/// A worker takes a block of consecutive messages at a time (under a short lock), so each chunk accounts
/// for a contiguous range of spool sequence numbers, skipped and dead-lettered lines included; the writer
/// puts the chunks back in order and commits ranges, which is what makes replay after a crash exact.
/// </remarks>
internal sealed partial class ParserWorkers : IHostedService
{
    private readonly SinkChannels _channels;
    private readonly DimensionCaches _caches;
    private readonly SenderTimeZones _zones;
    private readonly PipelineOptions _options;
    private readonly AcceptWindow _acceptWindow;
    private readonly SinkMetrics _metrics;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger<ParserWorkers> _logger;
    private readonly MessageQueueBudget _budget;
    private readonly DeadLetterBudget _deadLetters;
    private readonly NodeSeries _nodeSeries;
    private readonly HostnameMismatches _mismatches;
    private readonly Lock _takeLock = new();
    private Task[] _workers = [];

    public ParserWorkers(
        SinkChannels channels,
        DimensionCaches caches,
        SenderTimeZones zones,
        IOptions<PipelineOptions> options,
        IOptions<XrayOptions> xray,
        SinkMetrics metrics,
        TimeProvider timeProvider,
        NodeSeries nodeSeries,
        HostnameMismatches mismatches,
        ILogger<ParserWorkers> logger,
        MessageQueueBudget budget,
        DeadLetterBudget deadLetters)
    {
        _nodeSeries = nodeSeries;
        _mismatches = mismatches;
        _channels = channels;
        _budget = budget;
        _deadLetters = deadLetters;
        _caches = caches;
        _zones = zones;
        _options = options.Value;

        // Live traffic only: the history import builds its records with AcceptWindow.None.
        _acceptWindow = AcceptWindow.FromOptions(xray.Value);
        _metrics = metrics;
        _timeProvider = timeProvider;
        _logger = logger;
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        int count = _options.EffectiveParserWorkers;
        _workers = new Task[count];
        for (int i = 0; i < count; i++)
        {
            var nodes = new MessageNodes(_caches.Nodes, _zones, _nodeSeries, _mismatches, _logger);
            var builder = new AccessRecordBuilder(_caches, _zones, _options, _timeProvider, _acceptWindow, _deadLetters, nodes);
            _workers[i] = Task.Run(() => RunAsync(builder), CancellationToken.None);
        }

        LogStarted(count);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        try
        {
            await Task.WhenAll(_workers).WaitAsync(cancellationToken);
        }
        finally
        {
            _channels.Records.Writer.TryComplete();
        }
    }

    private async Task RunAsync(AccessRecordBuilder builder)
    {
        ChannelReader<ReceivedMessage> messages = _channels.Messages.Reader;
        ChannelWriter<RecordChunk> records = _channels.Records.Writer;
        var chunk = new RecordChunk();
        ReceivedMessage[] block = new ReceivedMessage[RecordChunk.DefaultCapacity];
        try
        {
            while (await messages.WaitToReadAsync())
            {
                int count = TakeBlock(messages, block);
                if (count == 0)
                {
                    continue;
                }

                chunk.CoverSequences(block[0].FirstSequence, block[count - 1].Sequence);
                long released = 0;
                try
                {
                    for (int i = 0; i < count; i++)
                    {
                        ReceivedMessage message = block[i];
                        released += MessageQueueBudget.Cost(message.Length);
                        try
                        {
                            builder.Append(message, chunk);
                        }
                        catch (Exception ex)
                        {
                            // A parser bug must cost one line, not the worker: keep the line as a dead letter.
                            LogParserFault(ex);
                            builder.AppendInternalError(message, chunk);
                        }
                    }
                }
                finally
                {
                    // The block's buffers go back together: one message at a time, the two workers and the replay
                    // contended for the pool's lock (about a tenth of the daemon's CPU spinning, docs/performance.md).
                    ReceivedMessage.ReleaseAll(block.AsSpan(0, count));
                }

                // The chunk holds the messages' cost until the writer has committed it (or dropped it).
                chunk.Hold(_budget, released);

                // One chunk per block (a block never holds more messages than a chunk has slots), sent even
                // when every line was skipped, so the writer sees every sequence number.
                if (!chunk.IsEmpty || chunk.HasSequence)
                {
                    await SendAsync(builder, chunk, records);
                    chunk = new RecordChunk();
                }
            }
        }
        catch (ChannelClosedException)
        {
            LogRecordQueueClosed();
        }
        finally
        {
            if ((!chunk.IsEmpty || chunk.HasSequence) && !records.TryWrite(chunk))
            {
                LogChunkLostAtShutdown(chunk.Count);
            }

            builder.Counts.ReportTo(_metrics);
            builder.Nodes.ReportTo(_metrics);
        }
    }

    /// <summary>Takes up to a block of consecutive messages; the lock keeps another worker from interleaving.</summary>
    private int TakeBlock(ChannelReader<ReceivedMessage> messages, ReceivedMessage[] block)
    {
        int count = 0;
        lock (_takeLock)
        {
            while (count < block.Length && messages.TryRead(out ReceivedMessage message))
            {
                block[count++] = message;
            }
        }

        return count;
    }

    private async ValueTask SendAsync(AccessRecordBuilder builder, RecordChunk chunk, ChannelWriter<RecordChunk> records)
    {
        builder.Counts.ReportTo(_metrics);
        builder.Nodes.ReportTo(_metrics);
        builder.ChunkSent();
        if (!records.TryWrite(chunk))
        {
            await records.WriteAsync(chunk);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "{Count} parser workers started")]
    private partial void LogStarted(int count);

    [LoggerMessage(Level = LogLevel.Error, Message = "Parser fault; the message was kept as a dead letter")]
    private partial void LogParserFault(Exception exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "The record queue was closed while parsing")]
    private partial void LogRecordQueueClosed();

    [LoggerMessage(Level = LogLevel.Error, Message = "{Count} parsed records could not be handed to the writer at shutdown")]
    private partial void LogChunkLostAtShutdown(int count);
}
