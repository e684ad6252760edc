using System.Buffers;

namespace XraySyslogSink.Syslog;

/// <summary>The outcome of one <see cref="SyslogFrameDecoder.TryReadFrame"/> call.</summary>
public enum FrameStatus : byte
{
    /// <summary>No complete frame in the buffer; read more.</summary>
    NeedMoreData,

    /// <summary>A frame was produced.</summary>
    Frame,

    /// <summary>A frame longer than the maximum message size was discarded whole; framing is still in sync.</summary>
    Oversize,

    /// <summary>The stream cannot be framed (e.g. an absurd octet count); the connection should be closed.</summary>
    ProtocolError,
}

/// <summary>
/// RFC 6587 framing for one TCP connection, detected per frame: octet counting (<c>LEN SP MSG</c>, LEN in bytes)
/// or non-transparent framing ended by LF, CRLF or NUL. Stateful: an oversize frame may be discarded across reads.
/// </summary>
public sealed class SyslogFrameDecoder
{
    public SyslogFrameDecoder(int maxMessageSize, long maxOctetCount)
    {
        MaxMessageSize = maxMessageSize;
        MaxOctetCount = maxOctetCount;
    }

    public int MaxMessageSize { get; }

    public long MaxOctetCount { get; }

    /// <summary>
    /// Consumes bytes from the front of <paramref name="buffer"/> (the caller then advances its reader to
    /// <c>buffer.Start</c>). On <see cref="FrameStatus.Frame"/>, <paramref name="frame"/> is the message without
    /// its framing and trailer, valid until the caller advances. Empty frames (blank lines) are skipped.
    /// </summary>
    public FrameStatus TryReadFrame(ref ReadOnlySequence<byte> buffer, out ReadOnlySequence<byte> frame)
    {
        throw new NotImplementedException();
    }

    /// <summary>At end of stream: the unterminated rest, if any, as a last frame (senders may omit the final LF).</summary>
    public FrameStatus TryReadFinalFrame(ref ReadOnlySequence<byte> buffer, out ReadOnlySequence<byte> frame)
    {
        throw new NotImplementedException();
    }
}
