using System.Threading.Channels;
using XraySyslogSink.Core;
using XraySyslogSink.Telemetry;

namespace XraySyslogSink.Pipeline;

/// <summary>
/// The two bounded queues between the stages: listeners → parser workers (messages) and
/// parser workers → writer (record chunks). Bounded so that a slow database turns into TCP
/// backpressure and counted UDP drops instead of unbounded memory.
/// </summary>
internal sealed class SinkChannels
{
    public SinkChannels(PipelineOptions options, SinkMetrics metrics)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(metrics);
        Messages = Channel.CreateBounded<ReceivedMessage>(new BoundedChannelOptions(options.MessageQueueCapacity)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = false,
            SingleWriter = false,
        });
        Records = Channel.CreateBounded<RecordChunk>(new BoundedChannelOptions(options.RecordQueueCapacity)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = true,
            SingleWriter = false,
        });
        metrics.TrackQueue("messages", () => Messages.Reader.Count, options.MessageQueueCapacity);
        metrics.TrackQueue("records", () => Records.Reader.Count, options.RecordQueueCapacity);
    }

    public Channel<ReceivedMessage> Messages { get; }

    public Channel<RecordChunk> Records { get; }
}
