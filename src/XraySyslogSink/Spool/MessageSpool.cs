using System.Diagnostics;
using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using XraySyslogSink.Core;
using XraySyslogSink.Telemetry;

namespace XraySyslogSink.Spool;

/// <summary>
/// The write-ahead spool. Listeners append under a short lock into a write buffer that reaches the page
/// cache within milliseconds; a background flusher fsyncs every <see cref="SpoolOptions.SyncInterval"/> (group
/// commit) and deletes segments the database has committed.
/// </summary>
/// <remarks>
/// Each message reaches the parsers by exactly one of two paths. While the message queue has room, the
/// appended message is also handed on in memory, so the normal path never reads the disk. The first time the
/// queue is full (database down, writer stalled), forwarding switches to a replay loop that reads the spool
/// from that record on, in order, and waits for room; once it has caught up with the appends, forwarding
/// switches back to memory. Both switches happen under the append lock, so order and uniqueness hold.
/// </remarks>
internal sealed partial class MessageSpool : IMessageSpool, ISpoolProgress, ISpoolGauges, IHostedService, IDisposable
{
    // Appends collect in memory up to this much before one write to the OS.
    private const int WriteThreshold = 256 * 1024;

    private readonly SpoolOptions _options;
    private readonly ChannelWriter<ReceivedMessage> _messages;
    private readonly Func<CancellationToken, Task<long>> _readCheckpoint;
    private readonly ILogger<MessageSpool> _logger;
    private readonly long _segmentBytes;
    private readonly object _lock = new();
    private readonly List<SpoolSegment> _segments = [];
    private readonly SemaphoreSlim _replayWake = new(0, 1);
    private readonly SemaphoreSlim _flushWake = new(0, 1);
    private readonly CancellationTokenSource _stop = new();

    private byte[] _buffer = new byte[WriteThreshold * 2];
    private int _buffered;
    private SpoolSegment? _active;
    private long _nextSequence = 1;
    private long _writtenSequence;
    private long _durableSequence;
    private long _committedSequence;
    private long _bytes;
    private bool _stopped = true;
    private bool _writeFailed;
    private bool _fullReported;

    // Replay state: while _replaying, the loop forwards from (_replaySegment, _replayOffset), expecting _replayNext.
    private bool _replaying;
    private SpoolSegment? _replaySegment;
    private long _replayOffset;
    private long _replayNext;

    private TaskCompletionSource _spaceFreed = NewSignal();
    private TaskCompletionSource _synced = NewSignal();
    private long _appended;
    private long _replayed;
    private long _corruptBytes;
    private FileStream? _lockFile;
    private Task _flusher = Task.CompletedTask;
    private Task _replayer = Task.CompletedTask;

    public MessageSpool(
        SpoolOptions options,
        ChannelWriter<ReceivedMessage> messages,
        Func<CancellationToken, Task<long>> readCheckpoint,
        SinkMetrics metrics,
        ILogger<MessageSpool> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(messages);
        ArgumentNullException.ThrowIfNull(metrics);
        _options = options;
        _messages = messages;
        _readCheckpoint = readCheckpoint;
        _logger = logger;
        _segmentBytes = options.EffectiveSegmentBytes;
        Metrics = metrics;
        metrics.TrackSpool(this);
    }

    public SinkMetrics Metrics { get; }

    /// <summary>Bytes of segment files on disk (plus the write buffer).</summary>
    public long Bytes => Interlocked.Read(ref _bytes);

    /// <summary>Spool:MaxBytes, the size at which appends wait (TCP, RELP) or drop (UDP).</summary>
    public long MaxBytes => _options.MaxBytes;

    public long Appended => Interlocked.Read(ref _appended);

    public long Replayed => Interlocked.Read(ref _replayed);

    public long CorruptBytes => Interlocked.Read(ref _corruptBytes);

    public long CommittedSequence => Interlocked.Read(ref _committedSequence);

    /// <summary>Highest sequence number synced to disk.</summary>
    public long DurableSequence => Interlocked.Read(ref _durableSequence);

