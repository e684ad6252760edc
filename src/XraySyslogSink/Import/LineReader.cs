using System.Buffers;

namespace XraySyslogSink.Import;

/// <summary>
/// Reads <c>\n</c>-terminated lines (a trailing <c>\r</c> removed) as spans over one pooled buffer, without a string per
/// line. A last line without a newline still counts; a line longer than <see cref="MaxLineBytes"/> is cut there and the
/// rest of it skipped, so that line numbers always match the newline count <see cref="ImportSource"/> hashes.
/// </summary>
internal sealed class LineReader : IDisposable
{
    public const int MaxLineBytes = 1024 * 1024;

    private readonly Stream _stream;
    private byte[] _buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
    private int _start;
    private int _end;
    private bool _eof;
    private bool _skipping;

    public LineReader(Stream stream)
    {
        _stream = stream;
    }

    /// <summary>Lines returned so far.</summary>
    public long LineNumber { get; private set; }

    /// <summary>The next line, valid until the next call; false at the end of the input.</summary>
    public bool TryReadLine(out ReadOnlySpan<byte> line)
    {
        line = default;
        if (_skipping && !SkipRestOfLine())
        {
            return false;
        }

        int searchFrom = _start;
        while (true)
        {
            int newline = _buffer.AsSpan(searchFrom, _end - searchFrom).IndexOf((byte)'\n');
            if (newline >= 0)
            {
                int at = searchFrom + newline;
                line = TrimCr(_buffer.AsSpan(_start, at - _start));
                _start = at + 1;
                LineNumber++;
                return true;
            }

            if (_eof)
            {
                if (_end == _start)
                {
                    return false;
                }

                line = TrimCr(_buffer.AsSpan(_start, _end - _start));
                _start = _end;
                LineNumber++;
                return true;
            }

            if (_end - _start >= MaxLineBytes)
            {
                // Hand out the cut line; the rest of it is dropped at the next call (the span stays valid till then).
                line = _buffer.AsSpan(_start, MaxLineBytes);
                _start += MaxLineBytes;
                _skipping = true;
                LineNumber++;
                return true;
            }

            // Everything before _end has been searched; Fill moves the unread bytes to the front.
            int searched = _end - _start;
            Fill();
            searchFrom = _start + searched;
        }
    }

    public void Dispose()
    {
        if (_buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = [];
        }
    }

    private static ReadOnlySpan<byte> TrimCr(ReadOnlySpan<byte> line) =>
        line.Length > 0 && line[^1] == '\r' ? line[..^1] : line;

    /// <summary>Moves unread bytes to the front, grows the buffer when it is full, and reads more.</summary>
    private void Fill()
    {
        if (_start > 0)
        {
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
            _end -= _start;
            _start = 0;
        }

        if (_end == _buffer.Length)
        {
            byte[] larger = ArrayPool<byte>.Shared.Rent(Math.Min(_buffer.Length * 2, MaxLineBytes * 2));
            Buffer.BlockCopy(_buffer, 0, larger, 0, _end);
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = larger;
        }

        int read = _stream.Read(_buffer, _end, _buffer.Length - _end);
        if (read == 0)
        {
            _eof = true;
        }

        _end += read;
    }

    /// <summary>After an over-long line: drops the bytes up to and including its newline; false when the input ends first.</summary>
    private bool SkipRestOfLine()
    {
        while (true)
        {
            int newline = _buffer.AsSpan(_start, _end - _start).IndexOf((byte)'\n');
            if (newline >= 0)
            {
                _start += newline + 1;
                _skipping = false;
                return true;
            }

            _start = _end;
            if (_eof)
            {
                _skipping = false;
                return false;
            }

            Fill();
        }
    }
}
