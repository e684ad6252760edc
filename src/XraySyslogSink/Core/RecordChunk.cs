using System.Buffers;

namespace XraySyslogSink.Core;

/// <summary>
/// The unit a parser worker hands to the writer: up to <see cref="Capacity"/> records in a pooled
/// array plus the dead letters met on the way. Sending chunks rather than single records keeps
/// channel synchronisation off the per-line cost.
/// </summary>
internal sealed class RecordChunk
{
    public const int DefaultCapacity = 512;

    /// <summary>
    /// Record arrays are rented by the parsers and returned by the writer after a commit, in bursts of a whole batch:
    /// the shared pool keeps only a few per core and let the rest become garbage that had lived long enough to
    /// reach the oldest generation (full collections, docs/performance.md). This pool keeps as many as the queues
    /// between the stages hold at most (256 chunks in the record queue and the writer's batches).
    /// </summary>
    private static readonly ArrayPool<AccessRecord> RecordArrays = ArrayPool<AccessRecord>.Create(1024 * 1024, 512);

    private AccessRecord[] _records;
    private List<DeadLetter>? _deadLetters;
    private IByteBudget? _budget;
    private long _heldBytes;
    private List<NodeSighting>? _nodes;

    public RecordChunk(int capacity = DefaultCapacity)
    {
        _records = RecordArrays.Rent(capacity);
    }

    public int Count { get; private set; }

    public int Capacity => _records.Length;

    public bool IsFull => Count == _records.Length;

    public bool IsEmpty => Count == 0 && (_deadLetters is null || _deadLetters.Count == 0);

    /// <summary>First spool sequence number this chunk accounts for (0 when not from the spool).</summary>
    public long FirstSequence { get; private set; }

    /// <summary>Last spool sequence number this chunk accounts for, skipped and dead-lettered messages included.</summary>
    public long LastSequence { get; private set; }

    public bool HasSequence => LastSequence > 0;

    /// <summary>Marks the contiguous range of spool sequence numbers whose messages produced this chunk.</summary>
    public void CoverSequences(long first, long last)
    {
        FirstSequence = first;
        LastSequence = last;
    }

    public Span<AccessRecord> Records => _records.AsSpan(0, Count);

    public IReadOnlyList<DeadLetter> DeadLetters => (IReadOnlyList<DeadLetter>?)_deadLetters ?? [];

    /// <summary>The nodes this chunk's messages came from, one entry each.</summary>
    public IReadOnlyList<NodeSighting> Nodes => (IReadOnlyList<NodeSighting>?)_nodes ?? [];

    public void AddNode(NodeSighting node) => (_nodes ??= []).Add(node);

    /// <summary>Reserves the next slot; the caller fills it in place.</summary>
    public ref AccessRecord Add()
    {
        if (Count == _records.Length)
        {
            throw new InvalidOperationException("The chunk is full.");
        }

        return ref _records[Count++];
    }

    /// <summary>Gives back the slot reserved by the last <see cref="Add"/> (the line turned out unusable).</summary>
    public void RemoveLast()
    {
        if (Count > 0)
        {
            // Cleared, so Release need clear only the slots in use.
            _records[--Count] = default;
        }
    }

    public void AddDeadLetter(DeadLetter deadLetter) => (_deadLetters ??= []).Add(deadLetter);

    /// <summary>
    /// Makes the chunk hold <paramref name="bytes"/> of <paramref name="budget"/> (what its messages took) until it is
    /// released, so the memory bound covers a message from the queue through parsing to the writer's commit.
    /// </summary>
    internal void Hold(IByteBudget budget, long bytes)
    {
        _budget = budget;
        _heldBytes += bytes;
    }

    /// <summary>Returns the record array to the pool and what the chunk held of its budget; the chunk must not be used afterwards.</summary>
    public void Release()
    {
        _budget?.Release(_heldBytes);
        _budget = null;
        _heldBytes = 0;
        AccessRecord[] records = _records;
        int used = Count;
        _records = [];
        Count = 0;
        if (records.Length > 0)
        {
            // Only the used slots can hold strings (new dimension values); a pooled array's tail was cleared before.
            records.AsSpan(0, used).Clear();
            RecordArrays.Return(records);
        }
    }
}
