using System.Buffers;
using System.IO.Pipelines;
using FlushResult = System.IO.Pipelines.FlushResult;
using System.Threading.Channels;
using XraySyslogSink.Core;
using XraySyslogSink.Listeners.Security;
using XraySyslogSink.Listeners.Streams;
using XraySyslogSink.Spool;
using XraySyslogSink.Telemetry;

namespace XraySyslogSink.Listeners.Relp;

/// <summary>
/// The RELP protocol handler (rsyslog's <c>omrelp</c>, plain or <c>tls="on"</c>) of the stream listener core: runs a
/// <see cref="RelpSession"/> for each connection. A session refused at accept for the total limit is counted as one.
/// </summary>
internal sealed class RelpHandler(IMessageSpool spool, ListenerOptions options, SinkMetrics metrics, TimeProvider timeProvider) : IStreamHandler
{
    public Task RunAsync(StreamConnection connection) => new RelpSession(connection, spool, options, metrics, timeProvider).RunAsync();

    public void OnRefused(string reason)
    {
        if (reason == ConnectionAdmission.TooManyConnections)
        {
            metrics.RelpSessionRefused();
        }
    }
}

/// <summary>
/// One RELP connection. The receive side parses frames in order and appends each <c>syslog</c> message to the
/// spool; the acknowledge side answers in the same order, but only after the spool reports the messages durable.
/// It takes every answer that is waiting, waits once for the highest sequence among them and sends them in one
/// write, so a client's whole window costs one sync rather than one per message.
/// </summary>
internal sealed class RelpSession
{
    // The window: commands a client may have unanswered with us. RELP does not negotiate one (librelp's default is
    // 128); past this the session stops reading, so a client that ignores its window waits, and one that stops
    // reading our answers altogether is cut by Listeners:SendTimeout.
    internal const int MaxPendingResponses = 1024;
    private const int MaxResponsesPerWrite = 1024;

    private readonly StreamConnection _connection;
    private readonly IMessageSpool _spool;
    private readonly ListenerOptions _options;
    private readonly SinkMetrics _metrics;
    private readonly TimeProvider _timeProvider;
    private readonly CancellationToken _stop;
    private readonly CancellationToken _abort;
    private readonly Channel<PendingResponse> _responses = Channel.CreateBounded<PendingResponse>(
        new BoundedChannelOptions(MaxPendingResponses) { SingleReader = true, SingleWriter = true, FullMode = BoundedChannelFullMode.Wait });

    private volatile bool _sendTimedOut;

    public RelpSession(StreamConnection connection, IMessageSpool spool, ListenerOptions options, SinkMetrics metrics, TimeProvider timeProvider)
    {
        _connection = connection;
        _spool = spool;
        _options = options;
        _metrics = metrics;
        _timeProvider = timeProvider;
        _stop = connection.Stopping;
        _abort = connection.Aborted;
    }

    private enum ResponseKind : byte
    {
        Acknowledge,
        Opened,
        AlreadyOpen,
        RefusedNoVersion,
        RefusedNoSyslog,
        Closed,
    }

