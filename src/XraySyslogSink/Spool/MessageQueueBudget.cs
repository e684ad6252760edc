using System.Numerics;
using XraySyslogSink.Core;

namespace XraySyslogSink.Spool;

/// <summary>
/// Bounds the bytes of received messages held in memory between the spool and the parser workers
/// (<c>Pipeline:MessageQueueBytes</c>), whatever their sizes: the message queue bounds their number, this their
/// memory. The spool takes a message's cost before handing it on in memory and, when that would exceed the
/// budget, leaves the message on disk for the replay, which waits for room. The cost is held on through parsing
/// by the chunk the message's record joins (<see cref="RecordChunk.Hold"/>) and given back when the writer releases
/// that chunk after its commit, so the bound covers the records queue and the writer's batch too: with the database
/// down, what is beyond it waits on disk.
/// </summary>
internal sealed class MessageQueueBudget : IByteBudget
{
    private readonly object _gate = new();
    private long _bytes;
    private TaskCompletionSource? _freed;

    public MessageQueueBudget(long maxBytes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBytes, 1);
        MaxBytes = maxBytes;
    }

    public long MaxBytes { get; }

    /// <summary>Bytes held now.</summary>
    public long Bytes => Interlocked.Read(ref _bytes);

    /// <summary>Highest <see cref="Bytes"/> seen.</summary>
    public long PeakBytes { get; private set; }

    /// <summary>
    /// What a message of <paramref name="length"/> bytes costs in memory: the pooled buffer it was copied into
    /// (<see cref="MessageBufferPool"/> hands out powers of two) and its place in the queue.
    /// </summary>
    public static long Cost(int length) => BitOperations.RoundUpToPowerOf2((uint)Math.Max(length, 16)) + 64;

    /// <summary>
    /// Takes <paramref name="cost"/> when it fits; a message larger than the whole budget fits only into an empty
    /// one, so it still gets through.
    /// </summary>
    public bool TryTake(long cost)
    {
        lock (_gate)
        {
            if (_bytes > 0 && _bytes + cost > MaxBytes)
            {
                return false;
            }

            _bytes += cost;
            PeakBytes = Math.Max(PeakBytes, _bytes);
            return true;
        }
    }

    /// <summary>Waits until <paramref name="cost"/> fits, then takes it.</summary>
    public async ValueTask TakeAsync(long cost, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task freed;
            lock (_gate)
            {
                if (TryTake(cost))
                {
                    return;
                }

                _freed ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                freed = _freed.Task;
            }

            await freed.WaitAsync(cancellationToken);
        }
    }

    /// <summary>Gives back the cost of messages whose buffers were released.</summary>
    public void Release(long cost)
    {
        lock (_gate)
        {
            _bytes -= cost;
            _freed?.TrySetResult();
            _freed = null;
        }
    }
}
