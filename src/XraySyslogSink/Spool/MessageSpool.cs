using System.Diagnostics;
using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using XraySyslogSink.Core;
using XraySyslogSink.Telemetry;

namespace XraySyslogSink.Spool;

/// <summary>
/// The write-ahead spool, composed of small parts: <see cref="SpoolRecovery"/> opens it, <see cref="SpoolWriter"/>
/// appends and syncs (group commit every <see cref="SpoolOptions.SyncInterval"/>), <see cref="SegmentLedger"/>
/// knows the segments and frees the committed ones, <see cref="HandOffSwitch"/> and <see cref="SpoolReplayer"/>
/// hand messages to the parsers from memory or from disk, all on files behind <see cref="ISpoolFileSystem"/>.
/// This class owns the lock, the two background loops (flusher and replayer) and the waiting.
/// </summary>
internal sealed partial class MessageSpool : IMessageSpool, ISpoolProgress, ISpoolGauges, IHostedService, IDisposable
{
    private readonly SpoolOptions _options;
    private readonly ChannelWriter<ReceivedMessage> _messages;
    private readonly Func<CancellationToken, Task<long>> _readCheckpoint;
    private readonly ISpoolFileSystem _fileSystem;
    private readonly TimeProvider _time;
    private readonly ILogger<MessageSpool> _logger;
    private readonly SemaphoreSlim _flushWake = new(0, 1);
    private readonly CancellationTokenSource _stop = new();
    private readonly SpoolDamage _damage;
    private readonly MessageQueueBudget _budget;

    /// <summary>Most records one acquisition of the lock claims in a batch append (a receive slot's batch is 32).</summary>
    private const int ClaimsPerLock = 64;

    /// <summary>How long a sync waits for appenders to finish sealing the records it is to cover.</summary>
    private static readonly TimeSpan SealWaitLimit = TimeSpan.FromMilliseconds(100);

    [ThreadStatic]
    private static RecordClaim[]? _claimsOfThisThread;

    private SpoolState? _state;
    private SpoolReplayer? _replayer;
    private bool _stopped = true;
    private TaskCompletionSource _spaceFreed = NewSignal();
    private TaskCompletionSource _synced = NewSignal();
    private long _appended;
    private long _durableSequence;
    private long _committedSequence;
    private IDisposable? _directoryLock;
    private Task _flusher = Task.CompletedTask;
    private Task _replayLoop = Task.CompletedTask;

    public MessageSpool(
        SpoolOptions options,
        ChannelWriter<ReceivedMessage> messages,
        Func<CancellationToken, Task<long>> readCheckpoint,
        SinkMetrics metrics,
        ILogger<MessageSpool> logger,
        MessageQueueBudget? budget = null,
        TimeProvider? time = null,
        ISpoolFileSystem? fileSystem = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(messages);
        ArgumentNullException.ThrowIfNull(metrics);
        _options = options;
        _messages = messages;
        _readCheckpoint = readCheckpoint;
        _logger = logger;
        _time = time ?? TimeProvider.System;
        _fileSystem = fileSystem ?? (options.ReleasePageCache ? PhysicalSpoolFileSystem.Instance : PhysicalSpoolFileSystem.KeepingPageCache);
        _damage = new SpoolDamage(logger);
        _budget = budget ?? new MessageQueueBudget(long.MaxValue);
        Metrics = metrics;
        metrics.TrackSpool(this);
    }

    public SinkMetrics Metrics { get; }

    /// <summary>Bytes of segment files on disk (plus the write buffer).</summary>
    public long Bytes
    {
        get
        {
            SpoolState? state = _state;
            if (state is null)
            {
                return 0;
            }

            lock (state.Gate)
            {
                return state.Ledger.Bytes;
            }
        }
    }

    /// <summary>Spool:MaxBytes, the size at which appends wait (TCP, RELP) or drop (UDP).</summary>
    public long MaxBytes => _options.MaxBytes;

    public long Appended => Interlocked.Read(ref _appended);

    public long Replayed => _replayer?.Replayed ?? 0;

    /// <summary>Replayed records this run's digests vouched for, so their MACs were not computed again.</summary>
    internal long ReplayedByDigest => _state?.Digests?.Matched ?? 0;

    public long CorruptBytes => _damage.CorruptBytes;

