using System.Runtime.InteropServices;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace XraySyslogSink.Hosting.Reload;

/// <summary>
/// Re-reads the configuration on SIGHUP (<c>systemctl reload xraysink</c>), validates every reloadable group of
/// settings against it and applies them together, or none of them with one log line naming what was wrong.
/// Settings that are not reloadable (listeners, queues, the database, the spool) keep the values read at start.
/// </summary>
internal sealed partial class ConfigurationReloadHub : IHostedService, IDisposable
{
    private readonly Func<IConfiguration> _readConfiguration;
    private readonly IReloadableSettings[] _subscribers;
    private readonly ILogger<ConfigurationReloadHub> _logger;
    private readonly Lock _reloadLock = new();
    private PosixSignalRegistration? _sighup;

    /// <param name="readConfiguration">Reads every configuration source anew (files, environment, command line).</param>
    public ConfigurationReloadHub(Func<IConfiguration> readConfiguration, IEnumerable<IReloadableSettings> subscribers, ILogger<ConfigurationReloadHub> logger)
    {
        _readConfiguration = readConfiguration;
        _subscribers = [.. subscribers];
        _logger = logger;
    }

    /// <summary>Reloads that applied (even when nothing changed); for tests and the log.</summary>
    public int Applied { get; private set; }

    /// <summary>Reloads that were rejected.</summary>
    public int Rejected { get; private set; }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (!OperatingSystem.IsWindows())
        {
            _sighup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, context =>
            {
                // Without Cancel the runtime's default action for SIGHUP would end the process.
                context.Cancel = true;
                ThreadPool.UnsafeQueueUserWorkItem(static hub => hub.Reload(), this, preferLocal: false);
            });
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        _sighup?.Dispose();
        _sighup = null;
        return Task.CompletedTask;
    }

    /// <summary>Reads the configuration and applies it; returns false (old settings kept) when it is invalid.</summary>
    public bool Reload()
    {
        lock (_reloadLock)
        {
            List<string> failures = [];
            List<(string Name, Action Apply)> changes = [];
            try
            {
                IConfiguration configuration = _readConfiguration();
                foreach (IReloadableSettings subscriber in _subscribers)
                {
                    Action? apply = subscriber.Prepare(configuration, failures);
                    if (apply is not null)
                    {
                        changes.Add((subscriber.Name, apply));
                    }
                }
            }
            catch (Exception ex) when (ex is InvalidDataException or FormatException or IOException or InvalidOperationException or UnauthorizedAccessException)
            {
                failures.Add(ex.InnerException is null ? ex.Message : $"{ex.Message} {ex.InnerException.Message}");
            }

            if (failures.Count > 0)
            {
                Rejected++;
                LogRejected(string.Join("; ", failures));
                return false;
            }

            foreach ((_, Action apply) in changes)
            {
                apply();
            }

            Applied++;
            LogApplied(changes.Count == 0 ? "nothing changed" : string.Join(", ", changes.Select(c => c.Name)));
            return true;
        }
    }

    public void Dispose() => _sighup?.Dispose();

    [LoggerMessage(Level = LogLevel.Warning, Message = "Configuration reload rejected, the previous settings stay: {Failures}")]
    private partial void LogRejected(string failures);

    [LoggerMessage(Level = LogLevel.Information, Message = "Configuration reloaded: {Changes}")]
    private partial void LogApplied(string changes);
}
