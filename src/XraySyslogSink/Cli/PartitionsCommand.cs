using System.CommandLine;
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

    public Command Create(CliContext context, CliSettings settings)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(settings);
        Option<OutputFormat> format = CliOptions.Format();
        var list = new Command("list", "Every table attached to logs: name, range (UTC), planner row estimate, size on disk.") { format };
        list.SetAction((parse, _) => ListAsync(context, settings.Load(parse), parse.GetValue(format)));

        Option<TimeSpan?> olderThan = CliOptions.Duration("--older-than", "AGE", "Drop the partitions whose whole day is older than AGE, e.g. 90d or 36h.");
        olderThan.Required = true;
        var dryRun = new Option<bool>("--dry-run") { Description = "Only print what would be dropped." };
        var drop = new Command("drop", "Detach, then drop, each daily logs_YYYY_MM_DD partition whose whole day is older than --older-than, printing each; --dry-run only prints. Other tables are never touched.")
        {
            olderThan,
            dryRun,
        };
        drop.SetAction((parse, _) => DropAsync(context, settings.Load(parse), parse.GetValue(olderThan)!.Value, parse.GetValue(dryRun)));

        return new CommandGroup(Name, "List or drop the daily partitions of logs.", "action") { list, drop };
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

    private static async Task<int> ListAsync(CliContext context, IConfiguration configuration, OutputFormat format)
    {
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

    private static async Task<int> DropAsync(CliContext context, IConfiguration configuration, TimeSpan age, bool dryRun)
    {
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