    /// <summary>Records that passed their check but broke the sequence rules on replay (never forwarded).</summary>
    public long RejectedRecords => _damage.RejectedRecords;

    /// <summary>Replayed received-at times clamped into the plausible window.</summary>
    public long ClampedTimes => _damage.ClampedTimes;

    public long CommittedSequence => Interlocked.Read(ref _committedSequence);

    /// <summary>Highest sequence number synced to disk.</summary>
    public long DurableSequence => Interlocked.Read(ref _durableSequence);

    /// <summary>Highest sequence number handed out.</summary>
    public long LastSequence
    {
        get
        {
            SpoolState state = _state!;
            lock (state.Gate)
            {
                return state.Writer.NextSequence - 1;
            }
        }
    }

    /// <summary>Whether messages reach the parsers from disk now (after a full queue, or at start).</summary>
    internal bool Replaying
    {
        get
        {
            SpoolState state = _state!;
            lock (state.Gate)
            {
                return state.HandOff.Replaying;
            }
        }
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        string directory = Path.GetFullPath(_options.Directory);
        List<SpoolSegment> found;
        SpoolKey key;
        try
        {
            _directoryLock = _fileSystem.LockDirectory(directory);
            found = SpoolRecovery.Find(_fileSystem, directory);
            key = SpoolKey.LoadOrCreate(_fileSystem, directory, found.Exists(s => s.IsKeyed));
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
        var ledger = new SegmentLedger();
        SpoolRecovery.Result recovered;
        using (RecordMacs macs = key.CreateMacs())
        {
            recovered = SpoolRecovery.Recover(_fileSystem, found, macs, checkpoint, ledger, _time);
        }

        RecentRecordDigests digests = RecentRecordDigests.ForSpool(_options.MaxBytes);
        var writer = new SpoolWriter(_fileSystem, directory, key, ledger, recovered.NextSequence, _options.MaxBytes, _options.EffectiveSegmentBytes, _time, _logger, _options.UdpShare, digests, _options.SegmentFormat);
        var handOff = new HandOffSwitch(_messages, _budget);
        _state = new SpoolState(_fileSystem, _time, ledger, writer, handOff, digests);
        writer.WritesRecovered = ReleaseSpaceWaiters;
        _replayer = new SpoolReplayer(_state, _messages, _budget, key, _damage);
        _committedSequence = checkpoint;
        _durableSequence = recovered.NextSequence - 1;
        handOff.Start(checkpoint, ledger.Segments.Count > 0 ? ledger.Segments[0] : null);
        if (handOff.Replaying)
        {
            _replayer.Wake();
            LogReplaying(ledger.Segments.Count, ledger.Bytes, checkpoint + 1, recovered.NextSequence - 1);
        }

        LogOpened(directory, checkpoint, recovered.NextSequence);
        _stopped = false;
        _flusher = Task.Run(FlushLoopAsync, CancellationToken.None);
        _replayLoop = Task.Run(() => _replayer.RunAsync(_options.SyncInterval, _stop.Token), CancellationToken.None);
    }

    /// <summary>Called after the writer has stopped: syncs what is appended, frees what is committed, closes the files.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        SpoolState? state = _state;
        if (state is null)
        {
            return;
        }

        lock (state.Gate)
        {
            _stopped = true;
            ReleaseSpaceWaiters();
        }

        await _stop.CancelAsync();
        await Task.WhenAll(_flusher, _replayLoop).WaitAsync(cancellationToken);
        SyncOnce();
        DeleteCommitted();
        long bytes;
        long pending;
        lock (state.Gate)
        {
            state.Writer.Dispose();
            bytes = state.Ledger.Bytes;
            pending = state.Writer.NextSequence - 1 - state.Ledger.Committed;
        }

        LogStopped(bytes, pending);
    }

    public void Dispose()
    {
        _directoryLock?.Dispose();
        _stop.Dispose();
        _replayer?.Dispose();
        _flushWake.Dispose();
    }

    public bool TryAppend(ReadOnlySpan<byte> bytes, in MessageOrigin origin, out long sequence)
    {
        SpoolState state = _state!;
        RecordClaim claim;
        while (true)
        {
            lock (state.Gate)
            {
                if (TryAppendLocked(bytes, origin, owned: default, out claim))
                {
                    break;
                }

                if (!state.Writer.BuffersExhausted || _stopped)
                {
                    sequence = 0;
                    return false;
                }
            }

            WaitForBuffers(state);
        }

        Seal(state, claim);
        sequence = claim.Sequence;
        return true;
    }

