using System.Text;

namespace XraySyslogSink.Xray;

/// <summary>
/// Which zone a node's xray clock runs in: the per-node overrides of <see cref="XrayOptions.SenderTimeZones"/>,
/// else the default. Looked up by the node name (its UTF-8 bytes or its characters) without allocating.
/// </summary>
/// <remarks>
/// The key is the node identity the message was attributed to, not the HOSTNAME it claims: for a node named by its
/// HOSTNAME the two are the same (so settings keyed by HOSTNAME keep working), but a node named by its certificate
/// or by <c>Nodes:Networks</c> cannot pick another node's zone by writing another HOSTNAME.
/// </remarks>
/// <remarks>
/// The zones live in an immutable table that <see cref="Replace"/> swaps atomically when the configuration is
/// reloaded (SIGHUP): each lookup reads the current table with one volatile load and no lock, and every line a
/// parser starts after the swap is read in the new zones.
/// </remarks>
internal sealed class SenderTimeZones
{
    private Table _table;

    public SenderTimeZones(XrayOptions options) => _table = new Table(options);

    public TimeZoneInfo Default => Volatile.Read(ref _table).Default;

    /// <summary>True when every sender is read as UTC, so conversion can be skipped.</summary>
    public bool AllUtc => Volatile.Read(ref _table).AllUtc;

    /// <summary>The zone of the node named by <paramref name="utf8Name"/> (a HOSTNAME's bytes).</summary>
    public TimeZoneInfo ForNode(ReadOnlySpan<byte> utf8Name) => Volatile.Read(ref _table).ForNode(utf8Name);

    /// <summary>The zone of the node named <paramref name="name"/>.</summary>
    public TimeZoneInfo ForNode(ReadOnlySpan<char> name) => Volatile.Read(ref _table).ForNode(name);

    /// <summary>Builds the table for <paramref name="options"/> (throws on an unknown zone, changing nothing), then swaps it in.</summary>
    public void Replace(XrayOptions options) => Volatile.Write(ref _table, new Table(options));

    public static bool TryFindZone(string? id, out TimeZoneInfo zone)
    {
        zone = TimeZoneInfo.Utc;
        if (string.IsNullOrWhiteSpace(id))
        {
            return false;
        }

        if (string.Equals(id, "UTC", StringComparison.OrdinalIgnoreCase) || string.Equals(id, "Etc/UTC", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        try
        {
            zone = TimeZoneInfo.FindSystemTimeZoneById(id);
            return true;
        }
        catch (TimeZoneNotFoundException)
        {
            return false;
        }
        catch (InvalidTimeZoneException)
        {
            return false;
        }
    }

    private static TimeZoneInfo FindZone(string id) =>
        TryFindZone(id, out TimeZoneInfo zone) ? zone : throw new ArgumentException($"'{id}' is not a known IANA time zone", nameof(id));

    private sealed class Table
    {
        private readonly Dictionary<string, TimeZoneInfo> _bySender;
        private readonly Dictionary<string, TimeZoneInfo>.AlternateLookup<ReadOnlySpan<char>> _bySenderSpan;

        public Table(XrayOptions options)
        {
            ArgumentNullException.ThrowIfNull(options);
            Default = FindZone(options.TimeZone);
            _bySender = new Dictionary<string, TimeZoneInfo>(StringComparer.OrdinalIgnoreCase);
            foreach ((string sender, string zone) in options.SenderTimeZones)
            {
                _bySender[sender] = FindZone(zone);
            }

            _bySenderSpan = _bySender.GetAlternateLookup<ReadOnlySpan<char>>();
            AllUtc = _bySender.Count == 0 && Default == TimeZoneInfo.Utc;
        }

        public TimeZoneInfo Default { get; }

        public bool AllUtc { get; }

        public TimeZoneInfo ForNode(ReadOnlySpan<byte> utf8Name)
        {
            if (_bySender.Count == 0 || utf8Name.IsEmpty || utf8Name.Length > 1024)
            {
                return Default;
            }

            Span<char> chars = stackalloc char[utf8Name.Length];
            int written = Encoding.UTF8.GetChars(utf8Name, chars);
            return ForNode(chars[..written]);
        }

        public TimeZoneInfo ForNode(ReadOnlySpan<char> name) =>
            _bySender.Count > 0 && _bySenderSpan.TryGetValue(name, out TimeZoneInfo? zone) ? zone : Default;
    }
}
