using System.Collections.Concurrent;

namespace XraySyslogSink.Nodes;

/// <summary>
/// Remembers which (node, claimed HOSTNAME) pairs have been logged, so each disagreement between an established
/// identity and the HOSTNAME is logged once per node and pair, in bounded memory: after <see cref="Capacity"/> pairs
/// new ones are only counted (and that is logged once). Thread-safe; a known pair is found without allocating.
/// </summary>
internal sealed class HostnameMismatches
{
    public const int DefaultCapacity = 1024;

    private readonly ConcurrentDictionary<string, byte> _pairs = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte>.AlternateLookup<ReadOnlySpan<char>> _lookup;
    private int _full;

    public HostnameMismatches(int capacity = DefaultCapacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        Capacity = capacity;
        _lookup = _pairs.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    public int Capacity { get; }

    public int Count => _pairs.Count;

    /// <summary>Whether the caller should log this pair: <see cref="MismatchVerdict.New"/> once per pair while there is room.</summary>
    /// <param name="node">The established node name.</param>
    /// <param name="hostname">The disagreeing HOSTNAME, a valid one (printable ASCII, at most 255 bytes).</param>
    public MismatchVerdict Record(string node, ReadOnlySpan<byte> hostname)
    {
        ArgumentNullException.ThrowIfNull(node);
        Span<char> key = stackalloc char[node.Length + 1 + hostname.Length];
        node.AsSpan().CopyTo(key);
        key[node.Length] = '\n';
        for (int i = 0; i < hostname.Length; i++)
        {
            key[node.Length + 1 + i] = (char)hostname[i];
        }

        if (_lookup.ContainsKey(key))
        {
            return MismatchVerdict.Known;
        }

        if (_pairs.Count >= Capacity)
        {
            return Interlocked.Exchange(ref _full, 1) == 0 ? MismatchVerdict.FirstOverCapacity : MismatchVerdict.OverCapacity;
        }

        return _lookup.TryAdd(key, 0) ? MismatchVerdict.New : MismatchVerdict.Known;
    }
}

/// <summary>What <see cref="HostnameMismatches.Record"/> found.</summary>
internal enum MismatchVerdict
{
    /// <summary>Logged before.</summary>
    Known,

    /// <summary>First time: log it.</summary>
    New,

    /// <summary>No room left to remember it: counted, not logged.</summary>
    OverCapacity,

    /// <summary>The first pair with no room left: log that further pairs are only counted.</summary>
    FirstOverCapacity,
}
