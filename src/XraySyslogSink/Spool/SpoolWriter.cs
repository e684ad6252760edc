using Microsoft.Extensions.Logging;
using XraySyslogSink.Core;

namespace XraySyslogSink.Spool;

/// <summary>
/// Appends records: numbers each message, collects records in write buffers that reach the OS in large writes, in
/// order, starts a new segment when the active one is full, and syncs written segments to disk (the group commit).
/// An append is two steps: <see cref="TryClaim"/> (under the spool's lock: room, number, header and payload copy) and
/// <see cref="Seal"/> (after the lock: the record's MAC, on the appender's thread with its own calculator), so that
/// appenders on several threads compute their MACs side by side instead of one after another under the lock. A
/// buffer is written only once it is closed and every record in it is sealed, and only after every buffer before it,
/// by whoever completes it: the lock is never held to wait for a seal. Not thread-safe otherwise: the spool calls it
/// under its lock, except <see cref="Seal"/>, <see cref="WaitWritten"/> and <see cref="FlushToDisk"/>.
/// </summary>
internal sealed partial class SpoolWriter : IDisposable
{
    /// <summary>Appends collect in memory up to this much before one write to the OS.</summary>
    public const int WriteThreshold = 256 * 1024;

    /// <summary>
    /// Most write buffers at once (open, or closed and waiting for their last seal or their write): 9 MiB. More than
    /// two are needed only while an appender that claimed a record is kept from sealing it (preempted, on a loaded
    /// machine for a time slice or more) and the others go on filling buffers behind it; at the bound appends are
    /// refused until the buffers are written (<see cref="BuffersExhausted"/>: the spool's appenders wait and retry).
    /// </summary>
    public const int MaxBuffers = 32;

    /// <summary>Written buffers kept for reuse, so that a preempted appender does not cost a new buffer each time.</summary>
    private const int SpareBuffers = 4;

    /// <summary>A buffer's size: the threshold and room for the record that crosses it (a larger record gets a buffer of its own).</summary>
    private const int BufferCapacity = WriteThreshold + (32 * 1024);

    private readonly ISpoolFileSystem _fileSystem;
    private readonly string _directory;
    private readonly RecordMac _mac;
    private readonly ThreadLocal<RecordMac> _sealers;
    private readonly SegmentLedger _ledger;
    private readonly long _maxBytes;
    private readonly long _udpMaxBytes;
    private readonly long _segmentBytes;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly RecentRecordDigests? _digests;
    private readonly Queue<AppendBuffer> _closed = new();
    private readonly Stack<AppendBuffer> _spare = new();
    private AppendBuffer? _open;
    private long _writtenSequence;
    private bool _fullReported;
    private bool _udpFullReported;
    private volatile bool _buffersExhausted;
    private volatile bool _failed;
    private RecordClaim _last;

    public SpoolWriter(ISpoolFileSystem fileSystem, string directory, SpoolKey key, SegmentLedger ledger, long nextSequence, long maxBytes, long segmentBytes, TimeProvider time, ILogger logger, double udpShare = 1.0, RecentRecordDigests? digests = null, int format = SpoolSegment.CurrentVersion)
    {
        _digests = digests;
        _udpMaxBytes = (long)(maxBytes * udpShare);
        _fileSystem = fileSystem;
        _directory = directory;
        _mac = key.CreateMac(format);
        // Not tracked: a tracked value outlives its thread, and thread-pool threads come and go over a long run. The
        // calculators hold managed state only (and format 2's a handle with a finalizer), so the GC takes them.
        _sealers = new ThreadLocal<RecordMac>(() => key.CreateMac(format), trackAllValues: false);
        _ledger = ledger;
        NextSequence = nextSequence;
        _writtenSequence = nextSequence - 1;
        _maxBytes = maxBytes;
        _segmentBytes = segmentBytes;
        _time = time;
        _logger = logger;
    }

    /// <summary>The number the next appended message gets.</summary>
    public long NextSequence { get; private set; }

    /// <summary>Highest sequence number handed to the OS, with every number before it (read without the lock too).</summary>
    public long WrittenSequence => Volatile.Read(ref _writtenSequence);

    /// <summary>The segment appended to (null before the first append and after it was deleted).</summary>
    public SpoolSegment? Active { get; private set; }

    /// <summary>Bytes appended but not yet handed to the OS.</summary>
    public bool HasBuffered => _open is { Length: > 0 } || _closed.Count > 0;

