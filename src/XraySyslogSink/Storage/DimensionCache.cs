using System.Buffers;
using System.Collections.Concurrent;
using System.Text;

namespace XraySyslogSink.Storage;

/// <summary>
/// Thread-safe map from a dimension's text (looked up by UTF-8 bytes, without allocating) to its id; bounded.
/// </summary>
/// <remarks>
/// Eviction keeps two generations: new entries go into the current one; a hit in the previous one is
/// promoted into the current one; when the current generation reaches half of <c>maxEntries</c> it becomes
/// the previous one and the old previous one is dropped. That is approximately LRU at the cost of one
/// dictionary swap, with no per-entry bookkeeping on the hot lookup path. Keys compare ordinally
/// (case-sensitive), because emails and tags are stored as written.
/// </remarks>
internal sealed class DimensionCache
{
    // Values up to this many UTF-8 bytes are decoded on the stack; longer ones use a pooled buffer.
    private const int StackDecodeLimit = 256;

    private readonly int _generationCapacity;
    private readonly Lock _rotateLock = new();
    private volatile Generation _current;
    private volatile Generation _previous;

    public DimensionCache(string name, int maxEntries)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxEntries, 1);
        Name = name;
        _generationCapacity = Math.Max(1, maxEntries / 2);
        _current = new Generation();
        _previous = new Generation();
    }

    public string Name { get; }

    /// <summary>Approximate number of entries (a promoted entry may be counted in both generations).</summary>
    public int Count => _current.Count + _previous.Count;

    public bool TryGetId(ReadOnlySpan<byte> utf8Value, out int id)
    {
        if (utf8Value.Length <= StackDecodeLimit)
        {
            // UTF-8 never decodes to more UTF-16 units than it has bytes.
            Span<char> chars = stackalloc char[utf8Value.Length];
            int length = Encoding.UTF8.GetChars(utf8Value, chars);
            return TryGetId(chars[..length], out id);
        }

        char[] rented = ArrayPool<char>.Shared.Rent(utf8Value.Length);
        try
        {
            int length = Encoding.UTF8.GetChars(utf8Value, rented);
            return TryGetId(rented.AsSpan(0, length), out id);
        }
        finally
        {
            ArrayPool<char>.Shared.Return(rented);
        }
    }

    public bool TryGetId(string value, out int id)
    {
        ArgumentNullException.ThrowIfNull(value);
        return TryGetId(value.AsSpan(), out id);
    }

    public void Set(string value, int id)
    {
        ArgumentNullException.ThrowIfNull(value);
        ArgumentOutOfRangeException.ThrowIfLessThan(id, 1);
        Add(_current, value, id);
    }

    private bool TryGetId(ReadOnlySpan<char> value, out int id)
    {
        Generation current = _current;
        if (current.Lookup.TryGetValue(value, out id))
        {
            return true;
        }

        if (_previous.Lookup.TryGetValue(value, out string? key, out id))
        {
            // Promote so that values still in use survive the next rotation.
            Add(current, key, id);
            return true;
        }

        return false;
    }

    private void Add(Generation generation, string value, int id)
    {
        if (generation.Map.TryAdd(value, id))
        {
            if (Interlocked.Increment(ref generation.Count) >= _generationCapacity)
            {
                Rotate(generation);
            }
        }
        else
        {
            // Ids only change if an operator deleted and re-created the row; the newest answer wins.
            generation.Map[value] = id;
        }
    }

    private void Rotate(Generation full)
    {
        lock (_rotateLock)
        {
            // Another thread may have rotated already.
            if (!ReferenceEquals(_current, full))
            {
                return;
            }

            _previous = full;
            _current = new Generation();
        }
    }

    private sealed class Generation
    {
        public readonly ConcurrentDictionary<string, int> Map;
        public readonly ConcurrentDictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> Lookup;
        public int Count;

        public Generation()
        {
            Map = new ConcurrentDictionary<string, int>(StringComparer.Ordinal);
            Lookup = Map.GetAlternateLookup<ReadOnlySpan<char>>();
        }
    }
}
