using System.CommandLine;
using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Npgsql;
using XraySyslogSink.Hosting;
using XraySyslogSink.Storage;
using XraySyslogSink.Xray;

namespace XraySyslogSink.Cli;

/// <summary>
/// <c>xraysink migrate [--from DATE --to DATE]</c>: applies the schema (tables, indexes, report functions, the
/// partitions of today and <c>Schema:PrecreateDays</c> ahead) and the daily partitions of a historical range, then exits.
/// Idempotent: run it again and nothing changes.
/// </summary>
internal sealed class MigrateCommand : ICliCommand
{
    // A guard against a typo such as --from 0025-01-01 creating ~730,000 tables.
    internal const int MaxRangeDays = 3660;

    public string Name => "migrate";

    public Command Create(CliContext context, CliSettings settings)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(settings);
        Option<DateOnly?> fromOption = CliOptions.Date("--from", "First UTC day of a historical range whose daily partitions are created (with --to).");
        Option<DateOnly?> toOption = CliOptions.Date("--to", "Last UTC day of that range, included.");
        var command = new Command(Name, "Apply the schema, the report functions and the partitions of today and Schema:PrecreateDays ahead; with --from/--to also every daily partition of that range (UTC days, both included). Idempotent.")
        {
            fromOption,
            toOption,
        };
        command.SetAction((parse, _) => RunAsync(context, settings.Load(parse), parse.GetValue(fromOption), parse.GetValue(toOption)));
        return command;
    }

    private static async Task<int> RunAsync(CliContext context, IConfigurationRoot configuration, DateOnly? from, DateOnly? to)
    {
        if (from is null != to is null)
        {
            throw new CliUsageException("--from and --to go together");
        }

        if (from > to)
        {
            throw new CliUsageException($"--from {from:yyyy-MM-dd} is after --to {to:yyyy-MM-dd}");
        }

        if (from is not null && to!.Value.DayNumber - from.Value.DayNumber >= MaxRangeDays)
        {
            throw new CliUsageException($"the range covers more than {MaxRangeDays} days; migrate it in parts");
        }

        SchemaOptions schema = CliContext.Options(configuration, SchemaOptions.SectionName, new SchemaOptionsValidator());
        await using NpgsqlDataSource dataSource = CliContext.DataSource(configuration);
        using ILoggerFactory loggers = context.CreateLoggers();
        RetentionOptions retention = CliContext.Options(configuration, RetentionOptions.SectionName, new RetentionOptionsValidator());
        XrayOptions xray = CliContext.Options(configuration, XrayOptions.SectionName, new XrayOptionsValidator());
        var migrator = new SchemaMigrator(dataSource, schema, context.TimeProvider, loggers.CreateLogger<SchemaMigrator>())
        {
            WriterLimits = SinkHost.WriterLimitsFor(retention, xray, schema),
        };
        await migrator.ApplyAsync(context.CancellationToken);
        await context.Out.WriteLineAsync("xraysink: schema is up to date");
        if (from is { } first && to is { } last)
        {
            await migrator.EnsurePartitionsAsync(first, last, context.CancellationToken);
            await context.Out.WriteLineAsync(string.Create(
                CultureInfo.InvariantCulture,
                $"xraysink: partitions {PartitionManager.PartitionName(first)} to {PartitionManager.PartitionName(last)} exist ({last.DayNumber - first.DayNumber + 1} days)"));
        }

        return 0;
    }
}
