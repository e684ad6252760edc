namespace XraySyslogSink.Core;

/// <summary>Which limit kept a dead letter from being stored (it is counted instead); <see cref="None"/>: stored.</summary>
internal enum DeadLetterLimit
{
    None,

    /// <summary>The source's share of the dead letters stored per second.</summary>
    SourceRate,

    /// <summary>All sources together: <c>Pipeline:DeadLettersPerSecond</c>.</summary>
    Rate,

    /// <summary>The source's share of the bytes stored per UTC day.</summary>
    SourceVolume,

    /// <summary>All sources together: <c>Pipeline:DeadLetterBytesPerDay</c>.</summary>
    Volume,
}

/// <summary>
/// Decides whether a dead letter is stored or only counted: at most <see cref="PerSecond"/> dead letters a second and
/// <see cref="BytesPerDay"/> bytes a UTC day in all, and of each, one source (its /24 or /64) takes at most its share
/// (<c>Pipeline:DeadLetterSourceSharePercent</c>). A sender of garbage therefore fills its own share and no more: honest
/// dead letters from other sources are still stored while it is capped, and the volume stored a day is bounded however
/// many dead letters arrive. Shared by every parser worker and the writer (thread-safe).
/// </summary>
/// <remarks>
/// A source's excess is checked before the totals, so it does not use up what other sources may still store. Sources
/// are tracked by prefix (a sender rarely owns more than one /24 or /64) up to <see cref="MaxTrackedSources"/> a day;
/// beyond that the untracked ones share one entry. A sender spread over more prefixes than 100 / share can still use
/// up the totals; the totals are the guarantee for disk, the share for fairness among ordinary senders.
/// </remarks>
internal sealed class DeadLetterBudget
{
    public const int MaxTrackedSources = 4096;

    private readonly Lock _gate = new();
    private readonly TimeProvider _timeProvider;
    private readonly Dictionary<InetValue, SourceUse> _sources = [];
    private readonly SourceUse _untracked = new();
    private readonly bool _shared;
    private long _secondStart;
    private long _second;
    private int _usedInSecond;
    private DateOnly _day;
    private long _bytesToday;

    /// <param name="perSecond">Dead letters stored a second in all (0: none).</param>
    /// <param name="bytesPerDay">Bytes stored a UTC day in all (0: none).</param>
    /// <param name="sourceSharePercent">What one source may take of each, in percent (100: no share).</param>
    public DeadLetterBudget(int perSecond, long bytesPerDay, int sourceSharePercent, TimeProvider timeProvider)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(perSecond);
        ArgumentOutOfRangeException.ThrowIfNegative(bytesPerDay);
        ArgumentOutOfRangeException.ThrowIfLessThan(sourceSharePercent, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(sourceSharePercent, 100);
        ArgumentNullException.ThrowIfNull(timeProvider);
        PerSecond = perSecond;
        BytesPerDay = bytesPerDay;
        SourcePerSecond = perSecond == 0 ? 0 : Math.Max(1, (int)((long)perSecond * sourceSharePercent / 100));
        SourceBytesPerDay = bytesPerDay == 0 ? 0 : Math.Max(1, bytesPerDay / 100 * sourceSharePercent);
        _shared = sourceSharePercent < 100;
        _timeProvider = timeProvider;
        _secondStart = timeProvider.GetTimestamp();
        _day = Today();
    }

    public int PerSecond { get; }

    public long BytesPerDay { get; }

    public int SourcePerSecond { get; }

    public long SourceBytesPerDay { get; }

    /// <summary>Bytes stored today (UTC) so far.</summary>
    public long BytesToday
    {
        get
        {
            lock (_gate)
            {
                return _bytesToday;
            }
        }
    }

    /// <summary>What a dead letter costs in the volume budget: the text kept, the reason and a row's overhead.</summary>
    public static long Cost(int rawLength, string reason) => rawLength + (reason?.Length ?? 0) + 64;