    /// <summary>Highest sequence number handed out.</summary>
    public long LastSequence
    {
        get
        {
            lock (_lock)
            {
                return _nextSequence - 1;
            }
        }
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        string directory = Path.GetFullPath(_options.Directory);
        try
        {
            Directory.CreateDirectory(directory);
            _lockFile = new FileStream(Path.Combine(directory, "lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException ex)
        {
            throw new InvalidOperationException($"Spool:Directory '{directory}' cannot be used ({ex.Message}); is another xraysink using it?", ex);
        }
        catch (UnauthorizedAccessException ex)
        {
            throw new InvalidOperationException($"Spool:Directory '{directory}' is not writable: {ex.Message}", ex);
        }

        long checkpoint = await _readCheckpoint(cancellationToken);
        Open(directory, checkpoint);
        _stopped = false;
        _flusher = Task.Run(FlushLoopAsync, CancellationToken.None);
        _replayer = Task.Run(ReplayLoopAsync, CancellationToken.None);
    }

    /// <summary>Called after the writer has stopped: syncs what is appended, frees what is committed, closes the files.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            _stopped = true;
            ReleaseSpaceWaiters();
        }

        await _stop.CancelAsync();
        await Task.WhenAll(_flusher, _replayer).WaitAsync(cancellationToken);
        SyncOnce();
        DeleteCommitted();
        List<SpoolSegment> open;
        lock (_lock)
        {
            open = [.. _segments];
        }

        foreach (SpoolSegment segment in open)
        {
            segment.File?.Dispose();
            segment.File = null;
        }

        LogStopped(_bytes, _nextSequence - 1 - _committedSequence);
    }

    public void Dispose()
    {
        _lockFile?.Dispose();
        _stop.Dispose();
        _replayWake.Dispose();
        _flushWake.Dispose();
    }

    public bool TryAppend(ReceivedMessage message, out long sequence)
    {
        lock (_lock)
        {
            if (TryAppendLocked(message, out sequence))
            {
                return true;
            }
        }

        message.Release();
        return false;
    }

    public async ValueTask<long> AppendAsync(ReceivedMessage message, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task space;
            lock (_lock)
            {
                if (TryAppendLocked(message, out long sequence))
                {
                    return sequence;
                }

                if (_stopped)
                {
                    message.Release();
                    throw new ChannelClosedException("The spool is stopped.");
                }

                space = _spaceFreed.Task;
            }

            try
            {
                await space.WaitAsync(cancellationToken);
            }
            catch (OperationCanceledException)
            {
                message.Release();
                throw;
            }
        }
    }

    public async ValueTask WaitDurableAsync(long sequence, CancellationToken cancellationToken)
    {
        while (Interlocked.Read(ref _durableSequence) < sequence)
        {
            Task synced;
            lock (_lock)
            {
                synced = _synced.Task;
            }

            if (Interlocked.Read(ref _durableSequence) >= sequence)
            {
                return;
            }

            RequestSync();
            await synced.WaitAsync(cancellationToken);
        }
    }

