using System.Collections.Concurrent;
using System.Text;

namespace XraySyslogSink.Telemetry;

/// <summary>
/// The per-node metric series (lines received, rows written, dead letters, last seen), at most
/// <see cref="MaxSeries"/> node names (<c>Nodes:MaxSeries</c>) plus one <see cref="OtherName"/> bucket that takes
/// every node beyond them, so a flood of invented HOSTNAMEs cannot grow memory or the scrape. A name keeps its
/// slot for the life of the process; names preloaded at start (configured and recently seen nodes) are taken
/// first. Lookups by UTF-8 or UTF-16 text do not allocate; counts are added per chunk or batch (see <see cref="NodeTally"/>).
/// </summary>
internal sealed class NodeSeries
{
    /// <summary>The slot (and <c>node</c> tag) of every node beyond <see cref="MaxSeries"/>.</summary>
    public const int OtherSlot = 0;

    public const string OtherName = "other";

    private readonly ConcurrentDictionary<string, int> _slots = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _lookup;
    private readonly Slot[] _states;
    private readonly Lock _addLock = new();
    private int _count;
    private long _overflowLookups;

    /// <param name="silentAfter">How long a node may send nothing before <see cref="Silent"/> lists it (<c>Nodes:SilentAfter</c>).</param>
    public NodeSeries(int maxSeries, TimeSpan? silentAfter = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxSeries, 1);
        MaxSeries = maxSeries;
        SilentAfter = silentAfter ?? TimeSpan.FromMinutes(15);
        _lookup = _slots.GetAlternateLookup<ReadOnlySpan<char>>();
        _states = new Slot[maxSeries + 1];
        _states[OtherSlot] = new Slot(OtherName);
    }

    public int MaxSeries { get; }

    public TimeSpan SilentAfter { get; }

    /// <summary>Node names holding their own series.</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>Look-ups of names that found no free slot and were counted under <see cref="OtherName"/>.</summary>
    public long OverflowLookups => Interlocked.Read(ref _overflowLookups);

    /// <summary>The slot count arrays must have: one per series plus <see cref="OtherSlot"/>.</summary>
    public int SlotCount => _states.Length;

    /// <summary>The slot of <paramref name="name"/>, taking a free one for a new name; <see cref="OtherSlot"/> when none is left.</summary>
    public int SlotOf(ReadOnlySpan<char> name)
    {
        if (_lookup.TryGetValue(name, out int slot))
        {
            return slot;
        }

        return Add(name);
    }

    /// <inheritdoc cref="SlotOf(ReadOnlySpan{char})"/>
    public int SlotOf(ReadOnlySpan<byte> utf8Name)
    {
        if (utf8Name.Length > 1024)
        {
            return Overflow();
        }

        Span<char> chars = stackalloc char[utf8Name.Length];
        int written = Encoding.UTF8.GetChars(utf8Name, chars);
        return SlotOf(chars[..written]);
    }

    /// <summary>Takes slots for <paramref name="names"/> in order while any are free (configured and recently seen nodes, at start).</summary>
    public void Preload(IEnumerable<string> names)
    {
        ArgumentNullException.ThrowIfNull(names);
        foreach (string name in names)
        {
            if (Count >= MaxSeries)
            {
                return;
            }

            SlotOf(name.AsSpan());
        }
    }

    /// <summary>The node name of <paramref name="slot"/> (<see cref="OtherName"/> for slot 0).</summary>
    public string NameOf(int slot) => _states[slot].Name;

    public void AddLines(int slot, long lines) => Interlocked.Add(ref _states[slot].Lines, lines);

    public void AddRows(int slot, long rows) => Interlocked.Add(ref _states[slot].Rows, rows);

    public void AddDeadLetters(int slot, long deadLetters) => Interlocked.Add(ref _states[slot].DeadLetters, deadLetters);

    /// <summary>Moves the slot's last-seen time forward to <paramref name="unixSeconds"/> (never back).</summary>
    public void Seen(int slot, long unixSeconds)
    {
        Slot state = _states[slot];
        long last = Interlocked.Read(ref state.LastSeen);
        while (unixSeconds > last)
        {
            long found = Interlocked.CompareExchange(ref state.LastSeen, unixSeconds, last);
            if (found == last)
            {
                return;
            }

            last = found;
        }
    }

    /// <summary>Every series (the other bucket first), for the metrics exporter and /healthz.</summary>
    public IReadOnlyList<NodeSeriesValues> Snapshot()
    {
        int count = Math.Min(Count, MaxSeries);
        var values = new List<NodeSeriesValues>(count + 1);
        for (int slot = 0; slot <= count; slot++)
        {
            Slot? state = Volatile.Read(ref _states[slot]);
            if (state is not null)
            {
                values.Add(new NodeSeriesValues(
                    state.Name,
                    Interlocked.Read(ref state.Lines),
                    Interlocked.Read(ref state.Rows),
                    Interlocked.Read(ref state.DeadLetters),
                    Interlocked.Read(ref state.LastSeen)));
            }
        }

        return values;
    }

    /// <summary>
    /// Nodes with their own series that sent nothing for <see cref="SilentAfter"/>, longest silent first: those seen
    /// since start by their last line, and the configured ones never seen since <paramref name="startedAt"/>.
    /// </summary>
    public IReadOnlyList<(string Node, DateTimeOffset? LastSeen)> Silent(DateTimeOffset now, DateTimeOffset startedAt)
    {
        var silent = new List<(string, DateTimeOffset?)>();
        // The first entry is the other bucket: not a node.
        foreach (NodeSeriesValues node in Snapshot().Skip(1))
        {
            DateTimeOffset? last = node.LastSeenUnixSeconds > 0 ? DateTimeOffset.FromUnixTimeSeconds(node.LastSeenUnixSeconds) : null;
            if (now - (last ?? startedAt) > SilentAfter)
            {
                silent.Add((node.Node, last));
            }
        }

        return [.. silent.OrderBy(s => s.Item2 ?? DateTimeOffset.MinValue).ThenBy(s => s.Item1, StringComparer.Ordinal)];
    }

    private int Add(ReadOnlySpan<char> name)
    {
        if (Volatile.Read(ref _count) >= MaxSeries || name.IsEmpty || name.SequenceEqual(OtherName))
        {
            return Overflow();
        }

        lock (_addLock)
        {
            if (_lookup.TryGetValue(name, out int existing))
            {
                return existing;
            }

            if (_count >= MaxSeries)
            {
                return Overflow();
            }

            int slot = _count + 1;
            string text = name.ToString();
            Volatile.Write(ref _states[slot], new Slot(text));
            _slots[text] = slot;
            Volatile.Write(ref _count, _count + 1);
            return slot;
        }
    }

    private int Overflow()
    {
        Interlocked.Increment(ref _overflowLookups);
        return OtherSlot;
    }

    private sealed class Slot(string name)
    {
        public readonly string Name = name;
        public long Lines;
        public long Rows;
        public long DeadLetters;
        public long LastSeen;
    }
}

/// <summary>One node's series at a moment; <see cref="LastSeenUnixSeconds"/> is 0 before its first line.</summary>
internal readonly record struct NodeSeriesValues(string Node, long Lines, long Rows, long DeadLetters, long LastSeenUnixSeconds);
