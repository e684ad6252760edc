using System.Buffers;

namespace XraySyslogSink.Syslog;

/// <summary>The outcome of one <see cref="SyslogFrameDecoder.TryReadFrame"/> call.</summary>
internal enum FrameStatus : byte
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
/// <remarks>
/// A frame is octet-counted when it starts with digits immediately followed by a SP; digits followed by anything
/// else (a raw xray line, <c>2023/06/30 …</c>) start a non-transparent frame. LEN must be 1 to
/// <see cref="MaxOctetCount"/> without a leading zero (RFC 6587 <c>NONZERO-DIGIT *DIGIT</c>); anything else
/// after digits and a SP is a <see cref="FrameStatus.ProtocolError"/>, since the stream can no longer be trusted to
/// be in sync. CR, LF and NUL before a frame are skipped, so blank lines and a LF after an octet-counted frame
/// produce nothing.
/// </remarks>
internal sealed class SyslogFrameDecoder
{
    private const byte Lf = (byte)'\n';
    private const byte Cr = (byte)'\r';
    private const byte Nul = 0;
    private const byte Space = (byte)' ';

    // A digit run this long cannot be a length (long.MaxValue has 19 digits): such a line is non-transparent.
    private const int MaxDigitRun = 20;

    private readonly int _maxOctetDigits;

    // Bytes of an oversize octet-counted frame still to be thrown away.
    private long _skipRemaining;

    // An oversize non-transparent frame is being thrown away up to its terminator.
    private bool _discardingLine;

    // Bytes at the front of the buffer already searched for a terminator without success: a long message arriving
    // in many reads is then scanned once, not once per read.
    private long _scanned;

