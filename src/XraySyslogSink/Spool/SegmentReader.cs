namespace XraySyslogSink.Spool;

/// <summary>
/// Reads the message records of one segment in order, from a record boundary on, and decides which to trust.
/// </summary>
/// <remarks>
/// Recovery rules, in order: a record must pass its check (the MAC of its segment's format, or the CRC in a format-1 segment); after a
/// record that fails, the reader resyncs by searching for the next record start one byte further on, and every
/// byte passed over counts as <see cref="CorruptBytes"/>. A record that passes must continue the sequence: its
/// number lies after the last one accepted and at most one more than the records the skipped bytes could have
/// held (<see cref="MinRecordSize"/> each), and not beyond what the ledger knows was appended
/// (<c>upperBound</c>); anything else is counted in <see cref="RejectedRecords"/> and passed over like damage.
/// A received-at time outside [segment creation − <see cref="EarliestBeforeCreation"/>, now + <see cref="LatestAhead"/>]
/// is clamped into it and counted in <see cref="ClampedTimes"/>, so a damaged clock field can neither date a line
/// in 2001 nor in the future.
/// </remarks>
internal sealed class SegmentReader : IDisposable
{
    /// <summary>How long before its segment began a message may have been received (held back by a full spool).</summary>
    public static readonly TimeSpan EarliestBeforeCreation = TimeSpan.FromDays(1);

    /// <summary>Clock skew tolerated ahead of now.</summary>
    public static readonly TimeSpan LatestAhead = TimeSpan.FromMinutes(5);

    private readonly ISpoolFile _file;
    private readonly SpoolSegment _segment;
    private readonly RecordMac? _mac;

    /// <summary>The bytes that start every record of the segment's format: what a resync searches for.</summary>
    private readonly byte[] _magic;
    private readonly RecentRecordDigests? _digests;
    private readonly long _upperBound;
    private readonly TimeProvider _time;
    private byte[] _buffer = new byte[256 * 1024];
    private long _bufferOffset;
    private int _start;
    private int _end;
    private long _lastAccepted;
    private long _skippedSinceAccepted;
    private bool _atEnd;

    /// <param name="file">The segment's file, open for reading (owned by the reader).</param>
    /// <param name="segment">The segment being read.</param>
    /// <param name="macs">MAC calculators under the spool key: the one of the segment's format checks its records (keyed segments).</param>
    /// <param name="offset">A record boundary: 0, or a <see cref="Position"/> this reader's kind returned.</param>
    /// <param name="nextSequence">The sequence number the record at <paramref name="offset"/> should carry.</param>
    /// <param name="upperBound">The highest sequence number the segment can hold (the next segment's first − 1).</param>
    /// <param name="time">The clock bounding received-at times.</param>
    /// <param name="digests">Digests of the records this process appended (keyed segments): a record matching its own stands for its MAC.</param>
    public SegmentReader(ISpoolFile file, SpoolSegment segment, RecordMacs macs, long offset, long nextSequence, long upperBound, TimeProvider time, RecentRecordDigests? digests = null)
    {
        _file = file;
        _segment = segment;
        _mac = macs.For(segment.Version);
        _magic = BitConverter.GetBytes(_mac is null ? LegacySpoolRecord.Magic : SpoolRecord.MagicOf(_mac.Version));
        _digests = digests;
        _bufferOffset = offset;
        _lastAccepted = nextSequence - 1;
        _upperBound = upperBound;
        _time = time;
    }

    /// <summary>Smallest record of the segment's format: the most records a run of damaged bytes can have held is its length over this.</summary>
    public int MinRecordSize => _mac is null ? LegacySpoolRecord.HeaderLength : SpoolRecord.HeaderLength;

    /// <summary>File offset of the next unread byte.</summary>
    public long Position => _bufferOffset + _start;

    public long CorruptBytes { get; private set; }

    public long RejectedRecords { get; private set; }

    public long ClampedTimes { get; private set; }

    /// <summary>Sequence number of the last message returned (or the one before the first expected).</summary>
    public long LastSequence => _lastAccepted;

    /// <summary>
    /// The next trusted message below <paramref name="limit"/> (a file offset), or false when none is complete there.
    /// The record is valid until the next call; <paramref name="receivedAt"/> is its received-at time, bounded.
    /// </summary>
    public bool TryReadNext(long limit, out SpoolRecordView record, out DateTimeOffset receivedAt)
    {
        while (true)
        {
            ReadOnlySpan<byte> available = _buffer.AsSpan(_start, _end - _start);
            RecordStatus status = _mac is null
                ? LegacySpoolRecord.TryRead(available, out record)
                : SpoolRecord.TryRead(available, _mac, out record, _digests, Position);
            if (status == RecordStatus.Incomplete)
            {
                if (Fill(limit))
                {
                    continue;
                }

                if (available.IsEmpty || !_atEnd)
                {
                    receivedAt = default;
                    return false;
                }

                // Nothing more to read, so this start is no record: a torn tail, or a damaged length field that
                // claims more than there is. Resyncing past it keeps the trusted records after it.
                Resync();
                continue;
            }

            if (status == RecordStatus.Valid && record.Kind == SpoolRecordKind.SegmentStart && Position == 0)
            {
                // The segment's own start record (its MAC binds it to this key): it dates the segment.
                _segment.CreatedAt ??= new DateTimeOffset(record.ReceivedAtTicks, TimeSpan.Zero);
                _start += record.Size;
                continue;
            }

            if (status == RecordStatus.Valid && record.Kind == SpoolRecordKind.Message && ContinuesSequence(record.Sequence))
            {
                _start += record.Size;
                _lastAccepted = record.Sequence;
                _skippedSinceAccepted = 0;
                receivedAt = Bound(record.ReceivedAtTicks);
                return true;
            }

            if (status == RecordStatus.Valid)
            {
                RejectedRecords++;
            }
            else if (SkipToClaimedEnd(limit))
            {
                continue;
            }

            Resync();
        }
    }

