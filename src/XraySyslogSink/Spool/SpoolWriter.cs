using Microsoft.Extensions.Logging;
using XraySyslogSink.Core;

namespace XraySyslogSink.Spool;

/// <summary>
/// Appends records: numbers each message, collects records in a write buffer that reaches the OS in large
/// writes, starts a new segment when the active one is full, and syncs written segments to disk (the group
/// commit). Not thread-safe: the spool calls it under its lock, except <see cref="FlushToDisk"/>.
/// </summary>
internal sealed partial class SpoolWriter : IDisposable
{
    /// <summary>Appends collect in memory up to this much before one write to the OS.</summary>
    public const int WriteThreshold = 256 * 1024;

    private readonly ISpoolFileSystem _fileSystem;
    private readonly string _directory;
    private readonly RecordMac _mac;
    private readonly SegmentLedger _ledger;
    private readonly long _maxBytes;
    private readonly long _udpMaxBytes;
    private readonly long _segmentBytes;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly RecentRecordDigests? _digests;
    private byte[] _buffer = new byte[WriteThreshold * 2];
    private int _buffered;
    private bool _fullReported;
    private bool _udpFullReported;
    private int _lastRecordStart;
    private int _lastRecordSize;
    private long _lastRecordOffset;

    public SpoolWriter(ISpoolFileSystem fileSystem, string directory, SpoolKey key, SegmentLedger ledger, long nextSequence, long maxBytes, long segmentBytes, TimeProvider time, ILogger logger, double udpShare = 1.0, RecentRecordDigests? digests = null, int format = SpoolSegment.CurrentVersion)
    {
        _digests = digests;
        _udpMaxBytes = (long)(maxBytes * udpShare);
        _fileSystem = fileSystem;
        _directory = directory;
        _mac = key.CreateMac(format);
        _ledger = ledger;
        NextSequence = nextSequence;
        WrittenSequence = nextSequence - 1;
        _maxBytes = maxBytes;
        _segmentBytes = segmentBytes;
        _time = time;
        _logger = logger;
    }

    /// <summary>The number the next appended message gets.</summary>
    public long NextSequence { get; private set; }

    /// <summary>Highest sequence number handed to the OS.</summary>
    public long WrittenSequence { get; private set; }

    /// <summary>The segment appended to (null before the first append and after it was deleted).</summary>
    public SpoolSegment? Active { get; private set; }

    /// <summary>Bytes appended but not yet handed to the OS.</summary>
    public bool HasBuffered => _buffered > 0;

    /// <summary>Called (under the lock) when the disk takes writes again after <see cref="Failed"/>: held-back appenders may retry.</summary>
    public Action? WritesRecovered { get; set; }

    /// <summary>The disk refused the last write or file creation; appends wait until one succeeds.</summary>
    public bool Failed { get; private set; }

    /// <summary>
    /// Appends the message <paramref name="payload"/> from <paramref name="origin"/>, its bytes copied straight into
    /// the record: true with its sequence number and where its record starts; false when the spool is full or the disk
    /// refuses (nothing is taken).
    /// </summary>
    public bool TryAppend(ReadOnlySpan<byte> payload, in MessageOrigin origin, out long sequence, out long recordOffset)
    {
        sequence = 0;
        recordOffset = 0;
        int size = SpoolRecord.SizeOf(payload.Length, origin.Node);
        // After a failed write the buffer waits for the flusher's retry; a failed file creation is retried here.
        if (Failed && _buffered > 0)
        {
            return false;
        }

        if (origin.Transport == Transport.Udp && _ledger.Bytes + size + SpoolRecord.HeaderLength > _udpMaxBytes)
        {
            if (!_udpFullReported)
            {
                _udpFullReported = true;
                LogUdpShareFull(_udpMaxBytes);
            }

            return false;
        }

        if (_ledger.Bytes + size + SpoolRecord.HeaderLength > _maxBytes)
        {
            if (!_fullReported)
            {
                _fullReported = true;
                LogFull(_maxBytes);
            }

            return false;
        }

        if ((Active is null || Active.Length + size > _segmentBytes) && (!WriteBuffer() || !StartSegment()))
        {
            return false;
        }

        if (!Reserve(size))
        {
            return false;
        }

        SpoolSegment active = Active!;
        sequence = NextSequence++;
        recordOffset = active.Length;
        SpoolRecord.WriteMessage(_buffer.AsSpan(_buffered), sequence, payload, origin, _mac);
        _lastRecordStart = _buffered;
        _lastRecordSize = size;
        _lastRecordOffset = recordOffset;
        _buffered += size;
        active.Length += size;
        active.LastSequence = sequence;
        _ledger.Appended(size);
        if (_buffered >= WriteThreshold)
        {
            WriteBuffer();
        }

        return true;
    }

