using System.Threading.Channels;
using XraySyslogSink.Core;

namespace XraySyslogSink.Spool;

/// <summary>
/// The replay loop: while <see cref="HandOffSwitch.Replaying"/>, forwards messages from disk in order, waiting
/// for room in the message queue, and moves through the segments until it has caught up with the appends.
/// </summary>
internal sealed class SpoolReplayer : IDisposable
{
    private readonly SpoolState _state;
    private readonly ChannelWriter<ReceivedMessage> _messages;
    private readonly RecordMacs _macs;
    private readonly SpoolDamage _damage;
    private readonly MessageQueueBudget _budget;
    private readonly SemaphoreSlim _wake = new(0, 1);
    private readonly SpoolNodeNames _nodeNames = new();
    private SegmentReader? _reader;
    private SpoolSegment? _readerSegment;
    private long _replayed;

    public SpoolReplayer(SpoolState state, ChannelWriter<ReceivedMessage> messages, MessageQueueBudget budget, SpoolKey key, SpoolDamage damage)
    {
        _budget = budget;
        _state = state;
        _messages = messages;
        _macs = key.CreateMacs();
        _damage = damage;
    }

    /// <summary>Messages forwarded from disk.</summary>
    public long Replayed => Interlocked.Read(ref _replayed);

    /// <summary>Tells the loop there is something to replay.</summary>
    public void Wake()
    {
        try
        {
            if (_wake.CurrentCount == 0)
            {
                _wake.Release();
            }
        }
        catch (SemaphoreFullException)
        {
        }
    }

    public async Task RunAsync(TimeSpan retryInterval, CancellationToken stop)
    {
        try
        {
            while (true)
            {
                await _wake.WaitAsync(stop);
                while (await ReplayStepAsync(retryInterval, stop))
                {
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
            _reader?.Dispose();
            _reader = null;
        }
    }

    public void Dispose()
    {
        _wake.Dispose();
        _macs.Dispose();
    }

    /// <summary>Forwards what one segment holds now; false once forwarding is back in memory.</summary>
    private async Task<bool> ReplayStepAsync(TimeSpan retryInterval, CancellationToken stop)
    {
        SpoolSegment segment;
        long forwardFrom;
        long limit;
        long upperBound;
        bool sealedSegment;
        long sealing = 0;
        lock (_state.Gate)
        {
            HandOffSwitch handOff = _state.HandOff;
            if (!handOff.Replaying)
            {
                return false;
            }

            SpoolWriter writer = _state.Writer;
            if (handOff.Segment is null || (handOff.Segment == writer.Active && handOff.NextToForward >= writer.NextSequence))
            {
                // Caught up with the appends: forwarding returns to memory.
                handOff.ReturnToMemory();
                return false;
            }

            segment = handOff.Segment;
            forwardFrom = handOff.NextToForward;
            if (segment == writer.Active)
            {
                writer.WriteBuffer();
            }

            if (segment.UnwrittenBuffers > 0 && !writer.Failed)
            {
                // Records still being sealed keep their buffer from the disk for a moment.
                sealing = segment.LastSequence;
            }

            // A segment appended to no more is read to its end once its last buffer is written.
            sealedSegment = segment != writer.Active && segment.UnwrittenBuffers == 0;
            limit = segment.WrittenLength;
            upperBound = _state.Ledger.UpperBound(segment);
            if (_readerSegment != segment || _reader is null || _reader.LastSequence + 1 != handOff.OffsetSequence || _reader.Position < handOff.Offset)
            {
                _reader?.Dispose();
                _reader = new SegmentReader(_state.FileSystem.OpenRead(segment.Path), segment, _macs, handOff.Offset, handOff.OffsetSequence, upperBound, _state.Time, _state.Digests);
                _readerSegment = segment;
            }
        }

        SegmentReader reader = _reader;
        SegmentDamage before = SegmentDamage.Of(reader);
        // The last message forwarded and where the record after it starts: told to the hand-off once per step, not
        // per message (only this loop reads that position while the replay forwards), to take the lock less often.
        long lastForwarded = 0;
        long nextOffset = 0;
        while (reader.TryReadNext(limit, out SpoolRecordView record, out DateTimeOffset receivedAt))
        {
            // Appenders leave NextToForward alone while the replay forwards, so the copy taken above stays current.
            long sequence = record.Sequence;
            if (sequence < forwardFrom)
            {
                continue;
            }

            // One copy at a time waits for room in the budget (in bytes), then in the queue (in number).
            ReceivedMessage message = record.ToMessage(forwardFrom, receivedAt, _nodeNames);
            long cost = MessageQueueBudget.Cost(message.Length);
            try
            {
                if (!_budget.TryTake(cost))
                {
                    await _budget.TakeAsync(cost, stop);
                }
            }
            catch
            {
                message.Release();
                throw;
            }

            if (!_messages.TryWrite(message))
            {
                try
                {
                    await _messages.WriteAsync(message, stop);
                }
                catch
                {
                    message.Release();
                    _budget.Release(cost);
                    throw;
                }
            }

            Interlocked.Increment(ref _replayed);
            lastForwarded = sequence;
            nextOffset = reader.Position;
            forwardFrom = sequence + 1;
        }

        bool progressed = lastForwarded > 0;
        if (progressed)
        {
            lock (_state.Gate)
            {
                _state.HandOff.Forwarded(lastForwarded, nextOffset);
            }
        }

        if (sealedSegment)
        {
            reader.SkipRest(limit);
        }

        _damage.Report(segment, SegmentDamage.Of(reader) - before);
        if (sealedSegment)
        {
            lock (_state.Gate)
            {
                // No later segment means nothing appended after this one: back to memory forwarding.
                _state.HandOff.SegmentDone(_state.Ledger.Next(segment));
            }

            return true;
        }

        if (!progressed)
        {
            // Waiting for appenders to seal the records they claimed, or for the disk to take the buffered appends again.
            if (sealing == 0 || !_state.Writer.WaitWritten(sealing, retryInterval))
            {
                await Task.Delay(retryInterval, stop);
            }
        }

        return true;
    }
}
