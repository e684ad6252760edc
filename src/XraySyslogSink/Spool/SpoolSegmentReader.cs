using Microsoft.Win32.SafeHandles;

namespace XraySyslogSink.Spool;

/// <summary>
/// Reads the records of one segment file in order from a given offset. A record that fails its length or
/// CRC check is skipped by searching for the next magic number; the bytes skipped are added to
/// <see cref="CorruptBytes"/> so the caller can report them.
/// </summary>
internal sealed class SpoolSegmentReader : IDisposable
{
    private static readonly byte[] MagicBytes = BitConverter.GetBytes(SpoolRecord.Magic);

    private readonly SafeFileHandle _file;
    private byte[] _buffer = new byte[1024 * 1024];
    private long _bufferOffset;
    private int _start;
    private int _end;

    public SpoolSegmentReader(string path, long offset)
    {
        _file = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        _bufferOffset = offset;
    }

    /// <summary>File offset of the next unread byte.</summary>
    public long Position => _bufferOffset + _start;

    public long CorruptBytes { get; private set; }

    /// <summary>
    /// The next valid record below <paramref name="limit"/> (a file offset), or false when none is complete there;
    /// the span is valid until the next call.
    /// </summary>
    public bool TryReadNext(long limit, out ReadOnlySpan<byte> record, out long sequence)
    {
        while (true)
        {
            ReadOnlySpan<byte> available = _buffer.AsSpan(_start, _end - _start);
            SpoolRecord.Status status = SpoolRecord.TryRead(available, out int size, out sequence);
            if (status == SpoolRecord.Status.Valid)
            {
                record = available[..size];
                _start += size;
                return true;
            }

            if (status == SpoolRecord.Status.Corrupt)
            {
                Resync();
                continue;
            }

            if (!Fill(limit))
            {
                record = default;
                return false;
            }
        }
    }

    /// <summary>Counts whatever lies between <see cref="Position"/> and <paramref name="limit"/> as corrupt (a torn tail).</summary>
    public long SkipRest(long limit)
    {
        long rest = Math.Max(0, limit - Position);
        CorruptBytes += rest;
        _bufferOffset = limit;
        _start = 0;
        _end = 0;
        return rest;
    }

    public void Dispose() => _file.Dispose();

    private void Resync()
    {
        ReadOnlySpan<byte> after = _buffer.AsSpan(_start + 1, _end - _start - 1);
        int next = after.IndexOf(MagicBytes);
        int skip = next >= 0 ? next + 1 : Math.Max(1, _end - _start - (MagicBytes.Length - 1));
        _start += skip;
        CorruptBytes += skip;
    }

    /// <summary>Reads more of the file into the buffer; false when nothing more lies below <paramref name="limit"/>.</summary>
    private bool Fill(long limit)
    {
        long fileEnd = _bufferOffset + _end;
        if (fileEnd >= limit)
        {
            return false;
        }

        if (_start > 0)
        {
            _buffer.AsSpan(_start, _end - _start).CopyTo(_buffer);
            _bufferOffset += _start;
            _end -= _start;
            _start = 0;
        }

        if (_end == _buffer.Length)
        {
            Array.Resize(ref _buffer, Math.Min(_buffer.Length * 2, SpoolRecord.MaxPayloadLength + SpoolRecord.HeaderLength + 1));
        }

        int wanted = (int)Math.Min(_buffer.Length - _end, limit - fileEnd);
        int read = RandomAccess.Read(_file, _buffer.AsSpan(_end, wanted), fileEnd);
        _end += read;
        return read > 0;
    }
}