    public int TryAppend(ReadOnlySpan<byte> buffer, ReadOnlySpan<MessageSlice> messages)
    {
        // One lock for the batch: with a lock per message, two receive threads handed it to each other for every
        // datagram, and the hand-offs (spinning, then sleeping and waking) cost them more than the appends. The
        // records are sealed after the lock, a chunk at a time.
        SpoolState state = _state!;
        RecordClaim[] claims = ClaimsOfThisThread();
        int appended = 0;
        while (!messages.IsEmpty)
        {
            int claimed = 0;
            int taken = 0;
            bool waitForBuffers = false;
            try
            {
                lock (state.Gate)
                {
                    for (; taken < messages.Length && claimed < claims.Length; taken++)
                    {
                        ref readonly MessageSlice message = ref messages[taken];
                        if (TryAppendLocked(buffer.Slice(message.Offset, message.Length), message.Origin, owned: default, out claims[claimed]))
                        {
                            claimed++;
                        }
                        else if (state.Writer.BuffersExhausted && !_stopped)
                        {
                            // Not refused for room: this message waits for the buffers, as the ones after it do.
                            waitForBuffers = true;
                            break;
                        }
                    }
                }
            }
            finally
            {
                SealAll(state, claims.AsSpan(0, claimed));
            }

            appended += claimed;
            messages = messages[taken..];
            if (waitForBuffers)
            {
                WaitForBuffers(state);
            }
        }

        return appended;
    }

    public int TryAppendInOrder(ReadOnlySpan<ReadOnlyMemory<byte>> messages, in MessageOrigin origin)
    {
        SpoolState state = _state!;
        RecordClaim[] claims = ClaimsOfThisThread();
        int appended = 0;
        while (appended < messages.Length)
        {
            int claimed = 0;
            int end = Math.Min(messages.Length, appended + claims.Length);
            try
            {
                lock (state.Gate)
                {
                    while (appended + claimed < end && TryAppendLocked(messages[appended + claimed].Span, origin, owned: default, out claims[claimed]))
                    {
                        claimed++;
                    }
                }
            }
            finally
            {
                SealAll(state, claims.AsSpan(0, claimed));
            }

            appended += claimed;
            if (appended < end)
            {
                break;
            }
        }

        return appended;
    }

