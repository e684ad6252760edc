using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace XraySyslogSink.Hosting.Reload;

/// <summary>Registers the reload hub (SIGHUP, and file changes with <c>Reload:WatchFiles</c>) and the reloadable settings: time zones, log levels, NLog.config, allowed sources.</summary>
internal static class ReloadServices
{
    public static void AddConfigurationReload(this IServiceCollection services, IConfiguration configuration, Func<IConfiguration>? readConfiguration)
    {
        services.AddSingleton(_ => new LoggingLevels(configuration));
        services.AddSingleton<IConfigureOptions<LoggerFilterOptions>>(sp => sp.GetRequiredService<LoggingLevels>());
        services.AddSingleton<IOptionsChangeTokenSource<LoggerFilterOptions>>(sp => sp.GetRequiredService<LoggingLevels>());
        services.AddSingleton<IReloadableSettings>(sp => sp.GetRequiredService<LoggingLevels>());
        services.AddSingleton<IReloadableSettings, TimeZoneReload>();
        services.AddSingleton<IReloadableSettings>(_ => new NLogReload(SinkHost.NLogConfigPath(configuration)));
        services.AddSingleton<IReloadableSettings, AllowListReload>();
        services.AddSingleton(sp => new ConfigurationReloadHub(
            readConfiguration ?? (() => configuration),
            sp.GetServices<IReloadableSettings>(),
            sp.GetRequiredService<ILogger<ConfigurationReloadHub>>()));
        services.AddHostedService(sp => sp.GetRequiredService<ConfigurationReloadHub>());
        if (configuration.GetValue("Reload:WatchFiles", false))
        {
            string[] files = [.. SinkHost.SettingsFiles(configuration).Where(File.Exists)];
            services.AddHostedService(sp => new ConfigurationFileWatcher(
                files,
                sp.GetRequiredService<ConfigurationReloadHub>(),
                sp.GetRequiredService<ILogger<ConfigurationFileWatcher>>()));
        }
    }
}
