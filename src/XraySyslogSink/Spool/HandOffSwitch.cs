using System.Threading.Channels;
using XraySyslogSink.Core;

namespace XraySyslogSink.Spool;

/// <summary>
/// Decides by which of two paths each appended message reaches the parsers, so that each gets there exactly
/// once and in order. While the message queue has room (in number, and in bytes: <see cref="MessageQueueBudget"/>),
/// an appended message is handed on in memory and the
/// normal path never reads the disk. The first time the queue is full, forwarding switches to replay from the
/// spool, starting at that record; once the replay has caught up with the appends, it switches back. Not
/// thread-safe: the spool calls it under its lock, so a switch never races an append.
/// </summary>
internal sealed class HandOffSwitch(ChannelWriter<ReceivedMessage> messages, MessageQueueBudget budget)
{
    /// <summary>Whether the replay loop, not the appenders, forwards messages now.</summary>
    public bool Replaying { get; private set; }

    /// <summary>The segment the replay reads (while <see cref="Replaying"/>).</summary>
    public SpoolSegment? Segment { get; private set; }

    /// <summary>Offset in <see cref="Segment"/> of the next record to replay (a record boundary).</summary>
    public long Offset { get; private set; }

    /// <summary>The sequence number the record at <see cref="Offset"/> should carry.</summary>
    public long OffsetSequence { get; private set; }

    /// <summary>
    /// The next number to forward on either path. A message forwarded after a gap (numbers lost to damage)
    /// accounts for the gap (<see cref="ReceivedMessage.FirstSequence"/>), so the committed range stays contiguous.
    /// </summary>
    public long NextToForward { get; private set; } = 1;

    /// <summary>At start: replay from the first segment that outlived the checkpoint, or forward in memory when there is none.</summary>
    public void Start(long checkpoint, SpoolSegment? first)
    {
        NextToForward = checkpoint + 1;
        if (first is not null)
        {
            ReplayFrom(first, 0, first.FirstSequence);
        }
    }

    /// <summary>
    /// Hands a just-appended message on in memory when that path is in use and the queue has room; true when
    /// the queue took it (and ownership of its buffer). False: the replay forwards it from disk, and
    /// <paramref name="startedReplay"/> says whether this call switched to replay (the loop must be woken).
    /// </summary>
    public bool TryForward(in ReceivedMessage message, long sequence, SpoolSegment segment, long recordOffset, out bool startedReplay) =>
        TryForward(message.Bytes, message.Origin, message, sequence, segment, recordOffset, out startedReplay);

    /// <summary>
    /// As <see cref="TryForward(in ReceivedMessage, long, SpoolSegment, long, out bool)"/> for a message the spool was
    /// handed as bytes: the pooled in-memory copy is made only once the queue's budget has room for it (and released at
    /// once if the queue then refuses it), so a message that goes to the replay is not copied a second time.
    /// </summary>
    public bool TryForward(ReadOnlySpan<byte> bytes, in MessageOrigin origin, long sequence, SpoolSegment segment, long recordOffset, out bool startedReplay) =>
        TryForward(bytes, origin, owned: default, sequence, segment, recordOffset, out startedReplay);

    /// <summary>
    /// Hands on <paramref name="owned"/> (whose bytes <paramref name="bytes"/> are), or a pooled copy of
    /// <paramref name="bytes"/> when there is no such message (<c>default</c>): the spool's one entry for both.
    /// </summary>
    public bool TryForward(ReadOnlySpan<byte> bytes, in MessageOrigin origin, in ReceivedMessage owned, long sequence, SpoolSegment segment, long recordOffset, out bool startedReplay)
    {
        startedReplay = false;
        if (Replaying)
        {
            return false;
        }

        long cost = MessageQueueBudget.Cost(bytes.Length);
        if (budget.TryTake(cost))
        {
            bool copied = owned.Buffer is null;
            ReceivedMessage handed = copied ? ReceivedMessage.Copy(bytes, origin) : owned;
            if (messages.TryWrite(handed.WithSequence(NextToForward, sequence)))
            {
                NextToForward = sequence + 1;
                return true;
            }

            if (copied)
            {
                handed.Release();
            }

            budget.Release(cost);
        }

        ReplayFrom(segment, recordOffset, sequence);
        startedReplay = true;
        return false;
    }

    /// <summary>The replay forwarded the message numbered <paramref name="sequence"/>; the next record starts at <paramref name="nextOffset"/>.</summary>
    public void Forwarded(long sequence, long nextOffset)
    {
        NextToForward = sequence + 1;
        Offset = nextOffset;
        OffsetSequence = sequence + 1;
    }

    /// <summary>The replay moves on to <paramref name="next"/>, or back to memory forwarding when there is no later segment.</summary>
    public void SegmentDone(SpoolSegment? next)
    {
        if (next is null)
        {
            ReturnToMemory();
            return;
        }

        ReplayFrom(next, 0, next.FirstSequence);
    }

    /// <summary>The replay caught up with the appends (or has nothing left): forwarding returns to memory.</summary>
    public void ReturnToMemory()
    {
        Replaying = false;
        Segment = null;
    }

    private void ReplayFrom(SpoolSegment segment, long offset, long sequence)
    {
        Replaying = true;
        Segment = segment;
        Offset = offset;
        OffsetSequence = sequence;
    }
}
