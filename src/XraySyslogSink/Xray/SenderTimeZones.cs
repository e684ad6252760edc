using System.Text;

namespace XraySyslogSink.Xray;

/// <summary>
/// Which zone a sender's xray clock runs in: the per-HOSTNAME overrides of <see cref="XrayOptions"/>,
/// else the default. Looked up by the HOSTNAME's bytes without allocating.
/// </summary>
public sealed class SenderTimeZones
{
    private readonly Dictionary<string, TimeZoneInfo> _bySender;
    private readonly Dictionary<string, TimeZoneInfo>.AlternateLookup<ReadOnlySpan<char>> _bySenderSpan;

    public SenderTimeZones(XrayOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Default = FindZone(options.TimeZone);
        _bySender = new Dictionary<string, TimeZoneInfo>(StringComparer.OrdinalIgnoreCase);
        foreach ((string sender, string zone) in options.SenderTimeZones)
        {
            _bySender[sender] = FindZone(zone);
        }

        _bySenderSpan = _bySender.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    public TimeZoneInfo Default { get; }

    /// <summary>True when every sender is read as UTC, so conversion can be skipped.</summary>
    public bool AllUtc => _bySender.Count == 0 && Default == TimeZoneInfo.Utc;

    public TimeZoneInfo ForSender(ReadOnlySpan<byte> hostname)
    {
        if (_bySender.Count == 0 || hostname.IsEmpty || hostname.Length > 255)
        {
            return Default;
        }

        Span<char> chars = stackalloc char[hostname.Length];
        int written = Encoding.UTF8.GetChars(hostname, chars);
        return _bySenderSpan.TryGetValue(chars[..written], out TimeZoneInfo? zone) ? zone : Default;
    }

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
}