    /// <summary>
    /// Keeps the digest of the record the last successful <see cref="TryAppend"/> wrote, which the replay will
    /// forward, so that it need not compute the record's MAC again. Called before the next append (its bytes are
    /// still in the buffer, written to the OS or not).
    /// </summary>
    public void RememberLastForReplay() =>
        _digests?.Remember(NextSequence - 1, _lastRecordOffset, _buffer.AsSpan(_lastRecordStart, _lastRecordSize));

    /// <summary>Hands the write buffer to the OS. False (the buffer kept, appends refused) when the disk refuses.</summary>
    public bool WriteBuffer()
    {
        if (_buffered == 0 || Active is null)
        {
            return true;
        }

        try
        {
            Active.File!.Write(_buffer.AsSpan(0, _buffered), Active.WrittenLength);
        }
        catch (IOException ex)
        {
            WriteFailed(ex);
            return false;
        }

        Active.WrittenLength += _buffered;
        Active.Dirty = true;
        _buffered = 0;
        WrittenSequence = NextSequence - 1;
        Recovered();
        return true;
    }

    /// <summary>Writes the buffer and takes the segments written since the last sync, for <see cref="FlushToDisk"/>.</summary>
    public List<SpoolSegment> TakeDirty()
    {
        WriteBuffer();
        List<SpoolSegment> dirty = [];
        foreach (SpoolSegment segment in _ledger.Segments)
        {
            if (segment.Dirty && segment.File is not null)
            {
                segment.Dirty = false;
                dirty.Add(segment);
            }
        }

        return dirty;
    }

    /// <summary>The group commit: fsyncs <paramref name="dirty"/>. Called without the lock, so appends go on meanwhile.</summary>
    public static void FlushToDisk(List<SpoolSegment> dirty)
    {
        foreach (SpoolSegment segment in dirty)
        {
            segment.File!.FlushToDisk();
        }
    }

    /// <summary>Closes the synced segments no longer appended to (under the lock, after <see cref="FlushToDisk"/>).</summary>
    public void CloseSynced(List<SpoolSegment> synced)
    {
        foreach (SpoolSegment segment in synced)
        {
            if (segment != Active && !segment.Dirty)
            {
                segment.File?.Dispose();
                segment.File = null;
            }
        }
    }

    /// <summary>Forgets the active segment once the ledger has let it go (it was fully committed).</summary>
    public void Released(List<SpoolSegment> deleted)
    {
        if (Active is not null && deleted.Contains(Active))
        {
            Active = null;
        }

        if (deleted.Count > 0)
        {
            _fullReported = false;
            _udpFullReported = false;
        }
    }

    /// <summary>Closes every file (after the last sync).</summary>
    public void Dispose()
    {
        foreach (SpoolSegment segment in _ledger.Segments)
        {
            segment.File?.Dispose();
            segment.File = null;
        }

        _mac.Dispose();
    }

    private bool Reserve(int size)
    {
        if (_buffered + size <= _buffer.Length)
        {
            return true;
        }

        if (!WriteBuffer())
        {
            return false;
        }

        if (size > _buffer.Length)
        {
            _buffer = new byte[size];
        }

        return true;
    }

    private bool StartSegment()
    {
        var segment = new SpoolSegment(_directory, NextSequence, _mac.Version);
        try
        {
            segment.File = _fileSystem.Create(segment.Path);
        }
        catch (IOException ex)
        {
            WriteFailed(ex);
            return false;
        }

        // The old active segment stays open until the flusher has synced it.
        segment.CreatedAt = _time.GetUtcNow();
        int size = SpoolRecord.WriteSegmentStart(_buffer, segment.FirstSequence, segment.CreatedAt.Value, _mac);
        _buffered = size;
        segment.Length = size;
        Active = segment;
        _ledger.Add(segment);
        Recovered();
        return true;
    }

    private void Recovered()
    {
        if (Failed)
        {
            Failed = false;
            LogWriteRecovered();
            WritesRecovered?.Invoke();
        }
    }

    private void WriteFailed(IOException ex)
    {
        // One line per outage, not one per message; appends wait until a later write succeeds.
        if (!Failed)
        {
            Failed = true;
            LogWriteFailed(ex.Message);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Spool full (Spool:MaxBytes = {MaxBytes}): TCP senders are held back and UDP datagrams dropped until the database catches up")]
    private partial void LogFull(long maxBytes);

    [LoggerMessage(Level = LogLevel.Warning, Message = "UDP's share of the spool is full ({Bytes} bytes, Spool:UdpShare of Spool:MaxBytes): UDP datagrams are dropped until the database catches up; the rest is kept for stream senders")]
    private partial void LogUdpShareFull(long bytes);

    [LoggerMessage(Level = LogLevel.Error, Message = "Spool write failed ({Error}); senders are held back until the disk takes writes again")]
    private partial void LogWriteFailed(string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "Spool writes succeed again")]
    private partial void LogWriteRecovered();
}
