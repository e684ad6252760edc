using System.Buffers;
using System.IO.Pipelines;
using XraySyslogSink.Core;
using XraySyslogSink.Listeners.Streams;
using XraySyslogSink.Spool;
using XraySyslogSink.Syslog;
using XraySyslogSink.Telemetry;

namespace XraySyslogSink.Listeners;

/// <summary>
/// Syslog over a byte stream (TCP, or RFC 5425 TLS): frames with a <see cref="SyslogFrameDecoder"/> (octet-counted or
/// LF-terminated, detected per frame) and appends each message to the spool, waiting while it is full, so a long
/// database outage slows the senders (TCP backpressure) instead of losing lines.
/// </summary>
internal sealed class SyslogStreamHandler(Transport transport, ListenerOptions options, IMessageSpool spool, SinkMetrics metrics, TimeProvider timeProvider) : IStreamHandler
{
    public async Task RunAsync(StreamConnection connection)
    {
        var decoder = new SyslogFrameDecoder(options.MaxMessageSize, options.MaxOctetCount);
        var batch = new FrameBatch();
        PipeReader reader = connection.Input;
        while (true)
        {
            ReadResult read = await connection.ReadAsync();
            ReadOnlySequence<byte> buffer = read.Buffer;
            long messages = 0;
            long bytes = 0;
            var origin = new MessageOrigin(connection.Peer, transport, timeProvider.GetUtcNow(), connection.Node);
            try
            {
                bool final = false;
                while (true)
                {
                    FrameStatus status = decoder.TryReadFrame(ref buffer, out ReadOnlySequence<byte> frame);
                    if (status == FrameStatus.NeedMoreData && read.IsCompleted && !final)
                    {
                        // The sender closed: an unterminated last line is still a message.
                        final = true;
                        status = decoder.TryReadFinalFrame(ref buffer, out frame);
                    }

                    if (status == FrameStatus.NeedMoreData)
                    {
                        // Before the buffer is advanced: the batch's frames are still in it.
                        await batch.AppendAsync(spool, origin, connection.Stopping);
                        break;
                    }

                    if (status == FrameStatus.Oversize)
                    {
                        metrics.MessageOversize(transport);
                        continue;
                    }

                    if (status == FrameStatus.ProtocolError)
                    {
                        // The frames before the bad one were accepted.
                        await batch.AppendAsync(spool, origin, connection.Stopping);
                        throw new ConnectionEndException(ConnectionEnd.ProtocolError, "the octet count is larger than Listeners:MaxOctetCount or not a number");
                    }

                    messages++;
                    bytes += frame.Length;
                    connection.MarkEstablished();
                    // Backpressure: while the spool is full the appends wait, and the connection is not read.
                    if (frame.IsSingleSegment)
                    {
                        batch.Add(frame.First);
                        if (batch.IsFull)
                        {
                            await batch.AppendAsync(spool, origin, connection.Stopping);
                        }
                    }
                    else
                    {
                        // Rare (a frame across two of the pipe's 64 KiB buffers): copied whole, after the frames before it.
                        await batch.AppendAsync(spool, origin, connection.Stopping);
                        await spool.AppendAsync(ReceivedMessage.Copy(frame, origin.Peer, transport, origin.ReceivedAt, origin.Node), connection.Stopping);
                    }
                }
            }
            finally
            {
                if (messages > 0)
                {
                    metrics.MessagesReceived(transport, messages, bytes);
                }

                reader.AdvanceTo(buffer.Start, buffer.End);
            }

            if (read.IsCompleted)
            {
                if (decoder.EndedInsideFrame)
                {
                    metrics.MessageIncomplete(transport);
                }

                return;
            }

            connection.LimitBuffered(buffer.Length);
        }
    }
}
