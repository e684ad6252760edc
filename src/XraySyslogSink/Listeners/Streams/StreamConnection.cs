using System.IO.Pipelines;
using FlushResult = System.IO.Pipelines.FlushResult;
using System.Net;
using System.Net.Sockets;
using XraySyslogSink.Core;
using XraySyslogSink.Listeners.Security;

namespace XraySyslogSink.Listeners.Streams;

/// <summary>
/// One accepted connection as its layers and its protocol handler see it: the peer, the byte stream (the socket's,
/// or the <see cref="System.Net.Security.SslStream"/> a TLS layer put over it), the <see cref="PipeReader"/> and
/// <see cref="PipeWriter"/> the handler works on, and the idle policy of its reads: a connection that has not yet sent
/// a valid frame is closed after <c>Listeners:IdleTimeout</c> of quiet, one that has after
/// <c>Listeners:EstablishedIdleTimeout</c> (never, by default).
/// </summary>
internal sealed class StreamConnection : IAsyncDisposable
{
    private const int ReadBufferSize = 64 * 1024;
    private const int MinimumReadSize = 16 * 1024;

    private readonly Socket _socket;
    private readonly ConnectionAdmission _admission;
    private readonly AdmissionTicket _ticket;
    private readonly ListenerOptions _options;

    // Cancelled by the idle timer (on the injected clock) or when the listener stops; a fired timer ends the connection.
    private readonly CancellationTokenSource _quiet;
    private readonly CancellationTokenRegistration _stopLink;

    // Cancelled by the send timer (on the injected clock) or when the shutdown timeout aborts the connection.
    private readonly CancellationTokenSource _sending;
    private readonly CancellationTokenRegistration _abortLink;
    private ConnectionEnd? _endedBy;
    private Stream _stream;
    private PipeReader? _input;
    private PipeWriter? _output;

    private readonly PeerLogLimiter _logLimiter;

    public StreamConnection(Socket socket, EndPoint? remote, AdmissionTicket ticket, ConnectionAdmission admission, PeerLogLimiter logLimiter, ListenerOptions options, TimeProvider timeProvider, CancellationToken stopping, CancellationToken aborted)
    {
        _logLimiter = logLimiter;
        _socket = socket;
        _admission = admission;
        _ticket = ticket;
        _options = options;
        Remote = remote;
        Stopping = stopping;
        Aborted = aborted;
        _stream = new NetworkStream(socket, ownsSocket: true);
        _quiet = new CancellationTokenSource(Timeout.InfiniteTimeSpan, timeProvider);
        _stopLink = stopping.UnsafeRegister(static state => ((CancellationTokenSource)state!).Cancel(), _quiet);
        _sending = new CancellationTokenSource(Timeout.InfiniteTimeSpan, timeProvider);
        _abortLink = aborted.UnsafeRegister(static state => ((CancellationTokenSource)state!).Cancel(), _sending);
    }

    public EndPoint? Remote { get; }

    /// <summary>The node the listener established for this connection (certificate, network), or <c>default</c>.</summary>
    public NodeIdentity Node { get; set; }

    /// <summary>The peer address as stored with each message.</summary>
    public InetValue Peer => _ticket.Peer;

    /// <summary>Stop reading new input; what was already taken is still finished (RELP acknowledges it).</summary>
    public CancellationToken Stopping { get; }

    /// <summary>Give up at once (the shutdown timeout has passed).</summary>
    public CancellationToken Aborted { get; }

    /// <summary>Sent a valid frame or authenticated: the silent budgets and <c>Listeners:IdleTimeout</c> no longer apply.</summary>
    public bool Established => _ticket.Established;

    /// <summary>The current byte stream (plain, or the TLS layer's).</summary>
    public Stream Stream => _stream;

    public PipeReader Input => _input ??= PipeReader.Create(_stream, new StreamPipeReaderOptions(bufferSize: ReadBufferSize, minimumReadSize: MinimumReadSize, leaveOpen: true));

    public PipeWriter Output => _output ??= PipeWriter.Create(_stream, new StreamPipeWriterOptions(leaveOpen: true));

    /// <summary>A layer (TLS) replaces the byte stream; only before anything was read or written through the pipes.</summary>
    public void UseStream(Stream stream)
    {
        if (_input is not null || _output is not null)
        {
            throw new InvalidOperationException("the connection's pipes are already in use");
        }

        _stream = stream;
    }