    public void Committed(long sequence)
    {
        lock (_lock)
        {
            if (sequence > _committedSequence)
            {
                Interlocked.Exchange(ref _committedSequence, sequence);
            }
        }
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Finds the segments, drops what the database has committed, and plans the replay of the rest.</summary>
    private void Open(string directory, long checkpoint)
    {
        List<SpoolSegment> found = [];
        foreach (string path in Directory.EnumerateFiles(directory, "*" + SpoolSegment.Extension))
        {
            if (SpoolSegment.TryParseName(Path.GetFileName(path), out long first))
            {
                var segment = new SpoolSegment(directory, first);
                segment.Length = segment.WrittenLength = new FileInfo(path).Length;
                found.Add(segment);
            }
        }

        found.Sort((a, b) => a.FirstSequence.CompareTo(b.FirstSequence));
        long lastOnDisk = 0;
        for (int i = found.Count - 1; i >= 0 && lastOnDisk == 0; i--)
        {
            lastOnDisk = LastValidSequence(found[i]);
        }

        for (int i = 0; i < found.Count; i++)
        {
            found[i].LastSequence = i + 1 < found.Count ? found[i + 1].FirstSequence - 1 : Math.Max(lastOnDisk, found[i].FirstSequence - 1);
        }

        foreach (SpoolSegment segment in found)
        {
            if (segment.LastSequence <= checkpoint || segment.Length == 0)
            {
                File.Delete(segment.Path);
                continue;
            }

            _segments.Add(segment);
            _bytes += segment.Length;
        }

        _committedSequence = checkpoint;
        _nextSequence = Math.Max(lastOnDisk, checkpoint) + 1;
        _writtenSequence = _durableSequence = _nextSequence - 1;
        _replayNext = checkpoint + 1;
        if (_segments.Count > 0)
        {
            _replaying = true;
            _replaySegment = _segments[0];
            _replayOffset = 0;
            _replayWake.Release();
            LogReplaying(_segments.Count, _bytes, checkpoint + 1, _nextSequence - 1);
        }

        LogOpened(directory, checkpoint, _nextSequence);
    }

    private static long LastValidSequence(SpoolSegment segment)
    {
        using var reader = new SpoolSegmentReader(segment.Path, 0);
        long last = 0;
        while (reader.TryReadNext(segment.Length, out _, out long sequence))
        {
            last = Math.Max(last, sequence);
        }

        return last;
    }

    private bool TryAppendLocked(in ReceivedMessage message, out long sequence)
    {
        sequence = 0;
        int size = SpoolRecord.SizeOf(message.Length);
        // After a failed write the buffer waits for the flusher's retry; a failed file creation is retried here.
        if (_stopped || (_writeFailed && _buffered > 0))
        {
            return false;
        }

        if (_bytes + size > _options.MaxBytes)
        {
            if (!_fullReported)
            {
                _fullReported = true;
                LogFull(_options.MaxBytes);
            }

            return false;
        }

        if (_active is null || (_active.Length > 0 && _active.Length + size > _segmentBytes))
        {
            if (!WriteBufferLocked() || !StartSegmentLocked(_nextSequence))
            {
                return false;
            }
        }

        if (_buffered + size > _buffer.Length)
        {
            if (!WriteBufferLocked())
            {
                return false;
            }

            if (size > _buffer.Length)
            {
                _buffer = new byte[size];
            }
        }

        SpoolSegment active = _active!;
        sequence = _nextSequence++;
        long recordOffset = active.Length;
        SpoolRecord.Write(_buffer.AsSpan(_buffered), sequence, message);
        _buffered += size;
        active.Length += size;
        active.LastSequence = sequence;
        _bytes += size;
        _appended++;
        if (_buffered >= WriteThreshold)
        {
            WriteBufferLocked();
        }

        if (!_replaying)
        {
            // _replayNext is the next number to forward on either path; a message accounts for any gap before it.
            if (_messages.TryWrite(message.WithSequence(_replayNext, sequence)))
            {
                _replayNext = sequence + 1;
                return true;
            }

            // The queue is full: from this record on, the replay loop forwards from disk.
            _replaying = true;
            _replaySegment = active;
            _replayOffset = recordOffset;
            if (_replayWake.CurrentCount == 0)
            {
                _replayWake.Release();
            }
        }

        message.Release();
        return true;
    }

    private bool StartSegmentLocked(long firstSequence)
    {
        var segment = new SpoolSegment(Path.GetDirectoryName(_lockFile!.Name)!, firstSequence);
        try
        {
            segment.File = new FileStream(segment.Path, FileMode.Create, FileAccess.Write, FileShare.Read | FileShare.Delete, bufferSize: 0);
        }
        catch (IOException ex)
        {
            WriteFailed(ex);
            return false;
        }

        // The old active segment stays open until the flusher has synced it.
        _active = segment;
        _segments.Add(segment);
        if (_writeFailed)
        {
            Recover();
        }

        return true;
    }

    /// <summary>Hands the write buffer to the OS. False (the buffer kept, appends refused) when the disk refuses.</summary>
    private bool WriteBufferLocked()
    {
        if (_buffered == 0 || _active is null)
        {
            return true;
        }

        try
        {
            RandomAccess.Write(_active.File!.SafeFileHandle, _buffer.AsSpan(0, _buffered), _active.WrittenLength);
        }
        catch (IOException ex)
        {
            WriteFailed(ex);
            return false;
        }

        _active.WrittenLength += _buffered;
        _active.Dirty = true;
        _buffered = 0;
        _writtenSequence = _nextSequence - 1;
        if (_writeFailed)
        {
            Recover();
        }

        return true;
    }

    private void Recover()
    {
        _writeFailed = false;
        LogWriteRecovered();
        ReleaseSpaceWaiters();
    }

    private void WriteFailed(IOException ex)
    {
        // One line per outage, not one per message; appends wait until a later write succeeds.
        if (!_writeFailed)
        {
            _writeFailed = true;
            LogWriteFailed(ex.Message);
        }
    }

    private void ReleaseSpaceWaiters()
    {
        _spaceFreed.TrySetResult();
        _spaceFreed = NewSignal();
    }

    private void RequestSync()
    {
        try
        {
            if (_flushWake.CurrentCount == 0)
            {
                _flushWake.Release();
            }
        }
        catch (SemaphoreFullException)
        {
        }
    }

    private async Task FlushLoopAsync()
    {
        CancellationToken stop = _stop.Token;
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await _flushWake.WaitAsync(_options.SyncInterval, stop);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            try
            {
                SyncOnce();
                DeleteCommitted();
            }
            catch (IOException ex)
            {
                LogSyncFailed(ex.Message);
            }
        }
    }