    /// <summary>
    /// Called (under the lock) when held-back appenders may retry: the disk takes writes again after
    /// <see cref="Failed"/>, or write buffers are free again after <see cref="MaxBuffers"/>.
    /// </summary>
    public Action? WritesRecovered { get; set; }

    /// <summary>The disk refused the last write or file creation; appends wait until one succeeds. Read without the lock too.</summary>
    public bool Failed
    {
        get => _failed;
        private set => _failed = value;
    }

    /// <summary>
    /// The last append was refused because every write buffer waits for a seal (<see cref="MaxBuffers"/>), not for
    /// want of room or a failed disk: the appender should wait (outside the lock) until this clears and try again.
    /// Read without the lock.
    /// </summary>
    public bool BuffersExhausted => _buffersExhausted && !_failed;

    /// <summary>
    /// Appends the message <paramref name="payload"/> from <paramref name="origin"/> and seals its record at once: true
    /// with its sequence number and where its record starts; false when the spool is full or the disk refuses
    /// (nothing is taken). For a caller that appends from one thread (under the lock, or with no other appender).
    /// </summary>
    public bool TryAppend(ReadOnlySpan<byte> payload, in MessageOrigin origin, out long sequence, out long recordOffset)
    {
        if (!TryClaim(payload, origin, out RecordClaim claim))
        {
            sequence = 0;
            recordOffset = 0;
            return false;
        }

        SpoolRecord.Seal(claim.Record, _mac);
        if (claim.Buffer.Filled())
        {
            WriteBuffered();
        }

        _last = claim;
        sequence = claim.Sequence;
        recordOffset = claim.Offset;
        return true;
    }

    /// <summary>
    /// Appends the message <paramref name="payload"/> from <paramref name="origin"/> without its MAC (under the lock):
    /// true with the claim to <see cref="Seal"/> once the lock is let go (always: the buffer waits for it); false when
    /// the spool is full or the disk refuses (nothing is taken, nothing to seal).
    /// </summary>
    public bool TryClaim(ReadOnlySpan<byte> payload, in MessageOrigin origin, out RecordClaim claim)
    {
        claim = default;
        int size = SpoolRecord.SizeOf(payload.Length, origin.Node);
        // After a failed write the buffers wait for the flusher's retry; a failed file creation is retried here.
        if (Failed && HasBuffered)
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

        if ((Active is null || Active.Length + size > _segmentBytes) && !StartSegment())
        {
            return false;
        }

        // A buffer past the threshold goes to the OS before this record joins it: written now when its records are
        // sealed (the usual case), else by the appender that seals its last one.
        if ((_open is null || _open.Length >= WriteThreshold || !_open.HasRoom(size)) && !OpenBuffer(size))
        {
            return false;
        }

        SpoolSegment active = Active!;
        long sequence = NextSequence++;
        AppendBuffer buffer = _open!;
        int start = buffer.Claim(size, sequence);
        SpoolRecord.WriteUnsealedMessage(buffer.Bytes.AsSpan(start, size), sequence, payload, origin, _mac.Version);
        claim = new RecordClaim(buffer, start, size, sequence, active.Length);
        active.Length += size;
        active.LastSequence = sequence;
        _ledger.Appended(size);
        return true;
    }

    /// <summary>
    /// Computes the MAC of a claimed record (without the lock, on the appender's thread) and, when the replay will
    /// forward it (<see cref="RecordClaim.ForReplay"/>), keeps its digest so that the replay need not compute the MAC
    /// again. True when this completed a closed buffer: the caller then takes the lock and calls
    /// <see cref="WriteBuffered"/>.
    /// </summary>
    public bool Seal(in RecordClaim claim)
    {
        bool completed;
        try
        {
            Span<byte> record = claim.Record;
            SpoolRecord.Seal(record, _sealers.Value!);
            if (claim.ForReplay)
            {
                _digests?.Remember(claim.Sequence, claim.Offset, record);
            }
        }
        finally
        {
            // Even when sealing threw: the record then fails its MAC on replay (damage) and the buffer is not held up.
            completed = claim.Buffer.Filled();
        }

        return completed;
    }

    /// <summary>
    /// Keeps the digest of the record the last successful <see cref="TryAppend"/> wrote, which the replay will
    /// forward, so that it need not compute the record's MAC again. Called before the next append (its bytes are
    /// still in the buffer, written to the OS or not).
    /// </summary>
    public void RememberLastForReplay() =>
        _digests?.Remember(_last.Sequence, _last.Offset, _last.Record);