    /// <summary>The key a source is tracked by: its /24 (IPv4) or /64 (IPv6); no address is one source of its own.</summary>
    public static InetValue SourceKey(InetValue peer) =>
        !peer.HasValue ? default
        : peer.IsIPv6 ? InetValue.FromIPv6(peer.High, 0, 64)
        : InetValue.FromIPv4((uint)peer.Low & 0xFFFF_FF00u, 24);

    /// <summary>Takes room for a dead letter of <paramref name="bytes"/> from <paramref name="peer"/>; <see cref="DeadLetterLimit.None"/> when it may be stored.</summary>
    public DeadLetterLimit TryTake(InetValue peer, long bytes)
    {
        lock (_gate)
        {
            Roll();
            SourceUse source = SourceOf(SourceKey(peer));
            if (source.Second != _second)
            {
                source.Second = _second;
                source.UsedInSecond = 0;
            }

            // With a share of 100 % a source's limits are the totals: an excess is then the totals'.
            DeadLetterLimit limit =
                _shared && source.UsedInSecond >= SourcePerSecond ? DeadLetterLimit.SourceRate
                : _usedInSecond >= PerSecond ? DeadLetterLimit.Rate
                : _shared && source.BytesToday + bytes > SourceBytesPerDay ? DeadLetterLimit.SourceVolume
                : _bytesToday + bytes > BytesPerDay ? DeadLetterLimit.Volume
                : DeadLetterLimit.None;
            if (limit == DeadLetterLimit.None)
            {
                source.UsedInSecond++;
                source.BytesToday += bytes;
                _usedInSecond++;
                _bytesToday += bytes;
            }

            return limit;
        }
    }

    private void Roll()
    {
        long now = _timeProvider.GetTimestamp();
        if (_timeProvider.GetElapsedTime(_secondStart, now) >= TimeSpan.FromSeconds(1))
        {
            _secondStart = now;
            _second++;
            _usedInSecond = 0;
        }

        DateOnly today = Today();
        if (today != _day)
        {
            _day = today;
            _bytesToday = 0;
            _sources.Clear();
            _untracked.BytesToday = 0;
        }
    }

    private SourceUse SourceOf(InetValue key)
    {
        if (_sources.TryGetValue(key, out SourceUse? use))
        {
            return use;
        }

        if (_sources.Count >= MaxTrackedSources)
        {
            return _untracked;
        }

        use = new SourceUse { Second = -1 };
        _sources.Add(key, use);
        return use;
    }

    private DateOnly Today() => DateOnly.FromDateTime(_timeProvider.GetUtcNow().UtcDateTime);

    private sealed class SourceUse
    {
        public long Second;
        public int UsedInSecond;
        public long BytesToday;
    }
}

/// <summary>The kind of address a dead letter came from, for the counters (bounded: never the address itself).</summary>
internal static class SourceClass
{
    public const string None = "none";
    public const string Loopback = "loopback";
    public const string Private = "private";
    public const string Public = "public";

    /// <summary><see cref="Loopback"/>, <see cref="Private"/> (RFC 1918, CGNAT, link-local, unique local), <see cref="Public"/>, or <see cref="None"/> without an address.</summary>
    public static string Of(InetValue peer)
    {
        if (!peer.HasValue)
        {
            return None;
        }

        if (peer.IsIPv6)
        {
            ulong high = peer.High;
            if (high == 0 && peer.Low == 1)
            {
                return Loopback;
            }

            if (high == 0 && peer.Low >> 32 == 0xFFFF)
            {
                return Of(InetValue.FromIPv4((uint)peer.Low));
            }

            return (high >> 57) == (0xFC00UL >> 9) || (high >> 54) == (0xFE80UL >> 6) ? Private : Public;
        }

        uint a = (uint)peer.Low;
        return (a >> 24) == 127 ? Loopback
            : (a >> 24) == 10 || (a >> 20) == 0xAC1 || (a >> 16) == 0xC0A8 || (a >> 22) == (100u << 2 | 1) || (a >> 16) == 0xA9FE ? Private
            : Public;
    }
}