    /// <summary>Writes the buffer, fsyncs every segment written since the last sync and wakes the durability waiters.</summary>
    private void SyncOnce()
    {
        List<SpoolSegment> dirty = [];
        long target;
        lock (_lock)
        {
            WriteBufferLocked();
            if (_writeFailed)
            {
                // Let held-back appenders try again once per interval (a file creation may succeed now).
                ReleaseSpaceWaiters();
            }

            target = _writtenSequence;
            foreach (SpoolSegment segment in _segments)
            {
                if (segment.Dirty && segment.File is not null)
                {
                    segment.Dirty = false;
                    dirty.Add(segment);
                }
            }
        }

        long started = Stopwatch.GetTimestamp();
        foreach (SpoolSegment segment in dirty)
        {
            segment.File!.Flush(flushToDisk: true);
        }

        if (dirty.Count > 0)
        {
            Metrics.SpoolSynced(Stopwatch.GetElapsedTime(started));
        }

        lock (_lock)
        {
            foreach (SpoolSegment segment in dirty)
            {
                if (segment != _active && !segment.Dirty)
                {
                    segment.File?.Dispose();
                    segment.File = null;
                }
            }

            if (target > _durableSequence)
            {
                Interlocked.Exchange(ref _durableSequence, target);
                _synced.TrySetResult();
                _synced = NewSignal();
            }
        }
    }

    /// <summary>Deletes segments whose every message is committed; an idle, fully committed active segment too.</summary>
    private void DeleteCommitted()
    {
        List<SpoolSegment> done = [];
        lock (_lock)
        {
            long committed = _committedSequence;
            for (int i = _segments.Count - 1; i >= 0; i--)
            {
                SpoolSegment segment = _segments[i];
                bool isActive = segment == _active;
                if (segment.LastSequence > committed || segment.Dirty || (isActive && (_buffered > 0 || _replaying || segment.Length == 0)))
                {
                    continue;
                }

                if (isActive)
                {
                    _active = null;
                }

                _segments.RemoveAt(i);
                _bytes -= segment.Length;
                done.Add(segment);
            }

            if (done.Count > 0)
            {
                _fullReported = false;
                ReleaseSpaceWaiters();
            }
        }

        foreach (SpoolSegment segment in done)
        {
            segment.File?.Dispose();
            segment.File = null;
            File.Delete(segment.Path);
        }
    }

