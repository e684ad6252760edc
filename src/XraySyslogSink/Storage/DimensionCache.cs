using System.Buffers;
using System.IO.Hashing;
using System.Text;
using System.Text.Unicode;

namespace XraySyslogSink.Storage;

/// <summary>
/// Thread-safe map from a dimension's text, as UTF-8 bytes, to its id; bounded. Lookups do not allocate.
/// </summary>
/// <remarks>
/// Eviction keeps two generations (<see cref="Utf8KeyTable"/>): new entries go into the current one; a hit in the
/// previous one is promoted into the current one; when the current generation reaches half of <c>maxEntries</c> it
/// becomes the previous one and the old previous one is dropped. That is approximately LRU at the cost of one table
/// swap, with no per-entry bookkeeping on the hot lookup path. Keys compare ordinally (case-sensitive), because
/// emails and tags are stored as written; invalid UTF-8 is looked up as the text PostgreSQL stores for it (each bad
/// sequence one U+FFFD). Lookups take no lock; additions take one.
/// </remarks>
internal sealed class DimensionCache
{
    // Keys up to this many bytes are converted on the stack; longer ones in a pooled buffer.
    private const int StackLimit = 512;

    private readonly int _generationCapacity;
    private readonly Lock _writeLock = new();
    private volatile Utf8KeyTable _current;
    private volatile Utf8KeyTable _previous = new();

    public DimensionCache(string name, int maxEntries)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxEntries, 1);
        Name = name;
        _generationCapacity = Math.Max(1, maxEntries / 2);
        _current = new Utf8KeyTable(_generationCapacity);
    }

    public string Name { get; }

    /// <summary>Approximate number of entries (a promoted entry may be counted in both generations).</summary>
    public int Count => _current.Count + _previous.Count;

    /// <summary>Bytes the entries take in memory (both generations' arrays).</summary>
    public long Bytes => _current.Bytes + _previous.Bytes;

    public bool TryGetId(ReadOnlySpan<byte> utf8Value, out int id)
    {
        // Every key kept is valid UTF-8 (encoded from a string), so bytes that are not can only miss: the check runs
        // after a miss, not before every hit.
        if (TryGetExact(utf8Value, out id))
        {
            return true;
        }

        if (Utf8.IsValid(utf8Value))
        {
            return false;
        }

        // Rare: replace the invalid sequences as the database's text does, then look that up.
        char[] chars = ArrayPool<char>.Shared.Rent(utf8Value.Length);
        try
        {
            int length = Encoding.UTF8.GetChars(utf8Value, chars);
            return TryGetId(chars.AsSpan(0, length), out id);
        }
        finally
        {
            ArrayPool<char>.Shared.Return(chars);
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
        using var utf8 = new Utf8Copy(value, stackalloc byte[StackLimit]);
        Add(utf8.Bytes, Hash(utf8.Bytes), id);
    }

    // Seeded per process, so a sender cannot choose values that collide.
    private static readonly long HashSeed = Random.Shared.NextInt64();

    /// <remarks>
    /// XxHash3 where <see cref="HashCode.AddBytes"/> was: the same kind of seeded non-cryptographic hash, but it takes
    /// a short key in a few wide steps where HashCode mixes it four bytes at a time (a third of a lookup's time).
    /// </remarks>
    private static int Hash(ReadOnlySpan<byte> key)
    {
        ulong hash = XxHash3.HashToUInt64(key, HashSeed);
        return (int)hash ^ (int)(hash >> 32);
    }

    private bool TryGetId(ReadOnlySpan<char> value, out int id)
    {
        using var utf8 = new Utf8Copy(value, stackalloc byte[StackLimit]);
        return TryGetExact(utf8.Bytes, out id);
    }

    private bool TryGetExact(ReadOnlySpan<byte> key, out int id)
    {
        int hash = Hash(key);
        if (_current.TryGet(key, hash, out id))
        {
            return true;
        }

        if (_previous.TryGet(key, hash, out id))
        {
            // Promote so that values still in use survive the next rotation.
            Add(key, hash, id);
            return true;
        }

        return false;
    }

    private void Add(ReadOnlySpan<byte> key, int hash, int id)
    {
        lock (_writeLock)
        {
            Utf8KeyTable current = _current;
            current.Set(key, hash, id);
            if (current.Count >= _generationCapacity)
            {
                _previous = current;
                _current = new Utf8KeyTable(_generationCapacity);
            }
        }
    }

    /// <summary>Text as UTF-8 in the caller's scratch space, or in a pooled buffer when it does not fit.</summary>
    private readonly ref struct Utf8Copy
    {
        private readonly byte[]? _rented;

        public Utf8Copy(ReadOnlySpan<char> text, Span<byte> scratch)
        {
            int max = Encoding.UTF8.GetMaxByteCount(text.Length);
            Span<byte> buffer = max <= scratch.Length ? scratch : (_rented = ArrayPool<byte>.Shared.Rent(max));
            Bytes = buffer[..Encoding.UTF8.GetBytes(text, buffer)];
        }

        public ReadOnlySpan<byte> Bytes { get; }

        public void Dispose()
        {
            if (_rented is not null)
            {
                ArrayPool<byte>.Shared.Return(_rented);
            }
        }
    }
}
