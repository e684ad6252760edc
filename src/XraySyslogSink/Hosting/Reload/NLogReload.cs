using Microsoft.Extensions.Configuration;
using NLog;
using NLog.Config;

namespace XraySyslogSink.Hosting.Reload;

/// <summary>
/// Reloads NLog.config (rules, levels, targets) when its content changed: the file is parsed into a new
/// configuration first (<c>throwConfigExceptions="true"</c> makes a broken file fail here), and only then does NLog
/// switch to it. Without an NLog configuration (tests log elsewhere) there is nothing to reload.
/// </summary>
internal sealed class NLogReload : IReloadableSettings
{
    private readonly string _path;
    private string? _loaded;

    public NLogReload(string path)
    {
        _path = path;
        _loaded = File.Exists(path) ? File.ReadAllText(path) : null;
    }

    public string Name => "NLog.config";

    public Action? Prepare(IConfiguration configuration, ICollection<string> failures)
    {
        if (LogManager.Configuration is not XmlLoggingConfiguration xml)
        {
            return null;
        }

        try
        {
            string text = File.ReadAllText(_path);
            if (text == _loaded)
            {
                return null;
            }

            LoggingConfiguration reloaded = xml.Reload();
            return () =>
            {
                LogManager.Configuration = reloaded;
                _loaded = text;
            };
        }
        catch (Exception ex) when (ex is NLogConfigurationException or IOException or System.Xml.XmlException or UnauthorizedAccessException)
        {
            failures.Add($"{_path}: {(ex.InnerException ?? ex).Message}");
            return null;
        }
    }
}