    public async ValueTask<long> AppendAsync(ReceivedMessage message, CancellationToken cancellationToken)
    {
        SpoolState state = _state!;
        while (true)
        {
            Task space;
            RecordClaim claim;
            lock (state.Gate)
            {
                if (TryAppendLocked(message.Bytes, message.Origin, message, out claim))
                {
                    space = Task.CompletedTask;
                }
                else if (_stopped)
                {
                    message.Release();
                    throw new ChannelClosedException("The spool is stopped.");
                }
                else
                {
                    space = _spaceFreed.Task;
                }
            }

            if (claim.Exists)
            {
                // The record holds its own copy of the bytes: the message may already be the queue's.
                Seal(state, claim);
                return claim.Sequence;
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
        SpoolState state = _state!;
        while (Interlocked.Read(ref _durableSequence) < sequence)
        {
            Task synced;
            lock (state.Gate)
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
        SpoolState state = _state!;
        lock (state.Gate)
        {
            state.Ledger.Commit(sequence);
            Interlocked.Exchange(ref _committedSequence, state.Ledger.Committed);
        }
    }

    /// <summary>Writes the buffers, fsyncs every segment written since the last sync and wakes the durability waiters.</summary>
    internal void SyncOnce()
    {
        SpoolState state = _state!;
        List<SpoolSegment> dirty;
        long target;
        long claimed;
        lock (state.Gate)
        {
            state.Writer.WriteBuffer();
            claimed = state.Writer.NextSequence - 1;
        }

        // A buffer whose last records are being sealed right now is written by their appender in a moment.
        state.Writer.WaitWritten(claimed, SealWaitLimit);
        lock (state.Gate)
        {
            dirty = state.Writer.TakeDirty();
            if (state.Writer.Failed)
            {
                // Let held-back appenders try again once per interval (a file creation may succeed now).
                ReleaseSpaceWaiters();
            }

            target = state.Writer.WrittenSequence;
        }

        long started = Stopwatch.GetTimestamp();
        SpoolWriter.FlushToDisk(dirty);
        if (dirty.Count > 0)
        {
            Metrics.SpoolSynced(Stopwatch.GetElapsedTime(started));
        }

        lock (state.Gate)
        {
            state.Writer.CloseSynced(dirty);
            if (target > _durableSequence)
            {
                Interlocked.Exchange(ref _durableSequence, target);
                _synced.TrySetResult();
                _synced = NewSignal();
            }
        }
    }

    /// <summary>Deletes segments whose every message is committed; an idle, fully committed active segment too.</summary>
    internal void DeleteCommitted()
    {
        SpoolState state = _state!;
        List<SpoolSegment> done;
        lock (state.Gate)
        {
            SpoolWriter writer = state.Writer;
            done = state.Ledger.TakeDeletable(writer.Active, activeInUse: writer.HasBuffered || state.HandOff.Replaying);
            writer.Released(done);
            if (done.Count > 0)
            {
                ReleaseSpaceWaiters();
            }
        }

        foreach (SpoolSegment segment in done)
        {
            segment.File?.Dispose();
            segment.File = null;
            _fileSystem.Delete(segment.Path);
        }
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>
    /// Appends <paramref name="bytes"/> from <paramref name="origin"/> and hands the message on. With an
    /// <paramref name="owned"/> message (whose bytes these are) the queue takes that message, or it is released; without
    /// one (<c>default</c>) a pooled copy is made only if the queue takes it. True with the record to seal once the lock
    /// is let go (<see cref="Seal"/>, always); false: nothing appended, nothing released.
    /// </summary>
    private bool TryAppendLocked(ReadOnlySpan<byte> bytes, in MessageOrigin origin, in ReceivedMessage owned, out RecordClaim claim)
    {
        SpoolState state = _state!;
        if (_stopped || !state.Writer.TryClaim(bytes, origin, out claim))
        {
            claim = default;
            return false;
        }

        _appended++;
        if (!state.HandOff.TryForward(bytes, origin, owned, claim.Sequence, state.Writer.Active!, claim.Offset, out bool startedReplay))
        {
            claim = claim with { ForReplay = true };
            owned.Release();
            if (startedReplay)
            {
                _replayer!.Wake();
            }
        }

        return true;
    }

    /// <summary>Seals claimed records (without the lock), and writes the buffers that completes.</summary>
    private static void SealAll(SpoolState state, ReadOnlySpan<RecordClaim> claims)
    {
        bool completed = false;
        foreach (ref readonly RecordClaim claim in claims)
        {
            completed |= state.Writer.Seal(claim);
        }

        if (completed)
        {
            lock (state.Gate)
            {
                state.Writer.WriteBuffered();
            }
        }
    }

    private static void Seal(SpoolState state, in RecordClaim claim) => SealAll(state, new ReadOnlySpan<RecordClaim>(in claim));

    /// <summary>
    /// Waits (without the lock, having sealed its own claims) until a write buffer is free again: appenders that were
    /// kept from sealing (preempted) run again within a time slice or so. The wait a full lock used to be, without the lock.
    /// </summary>
    private static void WaitForBuffers(SpoolState state)
    {
        var spin = default(SpinWait);
        while (state.Writer.BuffersExhausted)
        {
            spin.SpinOnce();
        }
    }

    /// <summary>This thread's scratch for the claims of one batch (a receive thread's or a stream handler's).</summary>
    private static RecordClaim[] ClaimsOfThisThread() => _claimsOfThisThread ??= new RecordClaim[ClaimsPerLock];

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

    [LoggerMessage(Level = LogLevel.Information, Message = "Spool {Directory} open: committed up to {Checkpoint}, next sequence {Next}")]
    private partial void LogOpened(string directory, long checkpoint, long next);

    [LoggerMessage(Level = LogLevel.Information, Message = "Replaying {Segments} spool segments ({Bytes} bytes), sequences {From} to {To}")]
    private partial void LogReplaying(int segments, long bytes, long from, long to);

    [LoggerMessage(Level = LogLevel.Error, Message = "Spool sync failed: {Error}")]
    private partial void LogSyncFailed(string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "Spool closed: {Bytes} bytes on disk, {Pending} messages not yet committed (replayed at the next start)")]
    private partial void LogStopped(long bytes, long pending);
}