    /// <summary>
    /// Runs the session to its end, acknowledging everything it appended; ends other than the peer closing are
    /// thrown as <see cref="ConnectionEndException"/> for the listener core to report.
    /// </summary>
    public async Task RunAsync()
    {
        PipeWriter output = _connection.Output;
        _metrics.RelpSessionOpened();
        Task<bool> acknowledging = AcknowledgeAsync(output);
        ConnectionEnd end;
        string? detail = null;
        try
        {
            end = await ReceiveAsync();
        }
        catch (ConnectionEndException ex)
        {
            (end, detail) = (ex.End, ex.Detail);
        }
        catch (Exception ex) when (ex is OperationCanceledException or ChannelClosedException)
        {
            // Stopping, or the spool no longer takes messages: the daemon is stopping.
            end = ConnectionEnd.Shutdown;
        }
        catch (IOException ex)
        {
            (end, detail) = (ConnectionEnd.IOError, ex.Message);
        }
        finally
        {
            _responses.Writer.TryComplete();
        }

        if (_sendTimedOut)
        {
            // The acknowledge side gave up on the peer; whatever the receive side saw after that is a consequence.
            (end, detail) = (ConnectionEnd.SendTimeout, null);
        }

        try
        {
            // Everything appended is acknowledged before the session goes, so a stop duplicates nothing.
            bool peerListening = await acknowledging;
            if (peerListening && end is not (ConnectionEnd.Closed or ConnectionEnd.IOError))
            {
                RelpResponseWriter.WriteServerClose(output);
                await _connection.FlushAsync();
            }
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or ObjectDisposedException or ConnectionEndException)
        {
            // The peer is gone or the shutdown timeout passed; unacknowledged messages will be resent by the client.
        }

        _metrics.RelpSessionClosed(end.Name());
        if (end is not (ConnectionEnd.Closed or ConnectionEnd.ClientClose))
        {
            throw new ConnectionEndException(end, detail);
        }
    }

    private async Task<ConnectionEnd> ReceiveAsync()
    {
        PipeReader input = _connection.Input;
        InetValue peer = _connection.Peer;
        int expected = 1;
        bool opened = false;
        // A syslog frame may carry up to MaxOctetCount: a message over MaxMessageSize is still read whole,
        // counted and acknowledged (as TCP discards it), because refusing it would make the client resend it forever.
        int maxDataLength = Math.Max(_options.MaxOctetCount, RelpOffers.MaxOfferLength);
        while (true)
        {
            ReadResult read = await _connection.ReadAsync();
            ReadOnlySequence<byte> buffer = read.Buffer;
            long messages = 0;
            long bytes = 0;
            DateTimeOffset receivedAt = _timeProvider.GetUtcNow();
            try
            {
                while (true)
                {
                    RelpFrameStatus status = RelpFrameParser.TryReadFrame(ref buffer, maxDataLength, out RelpFrame frame, out RelpFrameError error);
                    if (status == RelpFrameStatus.NeedMoreData)
                    {
                        break;
                    }

                    if (status == RelpFrameStatus.Malformed)
                    {
                        throw Reject(error.ReasonName());
                    }

                    if (frame.TransactionNumber == 0)
                    {
                        // A hint: never answered.
                        continue;
                    }

                    if (frame.TransactionNumber != expected)
                    {
                        throw Reject("txnr_out_of_order");
                    }

                    expected = RelpFrameParser.NextTransactionNumber(expected);
                    switch (frame.Command)
                    {
                        case RelpCommand.Syslog when opened:
                            long sequence = -1;
                            if (frame.Data.Length > _options.MaxMessageSize)
                            {
                                _metrics.MessageOversize(Transport.Relp);
                            }
                            else
                            {
                                messages++;
                                bytes += frame.Data.Length;
                                ReadOnlySequence<byte> data = TrimTrailer(frame.Data);
                                var origin = new MessageOrigin(peer, Transport.Relp, receivedAt, _connection.Node);
                                // Straight from the pipe's buffer when the spool has room; a copy only to wait for room.
                                if (!data.IsSingleSegment || !_spool.TryAppend(data.FirstSpan, origin, out sequence))
                                {
                                    sequence = await _spool.AppendAsync(ReceivedMessage.Copy(data, peer, Transport.Relp, receivedAt, _connection.Node), _stop);
                                }
                            }

                            // Once appended the message must be answered even when stopping, or its client would send it twice.
                            await _responses.Writer.WriteAsync(new PendingResponse(frame.TransactionNumber, sequence, ResponseKind.Acknowledge), _abort);
                            break;

                        case RelpCommand.Syslog:
                            throw Reject("syslog_before_open");

                        case RelpCommand.Open:
                            RelpOpenVerdict verdict = opened ? RelpOpenVerdict.Accept : RelpOffers.Judge(frame.Data);
                            ResponseKind answer = opened ? ResponseKind.AlreadyOpen
                                : verdict == RelpOpenVerdict.Accept ? ResponseKind.Opened
                                : verdict == RelpOpenVerdict.NoVersion ? ResponseKind.RefusedNoVersion
                                : ResponseKind.RefusedNoSyslog;
                            await _responses.Writer.WriteAsync(new PendingResponse(frame.TransactionNumber, -1, answer), _stop);
                            if (verdict != RelpOpenVerdict.Accept)
                            {
                                throw Reject("open_refused");
                            }

                            opened = true;
                            _connection.MarkEstablished();
                            break;

                        case RelpCommand.Close:
                            await _responses.Writer.WriteAsync(new PendingResponse(frame.TransactionNumber, -1, ResponseKind.Closed), _stop);
                            return ConnectionEnd.ClientClose;

                        default:
                            throw Reject("unknown_command");
                    }
                }
            }
            finally
            {
                if (messages > 0)
                {
                    _metrics.MessagesReceived(Transport.Relp, messages, bytes);
                }

                input.AdvanceTo(buffer.Start, buffer.End);
            }

            if (read.IsCompleted)
            {
                if (!buffer.IsEmpty)
                {
                    _metrics.MessageIncomplete(Transport.Relp);
                }

                return ConnectionEnd.Closed;
            }

            _connection.LimitBuffered(buffer.Length);
        }
    }

