using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using XraySyslogSink.Core;
using XraySyslogSink.Listeners.Security;
using XraySyslogSink.Spool;
using XraySyslogSink.Telemetry;

namespace XraySyslogSink.Listeners.Relp;

/// <summary>
/// One RELP connection. The receive side parses frames in order and appends each <c>syslog</c> message to the
/// spool; the acknowledge side answers in the same order, but only after the spool reports the messages durable.
/// It takes every answer that is waiting, waits once for the highest sequence among them and sends them in one
/// write, so a client's whole window costs one sync rather than one per message.
/// </summary>
internal sealed partial class RelpSession
{
    // Bounds the answers a client can have outstanding with us; a client that ignores its window waits here.
    private const int MaxPendingResponses = 4096;
    private const int MaxResponsesPerWrite = 1024;

    private readonly Stream _stream;
    private readonly EndPoint? _remote;
    private readonly InetValue _peer;
    private readonly IMessageSpool _spool;
    private readonly ListenerOptions _options;
    private readonly SinkMetrics _metrics;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly CancellationToken _stop;
    private readonly CancellationToken _abort;
    private readonly Channel<PendingResponse> _responses = Channel.CreateBounded<PendingResponse>(
        new BoundedChannelOptions(MaxPendingResponses) { SingleReader = true, SingleWriter = true, FullMode = BoundedChannelFullMode.Wait });

    /// <param name="stop">Stop reading new commands; what was already taken is still acknowledged.</param>
    /// <param name="abort">Give up at once, acknowledged or not (the shutdown timeout has passed).</param>
    public RelpSession(Stream stream, EndPoint? remote, InetValue peer, IMessageSpool spool, ListenerOptions options, SinkMetrics metrics, TimeProvider timeProvider, ILogger logger, CancellationToken stop, CancellationToken abort)
    {
        _stream = stream;
        _remote = remote;
        _peer = peer;
        _spool = spool;
        _options = options;
        _metrics = metrics;
        _timeProvider = timeProvider;
        _logger = logger;
        _stop = stop;
        _abort = abort;
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

    private enum SessionEnd
    {
        ClientClose,
        Disconnected,
        ProtocolError,
        IdleTimeout,
        Shutdown,
        IOError,
        TlsOnPlainPort,
        BufferLimit,
    }

    /// <summary>Check the first bytes for a TLS ClientHello (on the plain RELP port).</summary>
    public bool DetectTls { get; init; }

    /// <summary>Runs the session to its end; the stream is disposed. Tells the listener when it ended for a reason it counts.</summary>
    public async Task<StreamEnd> RunAsync()
    {
        EndPoint? remote = _remote;
        InetValue peer = _peer;
        Stream stream = _stream;
        PipeReader input = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 64 * 1024, minimumReadSize: 16 * 1024));
        PipeWriter output = PipeWriter.Create(stream);
        _metrics.RelpSessionOpened();
        LogSessionStarted(remote);
        Task<bool> acknowledging = AcknowledgeAsync(output, remote);
        SessionEnd end;
        try
        {
            end = await ReceiveAsync(input, peer, remote);
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            end = SessionEnd.Shutdown;
        }
        catch (IOException ex)
        {
            LogConnectionError(remote, ex.Message);
            end = SessionEnd.IOError;
        }
        catch (ChannelClosedException)
        {
            // The spool no longer takes messages: the daemon is stopping.
            end = SessionEnd.Shutdown;
        }
        finally
        {
            _responses.Writer.TryComplete();
        }

        try
        {
            // Everything appended is acknowledged before the session goes, so a stop duplicates nothing.
            bool peerListening = await acknowledging;
            if (peerListening && end is not (SessionEnd.Disconnected or SessionEnd.IOError or SessionEnd.TlsOnPlainPort))
            {
                RelpResponseWriter.WriteServerClose(output);
                await output.FlushAsync(_abort);
            }
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or ObjectDisposedException)
        {
            // The peer is gone or the shutdown timeout passed; unacknowledged messages will be resent by the client.
        }
        finally
        {
            await input.CompleteAsync();
            await output.CompleteAsync();
            await stream.DisposeAsync();
            string reason = EndName(end);
            _metrics.RelpSessionClosed(reason);
            LogSessionEnded(remote, reason);
        }

