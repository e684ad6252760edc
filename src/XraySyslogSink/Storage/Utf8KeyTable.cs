namespace XraySyslogSink.Storage;

/// <summary>
/// A map from UTF-8 keys to ids without an object per entry: the keys' bytes lie one after another in one byte
/// array, the slots (hash, id, where the key is, its length) in one open-addressing array. About 16–32 bytes of slot
/// plus the key's own bytes per entry, where a <c>ConcurrentDictionary&lt;string, int&gt;</c> took about 130 bytes and
/// two objects for a 30-character key, and nothing for the garbage collector to trace.
/// </summary>
/// <remarks>
/// Any number of readers, one writer at a time (the caller serialises <see cref="Set"/>). A writer fills a slot and
/// publishes it by writing its length last (a release write); a reader that sees the length (an acquire read) sees
/// the rest and reads the key bytes through the array reference taken after it, so it never meets a half-written
/// entry. Growing copies into new arrays and publishes them; a reader still on an old array may miss an entry added
/// since, which costs a database lookup, never a wrong id. Entries are never removed: the owner drops whole tables.
/// </remarks>
internal sealed class Utf8KeyTable
{
    /// <summary>Longer keys are not kept (no dimension value is this long: the schema's limits are far lower).</summary>
    public const int MaxKeyLength = 64 * 1024;

    private Slot[] _slots = new Slot[16];
    private byte[] _keys = new byte[1024];
    private int _keysUsed;
    private int _count;

    /// <summary>Entries held.</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>Bytes the table's arrays take.</summary>
    public long Bytes => (Volatile.Read(ref _slots).LongLength * Slot.Size) + Volatile.Read(ref _keys).LongLength;

    public bool TryGet(ReadOnlySpan<byte> key, int hash, out int id)
    {
        Slot[] slots = Volatile.Read(ref _slots);
        int mask = slots.Length - 1;
        for (int i = hash & mask; ; i = (i + 1) & mask)
        {
            ref Slot slot = ref slots[i];
            int lengthPlusOne = Volatile.Read(ref slot.LengthPlusOne);
            if (lengthPlusOne == 0)
            {
                id = 0;
                return false;
            }

            if (slot.Hash == hash && lengthPlusOne - 1 == key.Length
                && Volatile.Read(ref _keys).AsSpan(slot.Offset, key.Length).SequenceEqual(key))
            {
                id = Volatile.Read(ref slot.Id);
                return true;
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
        while (slots[i].LengthPlusOne != 0)
        {
            ref Slot taken = ref slots[i];
            if (taken.Hash == hash && taken.LengthPlusOne - 1 == key.Length && _keys.AsSpan(taken.Offset, key.Length).SequenceEqual(key))
            {
                // Ids only change if an operator deleted and re-created the row; the newest answer wins.
                Volatile.Write(ref taken.Id, id);
                return true;
            }

            i = (i + 1) & mask;
        }

        int offset = Append(key);
        ref Slot slot = ref slots[i];
        slot.Hash = hash;
        slot.Id = id;
        slot.Offset = offset;
        Volatile.Write(ref slot.LengthPlusOne, key.Length + 1);
        Volatile.Write(ref _count, _count + 1);
        return true;
    }

    private static Slot[] Rehash(Slot[] old, int size)
    {
        var slots = new Slot[size];
        int mask = size - 1;
        foreach (Slot slot in old)
        {
            if (slot.LengthPlusOne == 0)
            {
                continue;
            }

            int i = slot.Hash & mask;
            while (slots[i].LengthPlusOne != 0)
            {
                i = (i + 1) & mask;
            }

            slots[i] = slot;
        }

        return slots;
    }

    /// <summary>Copies the key's bytes after the others (growing the array first if needed) and returns where they start.</summary>
    private int Append(ReadOnlySpan<byte> key)
    {
        if (_keysUsed + key.Length > _keys.Length)
        {
            byte[] grown = new byte[Math.Max(_keys.Length * 2, _keysUsed + key.Length)];
            _keys.AsSpan(0, _keysUsed).CopyTo(grown);
            Volatile.Write(ref _keys, grown);
        }

        int offset = _keysUsed;
        key.CopyTo(_keys.AsSpan(offset));
        _keysUsed += key.Length;
        return offset;
    }

    private struct Slot
    {
        public const int Size = 16;

        public int Hash;
        public int Id;
        public int Offset;

        // 0 marks an empty slot; written last when the slot is filled.
        public int LengthPlusOne;
    }
}
