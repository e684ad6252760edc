using System.Threading.Channels;
using XraySyslogSink.Pipeline;

namespace XraySyslogSink.Spool;

/// <summary>
/// The stand-in <see cref="IMessageSpool"/> until the write-ahead spool exists: it hands messages straight to the
/// in-memory message queue. It is NOT durable. "Durable" here only means "in the queue", so a RELP
/// acknowledgement promises no more than plain TCP does: a graceful stop still writes everything acknowledged
/// (the queue is drained), but a crash or <c>kill -9</c> loses what was acknowledged and not yet committed.
/// Replace its registration in <c>SinkHost</c> with the real spool.
/// </summary>
internal sealed class ChannelSpool : IMessageSpool
{
    private readonly ChannelWriter<ReceivedMessage> _queue;
    private long _lastSequence;

    public ChannelSpool(SinkChannels channels)
    {
        ArgumentNullException.ThrowIfNull(channels);
        _queue = channels.Messages.Writer;
    }

    /// <summary>Waits while the queue is full. On cancellation or a completed queue the message is released and the exception thrown.</summary>
    public async ValueTask<long> AppendAsync(ReceivedMessage message, CancellationToken cancellationToken)
    {
        if (!_queue.TryWrite(message))
        {
            try
            {
                await _queue.WriteAsync(message, cancellationToken);
            }
            catch
            {
                message.Release();
                throw;
            }
        }

        return Interlocked.Increment(ref _lastSequence);
    }

    public bool TryAppend(ReceivedMessage message, out long sequence)
    {
        if (_queue.TryWrite(message))
        {
            sequence = Interlocked.Increment(ref _lastSequence);
            return true;
        }

        message.Release();
        sequence = 0;
        return false;
    }

    /// <summary>Completes at once: a message has its sequence number only after it is in the queue.</summary>
    public ValueTask WaitDurableAsync(long sequence, CancellationToken cancellationToken) => ValueTask.CompletedTask;
}
