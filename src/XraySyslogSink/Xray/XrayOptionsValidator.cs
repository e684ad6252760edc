using XraySyslogSink.Core;

namespace XraySyslogSink.Xray;

internal sealed class XrayOptionsValidator() : SectionValidator<XrayOptions>(XrayOptions.SectionName)
{
    private static readonly TimeSpan MaxAcceptWindow = TimeSpan.FromDays(3650);

    protected override void ValidateMore(XrayOptions options, List<string> failures)
    {
        if (!SenderTimeZones.TryFindZone(options.TimeZone, out _))
        {
            failures.Add($"{Key(nameof(options.TimeZone))}: '{options.TimeZone}' is not a known IANA time zone");
        }

        foreach ((string sender, string zone) in options.SenderTimeZones)
        {
            if (!SenderTimeZones.TryFindZone(zone, out _))
            {
                failures.Add($"{Key(nameof(options.SenderTimeZones))}:{sender}: '{zone}' is not a known IANA time zone");
            }
        }

        RequireWindow(options.AcceptWindowBack, nameof(options.AcceptWindowBack), failures);
        RequireWindow(options.AcceptWindowAhead, nameof(options.AcceptWindowAhead), failures);
    }

    private void RequireWindow(TimeSpan value, string property, List<string> failures)
    {
        if (value <= TimeSpan.Zero || value > MaxAcceptWindow)
        {
            failures.Add($"{Key(property)} must be a time span above 00:00:00 and at most 3650.00:00:00 (got {value})");
        }
    }
}