    /// <summary>
    /// Closes the open buffer and hands every complete buffer to the OS, in order; one still waiting for a seal is
    /// written by the appender that seals its last record. False (the buffers kept, appends refused) when the disk refuses.
    /// </summary>
    public bool WriteBuffer()
    {
        CloseOpen();
        return WriteBuffered();
    }

    /// <summary>Hands the complete buffers at the head of the queue to the OS, in order (under the lock). False when the disk refuses.</summary>
    public bool WriteBuffered()
    {
        while (_closed.TryPeek(out AppendBuffer? head) && head.IsComplete)
        {
            SpoolSegment segment = head.Segment;
            if (head.Length > 0)
            {
                try
                {
                    segment.File!.Write(head.Bytes.AsSpan(0, head.Length), head.FileOffset);
                }
                catch (IOException ex)
                {
                    WriteFailed(ex);
                    return false;
                }

                segment.WrittenLength = head.FileOffset + head.Length;
                segment.Dirty = true;
                if (head.LastSequence > 0)
                {
                    Volatile.Write(ref _writtenSequence, head.LastSequence);
                }

                Recovered();
            }

            segment.UnwrittenBuffers--;
            _closed.Dequeue();
            if (head.Bytes.Length == BufferCapacity && _spare.Count < SpareBuffers)
            {
                _spare.Push(head);
            }
        }

        if (_buffersExhausted && _closed.Count < MaxBuffers - 1)
        {
            _buffersExhausted = false;
            WritesRecovered?.Invoke();
        }

        return true;
    }

    /// <summary>
    /// Waits (without the lock) until every number up to <paramref name="sequence"/> is handed to the OS: the
    /// appenders still sealing records in a closed buffer are microseconds from writing it. Gives up after
    /// <paramref name="limit"/> or when the disk refuses (the caller then syncs what is written).
    /// </summary>
    public bool WaitWritten(long sequence, TimeSpan limit)
    {
        long started = System.Diagnostics.Stopwatch.GetTimestamp();
        var spin = default(SpinWait);
        while (WrittenSequence < sequence)
        {
            if (Failed || System.Diagnostics.Stopwatch.GetElapsedTime(started) > limit)
            {
                return false;
            }

            spin.SpinOnce();
        }

        return true;
    }

    /// <summary>Writes the buffers and takes the segments written since the last sync, for <see cref="FlushToDisk"/>.</summary>
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

    /// <summary>Closes the synced segments no longer appended to nor waiting for a buffer's write (under the lock, after <see cref="FlushToDisk"/>).</summary>
    public void CloseSynced(List<SpoolSegment> synced)
    {
        foreach (SpoolSegment segment in synced)
        {
            if (segment != Active && !segment.Dirty && segment.UnwrittenBuffers == 0)
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
        _sealers.Dispose();
    }

    /// <summary>Closes the open buffer (it takes no more claims) and queues it for its write.</summary>
    private void CloseOpen()
    {
        AppendBuffer? open = _open;
        if (open is null)
        {
            return;
        }

        _open = null;
        _closed.Enqueue(open);
        open.Close();
    }

    /// <summary>Closes the open buffer and opens another at the end of the active segment, with room for <paramref name="size"/>.</summary>
    private bool OpenBuffer(int size)
    {
        if (!CloseAndWrite())
        {
            return false;
        }

        Open(size);
        return true;
    }

    /// <summary>Closes the open buffer and writes what is complete; false when the disk refuses or no buffer is free.</summary>
    private bool CloseAndWrite()
    {
        CloseOpen();
        if (!WriteBuffered())
        {
            return false;
        }

        if (_closed.Count >= MaxBuffers - 1)
        {
            // Claims outstanding in every buffer: refuse until a seal completes one and it is written.
            _buffersExhausted = true;
            return false;
        }

        return true;
    }

    private void Open(int size)
    {
        AppendBuffer buffer = size <= BufferCapacity && _spare.TryPop(out AppendBuffer? spare) ? spare : new AppendBuffer(Math.Max(BufferCapacity, size));
        buffer.Open(Active!, Active!.Length);
        Active.UnwrittenBuffers++;
        _open = buffer;
    }

    private bool StartSegment()
    {
        if (!CloseAndWrite())
        {
            return false;
        }

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
        Active = segment;
        _ledger.Add(segment);
        Open(SpoolRecord.HeaderLength);
        int size = SpoolRecord.WriteSegmentStart(_open!.Take(SpoolRecord.HeaderLength), segment.FirstSequence, segment.CreatedAt.Value, _mac);
        segment.Length = size;
        _ledger.Appended(size);
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