    public SyslogFrameDecoder(int maxMessageSize, long maxOctetCount)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxMessageSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxOctetCount, maxMessageSize);
        MaxMessageSize = maxMessageSize;
        MaxOctetCount = maxOctetCount;
        _maxOctetDigits = CountDigits(maxOctetCount);
    }

    public int MaxMessageSize { get; }

    public long MaxOctetCount { get; }

    /// <summary>
    /// Set by <see cref="TryReadFinalFrame"/> when the stream ended inside an octet-counted frame, whose bytes were
    /// then discarded; the listener may count it.
    /// </summary>
    public bool EndedInsideFrame { get; private set; }

    /// <summary>
    /// Consumes bytes from the front of <paramref name="buffer"/> (the caller then advances its reader to
    /// <c>buffer.Start</c>). On <see cref="FrameStatus.Frame"/>, <paramref name="frame"/> is the message without
    /// its framing and trailer, valid until the caller advances. Empty frames (blank lines) are skipped.
    /// </summary>
    public FrameStatus TryReadFrame(ref ReadOnlySequence<byte> buffer, out ReadOnlySequence<byte> frame) =>
        Read(ref buffer, out frame, endOfStream: false);

    /// <summary>
    /// At end of stream: the unterminated rest, if any, as a last frame (senders may omit the final LF).
    /// Call it in a loop like <see cref="TryReadFrame"/> until it returns <see cref="FrameStatus.NeedMoreData"/>,
    /// which then means the buffer is used up. An incomplete octet-counted frame is discarded: the call consumes it,
    /// sets <see cref="EndedInsideFrame"/> and returns <see cref="FrameStatus.NeedMoreData"/>. The tail of an
    /// oversize line being discarded yields <see cref="FrameStatus.Oversize"/>.
    /// </summary>
    public FrameStatus TryReadFinalFrame(ref ReadOnlySequence<byte> buffer, out ReadOnlySequence<byte> frame) =>
        Read(ref buffer, out frame, endOfStream: true);

    private FrameStatus Read(ref ReadOnlySequence<byte> buffer, out ReadOnlySequence<byte> frame, bool endOfStream)
    {
        frame = default;
        if (_skipRemaining > 0)
        {
            return Skip(ref buffer, endOfStream);
        }

        if (_discardingLine)
        {
            return DiscardLine(ref buffer, endOfStream);
        }

        SkipSeparators(ref buffer);
        if (buffer.IsEmpty)
        {
            return FrameStatus.NeedMoreData;
        }

        byte first = buffer.FirstSpan[0];
        if (IsDigit(first))
        {
            FrameStatus? counted = TryReadOctetCounted(ref buffer, out frame, endOfStream);
            if (counted is { } status)
            {
                return status;
            }
        }

        return ReadNonTransparent(ref buffer, out frame, endOfStream);
    }

    // Null when the frame is not octet-counted after all.
    private FrameStatus? TryReadOctetCounted(ref ReadOnlySequence<byte> buffer, out ReadOnlySequence<byte> frame, bool endOfStream)
    {
        frame = default;
        Span<byte> copy = stackalloc byte[MaxDigitRun + 1];
        scoped ReadOnlySpan<byte> head = buffer.FirstSpan;
        if (head.Length <= MaxDigitRun && buffer.Length > head.Length)
        {
            // The header straddles segments: look at it through a small copy.
            int n = (int)Math.Min(buffer.Length, copy.Length);
            buffer.Slice(0, n).CopyTo(copy);
            head = copy[..n];
        }

        int digits = 0;
        long length = 0;
        while (digits < head.Length && digits < MaxDigitRun && IsDigit(head[digits]))
        {
            // Saturate instead of overflowing; anything past the digit limit is rejected below anyway.
            length = length > long.MaxValue / 10 ? long.MaxValue : (length * 10) + (head[digits] - '0');
            digits++;
        }

        if (digits == MaxDigitRun)
        {
            return LongDigitRun(in buffer, endOfStream);
        }

        if (digits == head.Length)
        {
            // The digit run continues past what has arrived. At end of stream it was just a line of digits.
            return endOfStream ? null : FrameStatus.NeedMoreData;
        }

        if (head[digits] != Space)
        {
            return null;
        }

        if (head[0] == '0' || digits > _maxOctetDigits || length > MaxOctetCount)
        {
            return FrameStatus.ProtocolError;
        }

        long start = digits + 1;
        if (length > MaxMessageSize)
        {
            buffer = buffer.Slice(start);
            _skipRemaining = length;
            _scanned = 0;
            return Skip(ref buffer, endOfStream);
        }

        if (buffer.Length - start < length)
        {
            if (endOfStream)
            {
                buffer = buffer.Slice(buffer.End);
                EndedInsideFrame = true;
            }

            return FrameStatus.NeedMoreData;
        }

        frame = buffer.Slice(start, length);
        buffer = buffer.Slice(frame.End);
        _scanned = 0;
        return FrameStatus.Frame;
    }

    /// <summary>
    /// A frame starting with a digit run too long for a length. Only a SP right after the run makes it a (broken)
    /// octet count; anything else after it, or a run longer than a whole message, is the start of a plain line.
    /// The run is followed across segments, so the decision does not depend on how the stream was split into reads
    /// (found by fuzzing: looking at the first segment only framed the same bytes differently per split).
    /// </summary>
    private FrameStatus? LongDigitRun(in ReadOnlySequence<byte> buffer, bool endOfStream)
    {
        long window = Math.Min(buffer.Length, (long)MaxMessageSize + 2);
        long offset = 0;
        foreach (ReadOnlyMemory<byte> memory in buffer.Slice(0, window))
        {
            ReadOnlySpan<byte> span = memory.Span;
            int end = span.IndexOfAnyExceptInRange((byte)'0', (byte)'9');
            if (end >= 0)
            {
                return span[end] == Space ? FrameStatus.ProtocolError : null;
            }

            offset += span.Length;
        }

        // No end of the run yet: a run as long as a whole message is a plain (oversize) line; otherwise wait.
        return offset == (long)MaxMessageSize + 2 || endOfStream ? null : FrameStatus.NeedMoreData;
    }

    private FrameStatus ReadNonTransparent(ref ReadOnlySequence<byte> buffer, out ReadOnlySequence<byte> frame, bool endOfStream)
    {
        frame = default;

        // Room for a maximal message plus its CR LF: anything longer without a terminator is oversize.
        long window = Math.Min(buffer.Length, (long)MaxMessageSize + 2);
        long from = _scanned <= window ? _scanned : 0;
        long terminator = IndexOfTerminator(buffer, from, window);
        if (terminator < 0)
        {
            if (window == (long)MaxMessageSize + 2)
            {
                // A full window without a terminator: the frame is oversize whatever follows.
                buffer = buffer.Slice(window);
                _scanned = 0;
                _discardingLine = true;
                return DiscardLine(ref buffer, endOfStream);
            }

            if (endOfStream)
            {
                return TakeRest(ref buffer, out frame);
            }

            _scanned = window;
            return FrameStatus.NeedMoreData;
        }

        _scanned = 0;
        long length = terminator;
        if (length > 0 && ByteAt(buffer, terminator) == Lf && ByteAt(buffer, terminator - 1) == Cr)
        {
            length--;
        }

        if (length > MaxMessageSize)
        {
            buffer = buffer.Slice(terminator + 1);
            return FrameStatus.Oversize;
        }

        frame = buffer.Slice(0, length);
        buffer = buffer.Slice(terminator + 1);
        return FrameStatus.Frame;
    }

    private FrameStatus TakeRest(ref ReadOnlySequence<byte> buffer, out ReadOnlySequence<byte> frame)
    {
        frame = default;
        long length = buffer.Length;
        if (ByteAt(buffer, length - 1) == Cr)
        {
            length--;
        }

        _scanned = 0;
        if (length > MaxMessageSize)
        {
            buffer = buffer.Slice(buffer.End);
            return FrameStatus.Oversize;
        }

        frame = buffer.Slice(0, length);
        buffer = buffer.Slice(buffer.End);
        return FrameStatus.Frame;
    }

    private FrameStatus Skip(ref ReadOnlySequence<byte> buffer, bool endOfStream)
    {
        if (buffer.Length < _skipRemaining)
        {
            _skipRemaining -= buffer.Length;
            buffer = buffer.Slice(buffer.End);
            if (endOfStream)
            {
                _skipRemaining = 0;
                EndedInsideFrame = true;
            }

            return FrameStatus.NeedMoreData;
        }

        buffer = buffer.Slice(_skipRemaining);
        _skipRemaining = 0;
        return FrameStatus.Oversize;
    }

    private FrameStatus DiscardLine(ref ReadOnlySequence<byte> buffer, bool endOfStream)
    {
        long terminator = IndexOfTerminator(buffer, 0, buffer.Length);
        if (terminator < 0)
        {
            buffer = buffer.Slice(buffer.End);
            if (!endOfStream)
            {
                return FrameStatus.NeedMoreData;
            }
        }
        else
        {
            buffer = buffer.Slice(terminator + 1);
        }

        // The stream's end terminates the line being discarded just as a LF would.
        _discardingLine = false;
        return FrameStatus.Oversize;
    }

    private static void SkipSeparators(ref ReadOnlySequence<byte> buffer)
    {
        while (!buffer.IsEmpty)
        {
            ReadOnlySpan<byte> span = buffer.FirstSpan;
            int content = span.IndexOfAnyExcept(Lf, Cr, Nul);
            if (content == 0)
            {
                return;
            }

            buffer = buffer.Slice(content < 0 ? span.Length : content);
            if (content > 0)
            {
                return;
            }
        }
    }

    // Offset of the first LF or NUL in [from, to), or -1.
    private static long IndexOfTerminator(in ReadOnlySequence<byte> buffer, long from, long to)
    {
        if (buffer.IsSingleSegment)
        {
            int i = buffer.FirstSpan[(int)from..(int)to].IndexOfAny(Lf, Nul);
            return i < 0 ? -1 : from + i;
        }

        long offset = 0;
        foreach (ReadOnlyMemory<byte> memory in buffer)
        {
            if (offset >= to)
            {
                break;
            }

            ReadOnlySpan<byte> span = memory.Span;
            long segmentEnd = offset + span.Length;
            if (segmentEnd > from)
            {
                int start = (int)Math.Max(0, from - offset);
                int end = (int)(Math.Min(segmentEnd, to) - offset);
                int i = span[start..end].IndexOfAny(Lf, Nul);
                if (i >= 0)
                {
                    return offset + start + i;
                }
            }

            offset = segmentEnd;
        }

        return -1;
    }

    private static byte ByteAt(in ReadOnlySequence<byte> buffer, long offset)
    {
        ReadOnlySpan<byte> first = buffer.FirstSpan;
        return offset < first.Length ? first[(int)offset] : buffer.Slice(offset, 1).FirstSpan[0];
    }

    private static int CountDigits(long value)
    {
        int digits = 1;
        while (value >= 10)
        {
            value /= 10;
            digits++;
        }

        return digits;
    }

    private static bool IsDigit(byte b) => (uint)(b - '0') <= 9;
}
