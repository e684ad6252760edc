using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using XraySyslogSink.Pipeline;
using XraySyslogSink.Storage;

namespace XraySyslogSink.Hosting;

/// <summary>
/// Applies the schema before anything is received. A database that is not up yet (the collector and
/// PostgreSQL booting together) is waited for; a permanent problem (wrong password, old server) stops the start.
/// </summary>
internal sealed partial class DatabaseInitializer : IHostedService
{
    private static readonly TimeSpan FirstDelay = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan MaxDelay = TimeSpan.FromSeconds(10);

    private readonly SchemaMigrator _migrator;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger<DatabaseInitializer> _logger;

    public DatabaseInitializer(SchemaMigrator migrator, TimeProvider timeProvider, ILogger<DatabaseInitializer> logger)
    {
        _migrator = migrator;
        _timeProvider = timeProvider;
        _logger = logger;
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var backoff = new RetryBackoff(FirstDelay, MaxDelay, _timeProvider);
        while (true)
        {
            try
            {
                await _migrator.ApplyAsync(cancellationToken);
                LogSchemaReady();
                return;
            }
            catch (Exception ex) when (PostgresErrors.IsTransient(ex) && !cancellationToken.IsCancellationRequested)
            {
                LogWaiting(backoff.Attempt, backoff.NextDelay, ex.Message);
                await backoff.WaitAfterFailureAsync(cancellationToken);
            }
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Information, Message = "Database schema is ready")]
    private partial void LogSchemaReady();

    [LoggerMessage(Level = LogLevel.Warning, Message = "Database not reachable yet (attempt {Attempt}: {Error}); retrying in {Delay}")]
    private partial void LogWaiting(int attempt, TimeSpan delay, string error);
}
