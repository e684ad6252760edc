using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using XraySyslogSink.Storage;

namespace XraySyslogSink.Hosting;

/// <summary>
/// At start and every <see cref="RetentionOptions.CheckInterval"/>: creates the partitions of the next
/// <see cref="SchemaOptions.PrecreateDays"/> days and, when <see cref="RetentionOptions.Days"/> is set, detaches and
/// drops the daily partitions wholly older than that. A failure (database down) is logged and retried next time.
/// </summary>
internal sealed partial class PartitionMaintenanceService : BackgroundService
{
    private readonly SchemaMigrator _migrator;
    private readonly NpgsqlDataSource _dataSource;
    private readonly RetentionOptions _options;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger<PartitionMaintenanceService> _logger;

    public PartitionMaintenanceService(
        SchemaMigrator migrator,
        NpgsqlDataSource dataSource,
        IOptions<RetentionOptions> options,
        TimeProvider timeProvider,
        ILogger<PartitionMaintenanceService> logger)
    {
        _migrator = migrator;
        _dataSource = dataSource;
        _options = options.Value;
        _timeProvider = timeProvider;
        _logger = logger;
    }

    /// <summary>One round: pre-create, then retention. Returns the partitions dropped.</summary>
    public async Task<IReadOnlyList<PartitionInfo>> RunOnceAsync(CancellationToken cancellationToken)
    {
        IReadOnlyList<DateOnly> ahead = _migrator.DaysAhead();
        await _migrator.EnsurePartitionsAsync(ahead[0], ahead[^1], cancellationToken);
        if (_options.Days <= 0)
        {
            return [];
        }

        DateTime cutoff = _timeProvider.GetUtcNow().UtcDateTime.AddDays(-_options.Days);
        return await PartitionCatalog.DropOlderThanAsync(
            _dataSource, cutoff, dryRun: false, p => LogDropped(p.Name, _options.Days), cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await RunOnceAsync(stoppingToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                LogFailed(ex.Message);
            }

            try
            {
                await Task.Delay(_options.CheckInterval, _timeProvider, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Retention: dropped partition {Partition} (older than {Days} days)")]
    private partial void LogDropped(string partition, int days);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Partition maintenance failed ({Error}); retrying at the next check")]
    private partial void LogFailed(string error);
}
