using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace XraySyslogSink.Hosting.Reload;

/// <summary>Registers the reload hub (SIGHUP) and the reloadable settings: time zones, log levels, NLog.config.</summary>
internal static class ReloadServices
{
    public static void AddConfigurationReload(this IServiceCollection services, IConfiguration configuration, Func<IConfiguration>? readConfiguration)
    {
        services.AddSingleton(_ => new LoggingLevels(configuration));
        services.AddSingleton<IConfigureOptions<LoggerFilterOptions>>(sp => sp.GetRequiredService<LoggingLevels>());
        services.AddSingleton<IOptionsChangeTokenSource<LoggerFilterOptions>>(sp => sp.GetRequiredService<LoggingLevels>());
        services.AddSingleton<IReloadableSettings>(sp => sp.GetRequiredService<LoggingLevels>());
        services.AddSingleton<IReloadableSettings, TimeZoneReload>();
        services.AddSingleton<IReloadableSettings, NLogReload>();
        services.AddSingleton(sp => new ConfigurationReloadHub(
            readConfiguration ?? (() => configuration),
            sp.GetServices<IReloadableSettings>(),
            sp.GetRequiredService<ILogger<ConfigurationReloadHub>>()));
        services.AddHostedService(sp => sp.GetRequiredService<ConfigurationReloadHub>());
    }
}
