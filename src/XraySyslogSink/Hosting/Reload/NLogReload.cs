using Microsoft.Extensions.Configuration;
using NLog;
using NLog.Config;

namespace XraySyslogSink.Hosting.Reload;

/// <summary>
/// Reloads NLog.config (rules, levels, targets): the file is parsed into a new configuration first
/// (<c>throwConfigExceptions="true"</c> makes a broken file fail here), and only then does NLog switch to it.
/// Without an NLog configuration (tests log elsewhere) there is nothing to reload.
/// </summary>
internal sealed class NLogReload : IReloadableSettings
{
    public string Name => "NLog.config";

    public Action? Prepare(IConfiguration configuration, ICollection<string> failures)
    {
        LoggingConfiguration? current = LogManager.Configuration;
        if (current is not XmlLoggingConfiguration xml)
        {
            return null;
        }

        try
        {
            LoggingConfiguration reloaded = xml.Reload();
            return () => LogManager.Configuration = reloaded;
        }
        catch (Exception ex) when (ex is NLogConfigurationException or IOException or System.Xml.XmlException or UnauthorizedAccessException)
        {
            failures.Add($"NLog.config: {(ex.InnerException ?? ex).Message}");
            return null;
        }
    }
}
