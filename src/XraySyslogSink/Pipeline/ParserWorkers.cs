using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using XraySyslogSink.Storage;
using XraySyslogSink.Telemetry;
using XraySyslogSink.Xray;

namespace XraySyslogSink.Pipeline;

/// <summary>
/// Parser workers: each drains the message queue, builds records into chunks and hands full chunks
/// (or whatever it has when the queue runs dry) to the writer. They stop once the listeners have
/// completed the message queue and it is empty, then complete the record queue.
/// </summary>
internal sealed partial class ParserWorkers : IHostedService
{
    private readonly SinkChannels _channels;
    private readonly DimensionCaches _caches;
    private readonly SenderTimeZones _zones;
    private readonly PipelineOptions _options;
    private readonly SinkMetrics _metrics;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger<ParserWorkers> _logger;
    private Task[] _workers = [];

    public ParserWorkers(
        SinkChannels channels,
        DimensionCaches caches,
        SenderTimeZones zones,
        IOptions<PipelineOptions> options,
        SinkMetrics metrics,
        TimeProvider timeProvider,
        ILogger<ParserWorkers> logger)
    {
        _channels = channels;
        _caches = caches;
        _zones = zones;
        _options = options.Value;
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
            var builder = new AccessRecordBuilder(_caches, _zones, _options, _timeProvider);
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
        try
        {
            while (await messages.WaitToReadAsync())
            {
                while (messages.TryRead(out ReceivedMessage message))
                {
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
                    finally
                    {
                        message.Release();
                    }

                    if (chunk.IsFull)
                    {
                        await SendAsync(builder, chunk, records);
                        chunk = new RecordChunk();
                    }
                }

                // The queue ran dry: hand on what we have so quiet periods do not delay rows.
                if (!chunk.IsEmpty)
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
            if (!chunk.IsEmpty && !records.TryWrite(chunk))
            {
                LogChunkLostAtShutdown(chunk.Count);
            }

            builder.Counts.ReportTo(_metrics);
        }
    }

    private async ValueTask SendAsync(AccessRecordBuilder builder, RecordChunk chunk, ChannelWriter<RecordChunk> records)
    {
        builder.Counts.ReportTo(_metrics);
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
