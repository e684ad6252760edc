using System.Globalization;
using Microsoft.Extensions.Configuration;
using Npgsql;
using XraySyslogSink.Storage;

namespace XraySyslogSink.Cli;

/// <summary>
/// <c>xraysink partitions list</c> and <c>xraysink partitions drop --older-than 90d [--dry-run]</c>. Only the daily
/// <c>logs_YYYY_MM_DD</c> partitions the collector creates are ever dropped (see <see cref="PartitionCatalog"/>).
/// </summary>
internal sealed class PartitionsCommand : ICliCommand
{
    public string Name => "partitions";

    public string Usage => """
          xraysink partitions list [--format table|csv|json]
              Every table attached to logs: name, range (UTC), planner row estimate, size on disk.
          xraysink partitions drop --older-than AGE [--dry-run]
              Detach, then drop, each daily logs_YYYY_MM_DD partition whose whole day is older than AGE
              (e.g. 90d, 36h), printing each; --dry-run only prints. Other tables are never touched.
        """;

    public async Task<int> RunAsync(CliContext context, IReadOnlyList<string> args)
    {
        ArgumentNullException.ThrowIfNull(context);
        CliArguments arguments = CliArguments.Parse(args, ["older-than", "format"], ["dry-run"]);
        string action = arguments.Positional.Count == 1 ? arguments.Positional[0] : throw new CliUsageException("say list or drop");
        IConfigurationRoot configuration = CliContext.Configuration(arguments);
        return action switch
        {
            "list" => await ListAsync(context, arguments, configuration),
            "drop" => await DropAsync(context, arguments, configuration),
            _ => throw new CliUsageException($"unknown action '{action}' (list or drop)"),
        };
    }

    internal static string Size(long bytes)
    {
        string[] units = ["B", "kB", "MB", "GB", "TB"];
        double value = bytes;
        int unit = 0;
        while (value >= 1024 && unit < units.Length - 1)
        {
            value /= 1024;
            unit++;
        }

        return unit == 0
            ? string.Create(CultureInfo.InvariantCulture, $"{bytes} B")
            : string.Create(CultureInfo.InvariantCulture, $"{value:0.#} {units[unit]}");
    }

    private static async Task<int> ListAsync(CliContext context, CliArguments arguments, IConfiguration configuration)
    {
        OutputFormat format = ResultTable.ParseFormat(arguments.Value("format"));
        await using NpgsqlDataSource dataSource = CliContext.DataSource(configuration);
        IReadOnlyList<PartitionInfo> partitions = await PartitionCatalog.ListAsync(dataSource, context.CancellationToken);
        var table = new ResultTable(["partition", "from", "to", "rows_estimate", format == OutputFormat.Table ? "size" : "bytes"]);
        foreach (PartitionInfo partition in partitions)
        {
            table.Rows.Add([
                partition.Name,
                partition.From is null ? partition.Bound : partition.From,
                partition.To,
                partition.RowsEstimate,
                format == OutputFormat.Table ? Size(partition.Bytes) : partition.Bytes,
            ]);
        }

        await context.Out.WriteAsync(table.Render(format));
        return 0;
    }

    private static async Task<int> DropAsync(CliContext context, CliArguments arguments, IConfiguration configuration)
    {
        TimeSpan age = arguments.Duration("older-than") ?? throw new CliUsageException("drop needs --older-than AGE, e.g. --older-than 90d");
        bool dryRun = arguments.Has("dry-run");
        DateTime cutoff = context.TimeProvider.GetUtcNow().UtcDateTime - age;
        await using NpgsqlDataSource dataSource = CliContext.DataSource(configuration);
        IReadOnlyList<PartitionInfo> dropped = await PartitionCatalog.DropOlderThanAsync(
            dataSource,
            cutoff,
            dryRun,
            p => context.Out.WriteLine(dryRun ? $"would drop {p.Name}" : $"dropped {p.Name}"),
            context.CancellationToken);
        await context.Out.WriteLineAsync(string.Create(
            CultureInfo.InvariantCulture,
            $"{dropped.Count} {(dropped.Count == 1 ? "partition" : "partitions")} {(dryRun ? "would be dropped" : "dropped")} (ending at or before {cutoff:yyyy-MM-dd HH:mm:ss} UTC)"));
        return 0;
    }
}