    private async Task ReplayLoopAsync()
    {
        CancellationToken stop = _stop.Token;
        SpoolSegmentReader? reader = null;
        SpoolSegment? readerSegment = null;
        try
        {
            while (true)
            {
                await _replayWake.WaitAsync(stop);
                while (true)
                {
                    SpoolSegment segment;
                    long limit;
                    bool sealedSegment;
                    lock (_lock)
                    {
                        if (!_replaying)
                        {
                            break;
                        }

                        if (_replaySegment is null || (_replaySegment == _active && _replayNext >= _nextSequence))
                        {
                            // Caught up with the appends: forwarding returns to memory.
                            _replaying = false;
                            break;
                        }

                        segment = _replaySegment;
                        if (segment == _active)
                        {
                            WriteBufferLocked();
                        }

                        sealedSegment = segment != _active;
                        limit = segment.WrittenLength;
                    }

                    if (readerSegment != segment || reader is null || reader.Position != _replayOffset)
                    {
                        reader?.Dispose();
                        reader = new SpoolSegmentReader(segment.Path, _replayOffset);
                        readerSegment = segment;
                    }

                    long corruptBefore = reader.CorruptBytes;
                    bool progressed = false;
                    while (reader.TryReadNext(limit, out ReadOnlySpan<byte> record, out long sequence))
                    {
                        if (sequence < _replayNext)
                        {
                            continue;
                        }

                        ReceivedMessage message = SpoolRecord.ToMessage(record, _replayNext);
                        if (!_messages.TryWrite(message))
                        {
                            try
                            {
                                await _messages.WriteAsync(message, stop);
                            }
                            catch
                            {
                                message.Release();
                                throw;
                            }
                        }

                        progressed = true;
                        Interlocked.Increment(ref _replayed);
                        lock (_lock)
                        {
                            _replayNext = sequence + 1;
                            _replayOffset = reader.Position;
                        }
                    }

                    if (sealedSegment)
                    {
                        reader.SkipRest(limit);
                    }

                    ReportCorruption(segment, reader.CorruptBytes - corruptBefore);
                    lock (_lock)
                    {
                        _replayOffset = reader.Position;
                        if (sealedSegment)
                        {
                            // No later segment means nothing appended after this one: back to memory forwarding.
                            _replaySegment = NextSegmentLocked(segment);
                            _replayOffset = 0;
                            _replaying = _replaySegment is not null;
                        }
                    }

                    if (!sealedSegment && !progressed)
                    {
                        // Waiting for the disk to take the buffered appends again.
                        await Task.Delay(_options.SyncInterval, stop);
                    }
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
        catch (ChannelClosedException)
        {
            // Shutting down: what was not forwarded stays in the spool for the next start.
        }
        finally
        {
            reader?.Dispose();
        }
    }

    private SpoolSegment? NextSegmentLocked(SpoolSegment after)
    {
        foreach (SpoolSegment segment in _segments)
        {
            if (segment.FirstSequence > after.FirstSequence)
            {
                return segment;
            }
        }

        return null;
    }

    private void ReportCorruption(SpoolSegment segment, long bytes)
    {
        if (bytes <= 0)
        {
            return;
        }

        Interlocked.Add(ref _corruptBytes, bytes);
        LogCorrupt(bytes, segment.Path);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Spool {Directory} open: committed up to {Checkpoint}, next sequence {Next}")]
    private partial void LogOpened(string directory, long checkpoint, long next);

    [LoggerMessage(Level = LogLevel.Information, Message = "Replaying {Segments} spool segments ({Bytes} bytes), sequences {From} to {To}")]
    private partial void LogReplaying(int segments, long bytes, long from, long to);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Spool full (Spool:MaxBytes = {MaxBytes}): TCP senders are held back and UDP datagrams dropped until the database catches up")]
    private partial void LogFull(long maxBytes);

    [LoggerMessage(Level = LogLevel.Error, Message = "Spool write failed ({Error}); senders are held back until the disk takes writes again")]
    private partial void LogWriteFailed(string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "Spool writes succeed again")]
    private partial void LogWriteRecovered();

    [LoggerMessage(Level = LogLevel.Error, Message = "Spool sync failed: {Error}")]
    private partial void LogSyncFailed(string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Skipped {Bytes} corrupt bytes in spool segment {Path}; the valid records around them were replayed")]
    private partial void LogCorrupt(long bytes, string path);

    [LoggerMessage(Level = LogLevel.Information, Message = "Spool closed: {Bytes} bytes on disk, {Pending} messages not yet committed (replayed at the next start)")]
    private partial void LogStopped(long bytes, long pending);
}