    /// <summary>Whether a log line about this connection may be written now (the per-peer limit); otherwise it is counted.</summary>
    public bool MayLog() => _logLimiter.TryLog(Peer);

    public void MarkEstablished()
    {
        if (!_ticket.Established)
        {
            _admission.MarkEstablished(_ticket);
        }
    }

    /// <summary>
    /// Ends the connection from another task (a handler's send side giving up): a pending or later
    /// <see cref="ReadAsync"/> throws a <see cref="ConnectionEndException"/> with <paramref name="reason"/>.
    /// </summary>
    public void End(ConnectionEnd reason)
    {
        _endedBy ??= reason;
        _quiet.Cancel();
    }

    /// <summary>
    /// Flushes <see cref="Output"/>; a peer that takes nothing for <c>Listeners:SendTimeout</c> (its receive window and
    /// our send buffer full) ends the connection with <see cref="ConnectionEnd.SendTimeout"/>.
    /// </summary>
    public async ValueTask<FlushResult> FlushAsync()
    {
        _sending.CancelAfter(_options.SendTimeout > TimeSpan.Zero ? _options.SendTimeout : Timeout.InfiniteTimeSpan);
        try
        {
            FlushResult flushed = await Output.FlushAsync(_sending.Token);
            _sending.CancelAfter(Timeout.InfiniteTimeSpan);
            return flushed;
        }
        catch (OperationCanceledException) when (!Aborted.IsCancellationRequested)
        {
            End(ConnectionEnd.SendTimeout);
            throw new ConnectionEndException(ConnectionEnd.SendTimeout);
        }
    }

    /// <summary>Reads from <see cref="Input"/> under the idle policy; a quiet connection ends with <see cref="ConnectionEndException"/>.</summary>
    public async ValueTask<ReadResult> ReadAsync()
    {
        ArmIdleTimer();
        try
        {
            return await Input.ReadAsync(_quiet.Token);
        }
        catch (OperationCanceledException) when (!Stopping.IsCancellationRequested)
        {
            throw IdleEnd();
        }
    }

    /// <summary>
    /// Waits, under the idle policy, until the peer has sent at least one byte, without consuming it; false when the
    /// peer closed first. A TLS layer starts its handshake clock only then, so a client is never cut for being quiet.
    /// </summary>
    public async ValueTask<bool> WaitForFirstByteAsync()
    {
        ArmIdleTimer();
        byte[] first = new byte[1];
        try
        {
            return await _socket.ReceiveAsync(first, SocketFlags.Peek, _quiet.Token) > 0;
        }
        catch (OperationCanceledException) when (!Stopping.IsCancellationRequested)
        {
            throw IdleEnd();
        }
    }

    /// <summary>Ends the connection when a handler holds more than <c>Listeners:MaxBufferedBytesPerConnection</c> unconsumed.</summary>
    public void LimitBuffered(long unconsumed)
    {
        if (unconsumed > _options.MaxBufferedBytesPerConnection)
        {
            throw new ConnectionEndException(ConnectionEnd.BufferLimit);
        }
    }

    public async ValueTask DisposeAsync()
    {
        // The stream (and socket) first: whatever a pipe still holds is then dropped instead of being written to a
        // peer that may have stopped reading.
        await _stream.DisposeAsync();
        _socket.Dispose();
        await CompleteQuietlyAsync(_input, _output);
        await _stopLink.DisposeAsync();
        await _abortLink.DisposeAsync();
        _quiet.Dispose();
        _sending.Dispose();
    }

    private static async ValueTask CompleteQuietlyAsync(PipeReader? input, PipeWriter? output)
    {
        try
        {
            if (input is not null)
            {
                await input.CompleteAsync();
            }

            if (output is not null)
            {
                await output.CompleteAsync();
            }
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or OperationCanceledException)
        {
            // Unsent bytes of a connection that is gone: nothing to do with them.
        }
    }

    private void ArmIdleTimer()
    {
        TimeSpan timeout = Established ? _options.EstablishedIdleTimeout : _options.IdleTimeout;
        _quiet.CancelAfter(timeout > TimeSpan.Zero ? timeout : Timeout.InfiniteTimeSpan);
    }

    private ConnectionEndException IdleEnd() =>
        new(_endedBy ?? (Established ? ConnectionEnd.IdleTimeout : ConnectionEnd.SilentTimeout));
}
