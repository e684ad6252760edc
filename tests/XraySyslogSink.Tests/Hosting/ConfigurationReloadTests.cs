using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using XraySyslogSink.Core;
using XraySyslogSink.Hosting.Reload;
using XraySyslogSink.Listeners;
using XraySyslogSink.Listeners.Security;
using XraySyslogSink.Xray;

namespace XraySyslogSink.Tests.Hosting;

/// <summary>The reload hub applies valid settings together and rejects an invalid reload as a whole, keeping the old settings.</summary>
public sealed class ConfigurationReloadTests
{
    private static readonly byte[] TokyoHost = "node-tokyo-1"u8.ToArray();

    private readonly Dictionary<string, string?> _settings = new(StringComparer.OrdinalIgnoreCase) { ["Xray:TimeZone"] = "UTC" };

    [Fact]
    public void A_valid_reload_swaps_the_time_zones()
    {
        (ConfigurationReloadHub hub, SenderTimeZones zones, _) = Build();
        Assert.True(zones.AllUtc);

        _settings["Xray:TimeZone"] = "America/New_York";
        _settings["Xray:SenderTimeZones:node-tokyo-1"] = "Asia/Tokyo";
        Assert.True(hub.Reload());

        Assert.False(zones.AllUtc);
        Assert.Equal("America/New_York", zones.Default.Id);
        Assert.Equal("Asia/Tokyo", zones.ForNode(TokyoHost).Id);
        Assert.Equal("America/New_York", zones.ForNode("elsewhere"u8).Id);
    }

    [Fact]
    public void An_invalid_zone_is_rejected_and_the_old_zones_stay()
    {
        (ConfigurationReloadHub hub, SenderTimeZones zones, _) = Build();
        _settings["Xray:TimeZone"] = "Europe/Berlin";
        Assert.True(hub.Reload());

        _settings["Xray:TimeZone"] = "Mars/Olympus";
        Assert.False(hub.Reload());

        Assert.Equal("Europe/Berlin", zones.Default.Id);
        Assert.Equal(1, hub.Rejected);
    }

    [Fact]
    public void One_invalid_group_rejects_the_whole_reload()
    {
        (ConfigurationReloadHub hub, SenderTimeZones zones, LoggingLevels levels) = Build();
        _settings["Xray:TimeZone"] = "Asia/Tokyo";
        _settings["Logging:LogLevel:Default"] = "Loud";

        Assert.False(hub.Reload());

        Assert.True(zones.AllUtc);
        Assert.Empty(Rules(levels));
    }

    [Fact]
    public void Log_levels_reload_and_signal_the_logger_factory()
    {
        (ConfigurationReloadHub hub, _, LoggingLevels levels) = Build();
        Microsoft.Extensions.Primitives.IChangeToken token = ((IOptionsChangeTokenSource<LoggerFilterOptions>)levels).GetChangeToken();
        _settings["Logging:LogLevel:Default"] = "Warning";
        _settings["Logging:LogLevel:XraySyslogSink.Listeners"] = "debug";

        Assert.True(hub.Reload());

        Assert.True(token.HasChanged);
        Assert.Equal(
            [(null, LogLevel.Warning), ("XraySyslogSink.Listeners", LogLevel.Debug)],
            Rules(levels).Select(r => (r.CategoryName, r.LogLevel)).OrderBy(r => r.CategoryName, StringComparer.Ordinal));
    }

    [Fact]
    public void An_unchanged_configuration_applies_nothing()
    {
        (ConfigurationReloadHub hub, SenderTimeZones zones, LoggingLevels levels) = Build();
        Microsoft.Extensions.Primitives.IChangeToken token = ((IOptionsChangeTokenSource<LoggerFilterOptions>)levels).GetChangeToken();

        Assert.True(hub.Reload());

        Assert.False(token.HasChanged);
        Assert.True(zones.AllUtc);
        Assert.Equal(1, hub.Applied);
    }

    [Fact]
    public void Allowed_sources_reload_into_the_source_filter_and_an_invalid_list_keeps_the_old_one()
    {
        _settings["Listeners:AllowedSources:0"] = "10.0.0.0/8";
        var initial = new ListenerOptions();
        Configuration().GetSection(ListenerOptions.SectionName).Bind(initial);
        using var filter = new SourceFilter(initial, NullLogger.Instance);
        var hub = new ConfigurationReloadHub(Configuration, [new AllowListReload(filter, Options.Create(initial))], NullLogger<ConfigurationReloadHub>.Instance);
        InetValue loopback = InetValue.FromIPv4(0x7F000001);
        Assert.False(filter.For(ListenerKind.Tcp).Allows(loopback));

        _settings["Listeners:AllowedSources:0"] = "127.0.0.0/8";
        Assert.True(hub.Reload());
        Assert.True(filter.For(ListenerKind.Tcp).Allows(loopback));

        _settings["Listeners:AllowedSourcesByListener:Udp:0"] = "127.0.0.0/99";
        Assert.False(hub.Reload());
        Assert.True(filter.For(ListenerKind.Udp).Allows(loopback));
        Assert.False(filter.For(ListenerKind.Udp).Allows(InetValue.FromIPv4(0x0A000001)));
    }

    [Fact]
    public void An_invalid_log_level_at_start_names_the_key()
    {
        _settings["Logging:LogLevel:Default"] = "Chatty";
        OptionsValidationException error = Assert.Throws<OptionsValidationException>(() => new LoggingLevels(Configuration()));
        Assert.StartsWith("Logging:LogLevel:Default", error.Failures.Single(), StringComparison.Ordinal);
    }

    private static List<LoggerFilterRule> Rules(LoggingLevels levels)
    {
        var options = new LoggerFilterOptions();
        levels.Configure(options);
        return [.. options.Rules];
    }

    private IConfiguration Configuration() => new ConfigurationBuilder().AddInMemoryCollection(_settings).Build();

    private (ConfigurationReloadHub Hub, SenderTimeZones Zones, LoggingLevels Levels) Build()
    {
        IConfiguration initial = Configuration();
        var xray = new XrayOptions();
        initial.GetSection(XrayOptions.SectionName).Bind(xray);
        var zones = new SenderTimeZones(xray);
        var levels = new LoggingLevels(initial);
        var hub = new ConfigurationReloadHub(
            Configuration,
            [levels, new TimeZoneReload(zones, Options.Create(xray), new XrayOptionsValidator())],
            NullLogger<ConfigurationReloadHub>.Instance);
        return (hub, zones, levels);
    }
}