    /// <summary>Answers in command order; returns false when the peer stopped listening.</summary>
    private async Task<bool> AcknowledgeAsync(PipeWriter output)
    {
        ChannelReader<PendingResponse> pending = _responses.Reader;
        var batch = new List<PendingResponse>(64);
        try
        {
            while (await pending.WaitToReadAsync(CancellationToken.None))
            {
                batch.Clear();
                long durableThrough = -1;
                while (batch.Count < MaxResponsesPerWrite && pending.TryRead(out PendingResponse response))
                {
                    batch.Add(response);
                    durableThrough = Math.Max(durableThrough, response.Sequence);
                }

                if (durableThrough >= 0)
                {
                    await _spool.WaitDurableAsync(durableThrough, _abort);
                }

                foreach (PendingResponse response in batch)
                {
                    RelpResponseWriter.WriteResponse(output, response.TransactionNumber, response.Kind switch
                    {
                        ResponseKind.Acknowledge => RelpResponseWriter.Ok,
                        ResponseKind.Opened => RelpOffers.AcceptedResponse,
                        ResponseKind.AlreadyOpen => RelpOffers.AlreadyOpenResponse,
                        ResponseKind.RefusedNoVersion => RelpOffers.NoVersionResponse,
                        ResponseKind.RefusedNoSyslog => RelpOffers.NoSyslogResponse,
                        _ => RelpResponseWriter.Ok,
                    });
                }

                FlushResult flushed = await _connection.FlushAsync();
                if (flushed.IsCompleted)
                {
                    return false;
                }
            }

            return true;
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or ObjectDisposedException or ConnectionEndException)
        {
            _sendTimedOut = ex is ConnectionEndException { End: ConnectionEnd.SendTimeout };
            // Keep the receive side from waiting on a full queue nobody drains.
            while (pending.TryRead(out _))
            {
            }

            _responses.Writer.TryComplete();
            return false;
        }
    }

    private ConnectionEndException Reject(string reason)
    {
        _metrics.RelpFrameRejected(reason);
        return new ConnectionEndException(ConnectionEnd.ProtocolError, reason);
    }

    /// <summary>A trailing LF, CR or NUL some senders add is framing, not content.</summary>
    private static ReadOnlySequence<byte> TrimTrailer(ReadOnlySequence<byte> data)
    {
        while (!data.IsEmpty)
        {
            SequencePosition lastPosition = data.GetPosition(data.Length - 1);
            byte last = data.Slice(lastPosition).FirstSpan[0];
            if (last is not ((byte)'\n' or (byte)'\r' or 0))
            {
                break;
            }

            data = data.Slice(0, data.Length - 1);
        }

        return data;
    }

    private readonly record struct PendingResponse(int TransactionNumber, long Sequence, ResponseKind Kind);
}
