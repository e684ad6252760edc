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
        PipeReader reader = connection.Input;
        while (true)
        {
            ReadResult read = await connection.ReadAsync();
            ReadOnlySequence<byte> buffer = read.Buffer;
            long messages = 0;
            long bytes = 0;
            DateTimeOffset receivedAt = timeProvider.GetUtcNow();
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
                        break;
                    }

                    if (status == FrameStatus.Oversize)
                    {
                        metrics.MessageOversize(transport);
                        continue;
                    }

                    if (status == FrameStatus.ProtocolError)
                    {
                        throw new ConnectionEndException(ConnectionEnd.ProtocolError, "the octet count is larger than Listeners:MaxOctetCount or not a number");
                    }

                    messages++;
                    bytes += frame.Length;
                    connection.MarkEstablished();
                    var message = ReceivedMessage.Copy(frame, connection.Peer, transport, receivedAt, connection.Node);
                    // Backpressure: while the spool is full this waits, and the connection is not read.
                    await spool.AppendAsync(message, connection.Stopping);
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
