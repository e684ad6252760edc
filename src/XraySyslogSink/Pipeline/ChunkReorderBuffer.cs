using System.Diagnostics.CodeAnalysis;
using XraySyslogSink.Core;

namespace XraySyslogSink.Pipeline;

/// <summary>What <see cref="ChunkReorderBuffer.Offer"/> did with a chunk.</summary>
internal enum ReorderOutcome
{
    /// <summary>Kept: it or the chunks it completes are taken with <see cref="ChunkReorderBuffer.TryTakeNext"/>.</summary>
    Kept,

    /// <summary>Refused: every sequence it covers was taken already. The caller releases it.</summary>
    Stale,

    /// <summary>Refused: a chunk starting at the same sequence is waiting already. The caller releases it.</summary>
    Duplicate,
}

/// <summary>
/// Puts spool chunks back into sequence order for the writer's exactly-once commit. Parallel parsers finish chunks
/// in any order; a chunk is handed out only once every sequence before it has been, so a batch always covers a
/// contiguous range and the checkpoint committed with it means "everything up to here".
/// </summary>
/// <remarks>
/// A chunk covering sequences that were handed out already is refused rather than committed twice (it cannot
/// happen unless something forwards a message twice). Chunks waiting for a predecessor that never comes (cut off
/// by shutdown) are released by <see cref="ReleaseWaiting"/>: they stay in the spool and are replayed at the next start.
/// </remarks>
internal sealed class ChunkReorderBuffer
{
    // Chunks not yet handed out, by first sequence number.
    private readonly SortedList<long, RecordChunk> _waiting = [];

    /// <param name="nextSequence">The first sequence not yet committed (the spool's checkpoint + 1).</param>
    public ChunkReorderBuffer(long nextSequence)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(nextSequence, 1);
        NextSequence = nextSequence;
    }

    /// <summary>The first sequence not yet handed out.</summary>
    public long NextSequence { get; private set; }

    /// <summary>Chunks kept but not yet handed out (their predecessor is missing).</summary>
    public int Waiting => _waiting.Count;

    /// <summary>Offers a chunk with a sequence range (<see cref="RecordChunk.HasSequence"/>).</summary>
    public ReorderOutcome Offer(RecordChunk chunk)
    {
        ArgumentNullException.ThrowIfNull(chunk);
        if (!chunk.HasSequence)
        {
            throw new ArgumentException("The chunk covers no spool sequence.", nameof(chunk));
        }

        if (chunk.LastSequence < NextSequence)
        {
            return ReorderOutcome.Stale;
        }

        return _waiting.TryAdd(chunk.FirstSequence, chunk) ? ReorderOutcome.Kept : ReorderOutcome.Duplicate;
    }

    /// <summary>Hands out the next chunk in sequence order, if its predecessors have all been handed out.</summary>
    public bool TryTakeNext([NotNullWhen(true)] out RecordChunk? chunk)
    {
        if (_waiting.Count > 0 && _waiting.Keys[0] <= NextSequence)
        {
            chunk = _waiting.Values[0];
            _waiting.RemoveAt(0);
            NextSequence = chunk.LastSequence + 1;
            return true;
        }

        chunk = null;
        return false;
    }

    /// <summary>Releases every waiting chunk (shutdown); returns how many there were.</summary>
    public int ReleaseWaiting()
    {
        int count = _waiting.Count;
        foreach (RecordChunk chunk in _waiting.Values)
        {
            chunk.Release();
        }

        _waiting.Clear();
        return count;
    }
}
