namespace XraySyslogSink.Xray;

/// <summary>
/// Turns a node-local wall-clock time into UTC. Not thread-safe: one per parser worker, because it
/// remembers the last offset it computed (zone rules are costly to evaluate per line, and every real
/// zone changes offset only on a quarter-hour boundary).
/// </summary>
/// <remarks>
/// Times that occur twice (the hour repeated when daylight saving ends) are read as standard time;
/// times that do not exist (skipped when it starts) are read with the standard offset too, so
/// 02:30 in a spring-forward gap becomes 03:30 daylight time. Both follow
/// <see cref="TimeZoneInfo.GetUtcOffset(DateTime)"/> and are the same on every run.
/// </remarks>
internal sealed class LocalTimeConverter
{
    private static readonly long QuarterHourTicks = TimeSpan.FromMinutes(15).Ticks;

    private TimeZoneInfo? _lastZone;
    private long _lastQuarter = -1;
    private TimeSpan _lastOffset;

    public DateTime ToUtc(DateTime local, TimeZoneInfo zone)
    {
        ArgumentNullException.ThrowIfNull(zone);
        if (zone == TimeZoneInfo.Utc)
        {
            return DateTime.SpecifyKind(local, DateTimeKind.Utc);
        }

        long quarter = local.Ticks / QuarterHourTicks;
        if (!ReferenceEquals(zone, _lastZone) || quarter != _lastQuarter)
        {
            _lastOffset = zone.GetUtcOffset(DateTime.SpecifyKind(local, DateTimeKind.Unspecified));
            _lastZone = zone;
            _lastQuarter = quarter;
        }

        long utcTicks = local.Ticks - _lastOffset.Ticks;
        return utcTicks < DateTime.MinValue.Ticks || utcTicks > DateTime.MaxValue.Ticks
            ? DateTime.SpecifyKind(local, DateTimeKind.Utc)
            : new DateTime(utcTicks, DateTimeKind.Utc);
    }
}
