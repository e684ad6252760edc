using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using XraySyslogSink.Storage;

namespace XraySyslogSink.Hosting;

/// <summary>
/// At start and every <see cref="RetentionOptions.CheckInterval"/>: creates the partitions (of <c>logs</c> and
/// <c>dead_letters</c>) of the next <see cref="SchemaOptions.PrecreateDays"/> days and, when <see cref="RetentionOptions.Days"/>
/// is set, detaches and drops the daily partitions of <c>logs</c> wholly older than that; when
/// <see cref="RetentionOptions.DeadLetterDays"/> is set, the same for <c>dead_letters</c>. A failure (database down, a
/// writer role the owner has not allowed to expire) is logged and retried next time.
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
        IReadOnlyList<PartitionInfo> dropped = [];
        if (_options.Days > 0)
        {
            DateTime cutoff = _timeProvider.GetUtcNow().UtcDateTime.AddDays(-_options.Days);
            dropped = await PartitionCatalog.DropOlderThanAsync(
                _dataSource, cutoff, dryRun: false, p => LogDropped(p.Name, _options.Days), cancellationToken);
        }

        await ExpireDeadLettersAsync(cancellationToken);
        return dropped;
    }

    /// <summary>Dead-letter retention: the days that ended <see cref="RetentionOptions.DeadLetterDays"/> or more days ago go. Returns the partitions dropped.</summary>
    public async Task<IReadOnlyList<string>> ExpireDeadLettersAsync(CancellationToken cancellationToken)
    {
        if (_options.DeadLetterDays <= 0)
        {
            return [];
        }

        DateOnly before = DateOnly.FromDateTime(_timeProvider.GetUtcNow().UtcDateTime.AddDays(-_options.DeadLetterDays));
        IReadOnlyList<string> dropped;
        try
        {
            dropped = await DeadLetterPartitions.ExpireAsync(_dataSource, before, cancellationToken);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrors.InsufficientPrivilege)
        {
            // A writer role the owner has not (yet) allowed this far back: the logs' retention above still ran.
            LogDeadLettersNotExpired(e.MessageText);
            return [];
        }

        foreach (string partition in dropped)
        {
            LogDropped(partition, _options.DeadLetterDays);
        }

        return dropped;
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

    [LoggerMessage(Level = LogLevel.Warning, Message = "Dead letters not expired: {Error}. Run `xraysink migrate --Retention:DeadLetterDays=N` as the schema owner to allow it")]
    private partial void LogDeadLettersNotExpired(string error);

        [LoggerMessage(Level = LogLevel.Warning, Message = "Partition maintenance failed ({Error}); retrying at the next check")]
    private partial void LogFailed(string error);
}