    /// <summary>Counts whatever lies between <see cref="Position"/> and <paramref name="limit"/> as corrupt (a torn tail).</summary>
    public long SkipRest(long limit)
    {
        long rest = Math.Max(0, limit - Position);
        CorruptBytes += rest;
        _skippedSinceAccepted += rest;
        _bufferOffset = Math.Max(limit, Position);
        _start = 0;
        _end = 0;
        return rest;
    }

    public void Dispose() => _file.Dispose();

    private bool ContinuesSequence(long sequence) =>
        sequence > _lastAccepted
        && sequence <= _upperBound
        && sequence - _lastAccepted <= 1 + (_skippedSinceAccepted / MinRecordSize);

    private DateTimeOffset Bound(long ticks)
    {
        DateTimeOffset now = _time.GetUtcNow();
        long latest = (now + LatestAhead).UtcTicks;
        long earliest = _segment.CreatedAt is { } created ? (created - EarliestBeforeCreation).UtcTicks : DateTimeOffset.UnixEpoch.UtcTicks;
        if (ticks < earliest || ticks > latest || ticks < 0 || ticks > DateTimeOffset.MaxValue.UtcTicks)
        {
            ClampedTimes++;
            return ticks > latest ? now : new DateTimeOffset(Math.Clamp(ticks, earliest, now.UtcTicks), TimeSpan.Zero);
        }

        return new DateTimeOffset(ticks, TimeSpan.Zero);
    }

    /// <summary>
    /// When the record that failed has a plausible header and the very next record in line starts where it
    /// claims to end, the damage lies inside it: skips it whole, so nothing inside its payload (sender bytes)
    /// is ever looked at for a record start. True when it skipped.
    /// </summary>
    private bool SkipToClaimedEnd(long limit)
    {
        ReadOnlySpan<byte> failed = _buffer.AsSpan(_start, _end - _start);
        int claimed = _mac is null ? LegacySpoolRecord.ClaimedSize(failed) : SpoolRecord.ClaimedSize(failed, _mac.Version);
        if (claimed <= 0)
        {
            return false;
        }

        while (true)
        {
            ReadOnlySpan<byte> next = _buffer.AsSpan(_start, _end - _start);
            if (next.Length < claimed)
            {
                if (Fill(limit))
                {
                    continue;
                }

                return false;
            }

            next = next[claimed..];
            RecordStatus status = _mac is null ? LegacySpoolRecord.TryRead(next, out SpoolRecordView record) : SpoolRecord.TryRead(next, _mac, out record, _digests, Position + claimed);
            if (status == RecordStatus.Incomplete && Fill(limit))
            {
                continue;
            }

            if (status != RecordStatus.Valid || record.Kind != SpoolRecordKind.Message || record.Sequence != _lastAccepted + 2 || record.Sequence > _upperBound)
            {
                return false;
            }

            _start += claimed;
            CorruptBytes += claimed;
            _skippedSinceAccepted += claimed;
            return true;
        }
    }

    /// <summary>Passes over the record start that failed, up to the next candidate start (or what cannot begin one).</summary>
    private void Resync()
    {
        ReadOnlySpan<byte> after = _buffer.AsSpan(_start + 1, _end - _start - 1);
        int next = after.IndexOf(_magic);
        int skip = next >= 0 ? next + 1 : Math.Max(1, _end - _start - (_magic.Length - 1));
        _start += skip;
        CorruptBytes += skip;
        _skippedSinceAccepted += skip;
    }

    /// <summary>Reads more of the file into the buffer; false when nothing more lies below <paramref name="limit"/>.</summary>
    private bool Fill(long limit)
    {
        long fileEnd = _bufferOffset + _end;
        _atEnd = fileEnd >= limit;
        if (_atEnd)
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
            Array.Resize(ref _buffer, Math.Min(_buffer.Length * 2, SpoolRecord.MaxPayloadLength + 4096 + 1));
        }

        int wanted = (int)Math.Min(_buffer.Length - _end, limit - fileEnd);
        int read = _file.Read(_buffer.AsSpan(_end, wanted), fileEnd);
        _end += read;
        _atEnd = read == 0;
        return read > 0;
    }
}
