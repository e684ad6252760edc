using System.Runtime.InteropServices;

namespace XraySyslogSink.Storage;

/// <summary>
/// A map from UTF-8 keys to ids without an object per entry: the entries (id, key length, key bytes) lie one after
/// another in one byte array, the slots (hash, where the entry is) in one open-addressing array. 8 bytes of slot per
/// 1⅓–2⅔ entries plus 8 bytes and the key's own bytes per entry, where a <c>ConcurrentDictionary&lt;string, int&gt;</c>
/// took about 130 bytes and two objects for a 30-character key, and nothing for the garbage collector to trace.
/// </summary>
/// <remarks>
/// <para>
/// A lookup touches a slot and then its entry, whose id sits next to the key it compares, so a hit reads two places
/// in memory, one of them in a slot array half the size it was with the id and length in the slot (16 bytes).
/// </para>
/// <para>
/// Any number of readers, one writer at a time (the caller serialises <see cref="Set"/>). A writer writes the entry,
/// then fills a slot and publishes it by writing its entry's position last (a release write); a reader that sees the
/// position (an acquire read) sees the rest and reads the entry through the array reference taken after it, so it
/// never meets a half-written entry. Growing copies into new arrays and publishes them; a reader still on an old array
/// may miss an entry added since, which costs a database lookup, never a wrong id. Entries are never removed: the
/// owner drops whole tables.
/// </para>
/// </remarks>
internal sealed class Utf8KeyTable
{
    /// <summary>Longer keys are not kept (no dimension value is this long: the schema's limits are far lower).</summary>
    public const int MaxKeyLength = 64 * 1024;

    // An entry: its id (4 bytes), its key's length (4 bytes), the key's bytes padded to a multiple of 4 (ids aligned).
    private const int EntryHeader = 8;

    // How many entries the table is expected to hold at most (the cache generation's capacity); 0: unknown.
    private readonly int _expectedEntries;
    private Slot[] _slots = new Slot[16];
    private byte[] _entries = new byte[1024];
    private int _entriesUsed;
    private int _count;

    /// <summary>Entries held.</summary>
    public int Count => Volatile.Read(ref _count);

    /// <param name="expectedEntries">The most entries the table is expected to hold (0: unknown); it sizes the growth of the entries array.</param>
    public Utf8KeyTable(int expectedEntries = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(expectedEntries);
        _expectedEntries = expectedEntries;
    }

    /// <summary>Bytes the table's arrays take.</summary>
    public long Bytes => (Volatile.Read(ref _slots).LongLength * Slot.Size) + Volatile.Read(ref _entries).LongLength;

    public bool TryGet(ReadOnlySpan<byte> key, int hash, out int id)
    {
        Slot[] slots = Volatile.Read(ref _slots);
        int mask = slots.Length - 1;
        for (int i = hash & mask; ; i = (i + 1) & mask)
        {
            ref Slot slot = ref slots[i];
            int entryPlusOne = Volatile.Read(ref slot.EntryPlusOne);
            if (entryPlusOne == 0)
            {
                id = 0;
                return false;
            }

            if (slot.Hash == hash)
            {
                Span<int> header = Matching(Volatile.Read(ref _entries), entryPlusOne - 1, key);
                if (!header.IsEmpty)
                {
                    id = Volatile.Read(ref header[0]);
                    return true;
                }
            }
        }
    }

    /// <summary>Adds <paramref name="key"/> or changes its id. One writer at a time; false when the key is too long to keep.</summary>
    public bool Set(ReadOnlySpan<byte> key, int hash, int id)
    {
        if (key.Length > MaxKeyLength)
        {
            return false;
        }

        if ((_count + 1) * 4 > _slots.Length * 3)
        {
            Volatile.Write(ref _slots, Rehash(_slots, _slots.Length * 2));
        }

        Slot[] slots = _slots;
        int mask = slots.Length - 1;
        int i = hash & mask;
        while (slots[i].EntryPlusOne != 0)
        {
            ref Slot taken = ref slots[i];
            Span<int> header = taken.Hash == hash ? Matching(_entries, taken.EntryPlusOne - 1, key) : default;
            if (!header.IsEmpty)
            {
                // Ids only change if an operator deleted and re-created the row; the newest answer wins.
                Volatile.Write(ref header[0], id);
                return true;
            }

            i = (i + 1) & mask;
        }

        int entry = Append(key, id);
        ref Slot slot = ref slots[i];
        slot.Hash = hash;
        Volatile.Write(ref slot.EntryPlusOne, entry + 1);
        Volatile.Write(ref _count, _count + 1);
        return true;
    }

    /// <summary>The header (id, length) of the entry at <paramref name="entry"/> when its key is <paramref name="key"/>; empty otherwise.</summary>
    private static Span<int> Matching(byte[] entries, int entry, ReadOnlySpan<byte> key)
    {
        Span<int> header = MemoryMarshal.Cast<byte, int>(entries.AsSpan(entry, EntryHeader));
        return header[1] == key.Length && entries.AsSpan(entry + EntryHeader, key.Length).SequenceEqual(key) ? header : default;
    }

    private static Slot[] Rehash(Slot[] old, int size)
    {
        var slots = new Slot[size];
        int mask = size - 1;
        foreach (Slot slot in old)
        {
            if (slot.EntryPlusOne == 0)
            {
                continue;
            }

            int i = slot.Hash & mask;
            while (slots[i].EntryPlusOne != 0)
            {
                i = (i + 1) & mask;
            }

            slots[i] = slot;
        }

        return slots;
    }

    /// <summary>Writes the entry after the others (growing the array first if needed) and returns where it starts.</summary>
    private int Append(ReadOnlySpan<byte> key, int id)
    {
        int size = EntryHeader + ((key.Length + 3) & ~3);
        if (_entriesUsed + size > _entries.Length)
        {
            byte[] grown = new byte[GrownLength(_entriesUsed + size)];
            _entries.AsSpan(0, _entriesUsed).CopyTo(grown);
            Volatile.Write(ref _entries, grown);
        }

        int entry = _entriesUsed;
        Span<int> header = MemoryMarshal.Cast<byte, int>(_entries.AsSpan(entry, EntryHeader));
        header[0] = id;
        header[1] = key.Length;
        key.CopyTo(_entries.AsSpan(entry + EntryHeader));
        _entriesUsed += size;
        return entry;
    }

    /// <summary>
    /// The entries array's next length, at least <paramref name="needed"/>: doubling, but no further than the entries
    /// the table is expected to hold would take at the average size so far. A power of two past that was up to twice
    /// what the full table needs: 8 MiB more per cache generation of 250,000 endpoints (16 MiB of peak RSS).
    /// </summary>
    private int GrownLength(int needed)
    {
        long length = Math.Max((long)_entries.Length * 2, needed);
        if (_expectedEntries > 0 && _count > 0)
        {
            long projected = (long)_entriesUsed * _expectedEntries / _count;
            // A sixteenth more for keys longer than the average so far; past the projection, growth by an eighth.
            long bound = Math.Max(projected + (projected / 16), needed + ((long)needed / 8));
            length = Math.Min(length, bound);
        }

        return (int)Math.Min(Math.Max(length, needed), Array.MaxLength);
    }

    private struct Slot
    {
        public const int Size = 8;

        public int Hash;

        // 0 marks an empty slot; written last when the slot is filled.
        public int EntryPlusOne;
    }
}
