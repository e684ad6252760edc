using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using XraySyslogSink.Xray;

namespace XraySyslogSink.Hosting.Reload;

/// <summary>Reloads <c>Xray:TimeZone</c> and <c>Xray:SenderTimeZones</c>: validated like at start, then swapped into <see cref="SenderTimeZones"/>.</summary>
internal sealed class TimeZoneReload : IReloadableSettings
{
    private readonly SenderTimeZones _zones;
    private readonly IValidateOptions<XrayOptions> _validator;
    private XrayOptions _current;

    public TimeZoneReload(SenderTimeZones zones, IOptions<XrayOptions> initial, IValidateOptions<XrayOptions> validator)
    {
        _zones = zones;
        _validator = validator;
        _current = initial.Value;
    }

    public string Name => "time zones";

    public Action? Prepare(IConfiguration configuration, ICollection<string> failures)
    {
        var options = new XrayOptions();
        configuration.GetSection(XrayOptions.SectionName).Bind(options);
        ValidateOptionsResult result = _validator.Validate(Options.DefaultName, options);
        if (result.Failed)
        {
            foreach (string failure in result.Failures)
            {
                failures.Add(failure);
            }

            return null;
        }

        if (SameZones(options, _current))
        {
            return null;
        }

        return () =>
        {
            _zones.Replace(options);
            _current = options;
        };
    }

    private static bool SameZones(XrayOptions a, XrayOptions b)
    {
        if (!string.Equals(a.TimeZone, b.TimeZone, StringComparison.OrdinalIgnoreCase) || a.SenderTimeZones.Count != b.SenderTimeZones.Count)
        {
            return false;
        }

        foreach ((string sender, string zone) in a.SenderTimeZones)
        {
            if (!b.SenderTimeZones.TryGetValue(sender, out string? other) || !string.Equals(zone, other, StringComparison.OrdinalIgnoreCase))
            {
                return false;
            }
        }

        return true;
    }
}