        return end switch
        {
            SessionEnd.TlsOnPlainPort => StreamEnd.TlsOnPlainPort,
            SessionEnd.BufferLimit => StreamEnd.BufferLimit,
            _ => StreamEnd.Closed,
        };
    }

    private async Task<SessionEnd> ReceiveAsync(PipeReader input, InetValue peer, EndPoint? remote)
    {
        using var idle = CancellationTokenSource.CreateLinkedTokenSource(_stop);
        int expected = 1;
        bool opened = false;
        // A syslog frame may carry up to MaxOctetCount: a message over MaxMessageSize is still read whole,
        // counted and acknowledged (as TCP discards it), because refusing it would make the client resend it forever.
        int maxDataLength = Math.Max(_options.MaxOctetCount, RelpOffers.MaxOfferLength);
        bool firstBytes = DetectTls;
        while (true)
        {
            idle.CancelAfter(_options.IdleTimeout);
            ReadResult read;
            try
            {
                read = await input.ReadAsync(idle.Token);
            }
            catch (OperationCanceledException) when (!_stop.IsCancellationRequested)
            {
                LogIdleTimeout(remote, _options.IdleTimeout);
                return SessionEnd.IdleTimeout;
            }

            ReadOnlySequence<byte> buffer = read.Buffer;
            StreamStart start = MisdirectedTls.Gate(input, read, ref firstBytes);
            if (start != StreamStart.Plain)
            {
                if (start == StreamStart.Tls)
                {
                    return SessionEnd.TlsOnPlainPort;
                }

                continue;
            }

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
                        return Reject(remote, error.ReasonName());
                    }

                    if (frame.TransactionNumber == 0)
                    {
                        // A hint: never answered.
                        continue;
                    }

                    if (frame.TransactionNumber != expected)
                    {
                        return Reject(remote, "txnr_out_of_order");
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
                                var message = ReceivedMessage.Copy(TrimTrailer(frame.Data), peer, Transport.Relp, receivedAt);
                                sequence = await _spool.AppendAsync(message, _stop);
                            }

                            // Once appended the message must be answered even when stopping, or its client would send it twice.
                            await _responses.Writer.WriteAsync(new PendingResponse(frame.TransactionNumber, sequence, ResponseKind.Acknowledge), _abort);
                            break;

                        case RelpCommand.Syslog:
                            return Reject(remote, "syslog_before_open");

                        case RelpCommand.Open:
                            RelpOpenVerdict verdict = opened ? RelpOpenVerdict.Accept : RelpOffers.Judge(frame.Data);
                            ResponseKind answer = opened ? ResponseKind.AlreadyOpen
                                : verdict == RelpOpenVerdict.Accept ? ResponseKind.Opened
                                : verdict == RelpOpenVerdict.NoVersion ? ResponseKind.RefusedNoVersion
                                : ResponseKind.RefusedNoSyslog;
                            await _responses.Writer.WriteAsync(new PendingResponse(frame.TransactionNumber, -1, answer), _stop);
                            if (verdict != RelpOpenVerdict.Accept)
                            {
                                return Reject(remote, "open_refused");
                            }

                            opened = true;
                            break;

                        case RelpCommand.Close:
                            await _responses.Writer.WriteAsync(new PendingResponse(frame.TransactionNumber, -1, ResponseKind.Closed), _stop);
                            return SessionEnd.ClientClose;

                        default:
                            return Reject(remote, "unknown_command");
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

                return SessionEnd.Disconnected;
            }

            if (buffer.Length > _options.MaxBufferedBytesPerConnection)
            {
                LogBufferLimit(remote, _options.MaxBufferedBytesPerConnection);
                return SessionEnd.BufferLimit;
            }
        }
    }

    /// <summary>Answers in command order; returns false when the peer stopped listening.</summary>
    private async Task<bool> AcknowledgeAsync(PipeWriter output, EndPoint? remote)
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

                System.IO.Pipelines.FlushResult flushed = await output.FlushAsync(_abort);
                if (flushed.IsCompleted)
                {
                    return false;
                }
            }

            return true;
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or ObjectDisposedException)
        {
            LogAcknowledgeFailed(remote, ex.Message);
            // Keep the receive side from waiting on a full queue nobody drains.
            while (pending.TryRead(out _))
            {
            }

            _responses.Writer.TryComplete();
            return false;
        }
    }

    private SessionEnd Reject(EndPoint? remote, string reason)
    {
        _metrics.RelpFrameRejected(reason);
        LogRejected(remote, reason);
        return SessionEnd.ProtocolError;
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

    private static string EndName(SessionEnd end) => end switch
    {
        SessionEnd.ClientClose => "client_close",
        SessionEnd.Disconnected => "disconnected",
        SessionEnd.ProtocolError => "protocol_error",
        SessionEnd.IdleTimeout => "idle_timeout",
        SessionEnd.Shutdown => "shutdown",
        SessionEnd.TlsOnPlainPort => MisdirectedTls.Reason,
        SessionEnd.BufferLimit => StreamEndReasons.BufferLimit,
        _ => "io_error",
    };

    private readonly record struct PendingResponse(int TransactionNumber, long Sequence, ResponseKind Kind);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Closing RELP session from {Remote}: more than {Limit} bytes buffered (Listeners:MaxBufferedBytesPerConnection)")]
    private partial void LogBufferLimit(EndPoint? remote, int limit);

    [LoggerMessage(Level = LogLevel.Debug, Message = "RELP session from {Remote} started")]
    private partial void LogSessionStarted(EndPoint? remote);

    [LoggerMessage(Level = LogLevel.Debug, Message = "RELP session from {Remote} ended: {Reason}")]
    private partial void LogSessionEnded(EndPoint? remote, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Closing RELP session from {Remote}: {Reason}")]
    private partial void LogRejected(EndPoint? remote, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "RELP session from {Remote} idle for {Timeout}; closed")]
    private partial void LogIdleTimeout(EndPoint? remote, TimeSpan timeout);

    [LoggerMessage(Level = LogLevel.Debug, Message = "RELP session from {Remote} failed: {Error}")]
    private partial void LogConnectionError(EndPoint? remote, string error);

    [LoggerMessage(Level = LogLevel.Debug, Message = "RELP session from {Remote}: acknowledgements stopped: {Error}")]
    private partial void LogAcknowledgeFailed(EndPoint? remote, string error);
}
