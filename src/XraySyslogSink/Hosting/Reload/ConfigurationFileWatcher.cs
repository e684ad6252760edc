using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace XraySyslogSink.Hosting.Reload;

/// <summary>
/// With <c>Reload:WatchFiles=true</c>, a change to a settings file (the <c>XRAYSINK_CONFIG</c>/<c>--config</c> file,
/// <c>appsettings.json</c> beside the binary, NLog.config) triggers the same reload as SIGHUP, once the file has
/// been quiet for <see cref="Settle"/> (editors write in several steps; an intermediate broken state is only a
/// rejected reload).
/// </summary>
internal sealed partial class ConfigurationFileWatcher : IHostedService, IDisposable
{
    public static readonly TimeSpan Settle = TimeSpan.FromMilliseconds(500);

    private readonly IReadOnlyList<string> _files;
    private readonly ConfigurationReloadHub _hub;
    private readonly ILogger<ConfigurationFileWatcher> _logger;
    private readonly List<FileSystemWatcher> _watchers = [];
    private readonly Timer _timer;

    public ConfigurationFileWatcher(IReadOnlyList<string> files, ConfigurationReloadHub hub, ILogger<ConfigurationFileWatcher> logger)
    {
        _files = files;
        _hub = hub;
        _logger = logger;
        _timer = new Timer(static state => ((ConfigurationFileWatcher)state!).Changed(), this, Timeout.Infinite, Timeout.Infinite);
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (IGrouping<string, string> directory in _files.GroupBy(f => Path.GetDirectoryName(f) ?? ".", StringComparer.Ordinal))
        {
            if (!Directory.Exists(directory.Key))
            {
                continue;
            }

            var watcher = new FileSystemWatcher(directory.Key) { NotifyFilter = NotifyFilters.LastWrite | NotifyFilters.FileName | NotifyFilters.Size };
            foreach (string file in directory)
            {
                watcher.Filters.Add(Path.GetFileName(file));
            }

            watcher.Changed += OnChange;
            watcher.Created += OnChange;
            watcher.Renamed += OnChange;
            watcher.EnableRaisingEvents = true;
            _watchers.Add(watcher);
        }

        string watched = string.Join(", ", _files);
        LogWatching(watched);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        foreach (FileSystemWatcher watcher in _watchers)
        {
            watcher.EnableRaisingEvents = false;
        }

        _timer.Change(Timeout.Infinite, Timeout.Infinite);
        return Task.CompletedTask;
    }

    public void Dispose()
    {
        foreach (FileSystemWatcher watcher in _watchers)
        {
            watcher.Dispose();
        }

        _timer.Dispose();
    }

    // Every event restarts the settle period; the reload runs once the files are quiet.
    private void OnChange(object sender, FileSystemEventArgs e) => _timer.Change(Settle, Timeout.InfiniteTimeSpan);

    private void Changed()
    {
        LogFileChanged();
        _hub.Reload();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Watching {Files} for changes (Reload:WatchFiles)")]
    private partial void LogWatching(string files);

    [LoggerMessage(Level = LogLevel.Information, Message = "A settings file changed; reloading")]
    private partial void LogFileChanged();
}
