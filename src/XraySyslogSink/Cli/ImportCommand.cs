using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Npgsql;
using XraySyslogSink.Core;
using XraySyslogSink.Import;
using XraySyslogSink.Nodes;
using XraySyslogSink.Pipeline;
using XraySyslogSink.Storage;
using XraySyslogSink.Xray;

namespace XraySyslogSink.Cli;

/// <summary>
/// <c>xraysink import FILE...</c>: loads saved access logs (raw xray lines or syslog lines, plain or gzip, <c>-</c> for
/// standard input) through the daemon's parser and store; see <see cref="LogImporter"/>. Prints a progress bar on
/// standard error when it is a terminal and a summary per input on standard output.
/// </summary>
internal sealed class ImportCommand : ICliCommand
{
    private static readonly TimeSpan RedrawInterval = TimeSpan.FromMilliseconds(200);

    public string Name => "import";

    public Command Create(CliContext context, CliSettings settings)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(settings);
        var files = new Argument<string[]>("FILE")
        {
            Arity = ArgumentArity.OneOrMore,
            Description = "Saved access logs, plain or gzip; - for standard input.",
        };
        var timeZone = new Option<string>("--time-zone")
        {
            HelpName = "ZONE",
            Description = "Read every line's clock in ZONE (IANA, e.g. Europe/Berlin). Default: the daemon's Xray settings.",
        };
        var host = new Option<string>("--host")
        {
            HelpName = "NAME",
            Description = "Read every line's clock as sender NAME's (Xray:SenderTimeZones).",
        };
        Option<int> batchSize = CliOptions.Int("--batch-size", "N", "Rows per transaction (default: Writer:BatchSize).", 0, 1, 1_000_000);
        var node = new Option<string>("--node")
        {
            HelpName = "NAME",
            Description = "Attribute every imported row to node NAME (read in NAME's zone unless --time-zone or --host says otherwise). Without it a line's HOSTNAME names its node; a raw xray line has none.",
        };
        var command = new Command(Name, "Load saved access logs (raw xray lines or syslog lines, e.g. an rsyslog file; plain or gzip; - for standard input) through the collector's parser and writer. Lines of any age are accepted. Each input is recorded by the SHA-256 of its content with the lines committed, so importing it again adds nothing and an interrupted import resumes.")
        {
            files,
            timeZone,
            host,
            batchSize,
            node,
        };
        command.SetAction((parse, _) => RunAsync(
            context,
            settings.Load(parse),
            parse.GetValue(files) ?? [],
            parse.GetValue(timeZone),
            parse.GetValue(host),
            parse.GetResult(batchSize) is null ? null : parse.GetValue(batchSize),
            parse.GetValue(node)));
        return command;
    }

    private static async Task<int> RunAsync(CliContext context, IConfigurationRoot configuration, string[] files, string? timeZone, string? host, int? batchSizeOption, string? node)
    {
        if (node is not null && !NodeNames.IsValidName(node))
        {
            throw new CliUsageException($"--node: '{NodeText.Escape(node)}' is not a node name (1 to {NodeNames.MaxLength} characters, no control characters, not '-')");
        }

        if (files.Count(p => p == "-") > 1)
        {
            throw new CliUsageException("standard input (-) can be named once");
        }

        if (timeZone is not null && host is not null)
        {
            throw new CliUsageException("--time-zone and --host exclude each other");
        }

        foreach (string file in files)
        {
            if (file != "-" && !File.Exists(file))
            {
                await context.Error.WriteLineAsync($"xraysink import: {file}: no such file");
                return 1;
            }
        }

        WriterOptions writer = CliContext.Options(configuration, WriterOptions.SectionName, new WriterOptionsValidator());
        int batchSize = batchSizeOption ?? writer.BatchSize;
        SenderTimeZones zones = Zones(timeZone, host, CliContext.Options(configuration, XrayOptions.SectionName, new XrayOptionsValidator()));
        PipelineOptions pipeline = CliContext.Options(configuration, PipelineOptions.SectionName, new PipelineOptionsValidator());
        DimensionCacheOptions cache = CliContext.Options(configuration, DimensionCacheOptions.SectionName, new CacheOptionsValidator());
        SchemaOptions schema = CliContext.Options(configuration, SchemaOptions.SectionName, new SchemaOptionsValidator());

        await using NpgsqlDataSource dataSource = CliContext.DataSource(configuration);
        using ILoggerFactory loggers = context.CreateLoggers();
        await new SchemaMigrator(dataSource, schema, context.TimeProvider, loggers.CreateLogger<SchemaMigrator>()).ApplyAsync(context.CancellationToken);

        var bar = new ProgressBar(context);
        var importer = new LogImporter(dataSource, new DimensionCaches(cache), zones, pipeline, batchSize, context.TimeProvider, loggers)
        {
            Progress = bar.Update,
            Node = node is null ? default : new NodeIdentity(node, NodeIdentitySource.Assigned),
        };

        List<ImportResult> results = [];
        foreach (string file in files)
        {
            using ImportSource source = file == "-"
                ? await ImportSource.StageAsync(context.OpenInput(), context.TimeProvider.GetUtcNow(), context.CancellationToken)
                : ImportSource.OpenFile(file);
            ImportResult result;
            try
            {
                result = await importer.ImportAsync(source, context.CancellationToken);
            }
            finally
            {
                bar.Clear();
            }

            results.Add(result);
            await context.Out.WriteAsync(Summary(result));
        }

        if (results.Count > 1)
        {
            await context.Out.WriteAsync(Totals(results));
        }

        return 0;
    }

    /// <summary>The summary of one input; every line but the rate one is deterministic.</summary>
    internal static string Summary(ImportResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"{result.Name}: sha256 {result.Sha256}\n");
        if (result.AlreadyImported)
        {
            text.Append(CultureInfo.InvariantCulture, $"  already imported: all {result.LinesTotal} lines are committed; nothing to do\n");
            return text.ToString();
        }

        if (result.ResumedAfter > 0)
        {
            text.Append(CultureInfo.InvariantCulture, $"  resumed after line {result.ResumedAfter} (committed by an earlier run)\n");
        }

        long skipped = result.Skipped.Values.Sum();
        text.Append(CultureInfo.InvariantCulture, $"  lines         {result.LinesRead} read of {result.LinesTotal}\n");
        text.Append(CultureInfo.InvariantCulture, $"  rows          {result.Rows}\n");
        text.Append(CultureInfo.InvariantCulture, $"  skipped       {skipped}{Breakdown(result.Skipped)}\n");
        text.Append(CultureInfo.InvariantCulture, $"  dead letters  {result.DeadLetters}{Breakdown(result.DeadLettered)}\n");
        if (result.Suppressed > 0)
        {
            text.Append(CultureInfo.InvariantCulture, $"  suppressed    {result.Suppressed} dead letters over Pipeline:DeadLettersPerSecond (counted, not stored)\n");
        }

        text.Append(CultureInfo.InvariantCulture, $"  rate          {Rate(result.LinesRead, result.Elapsed)}\n");
        return text.ToString();
    }

    private static string Totals(List<ImportResult> results)
    {
        long lines = results.Sum(r => r.LinesRead);
        TimeSpan elapsed = TimeSpan.FromTicks(results.Sum(r => r.Elapsed.Ticks));
        return string.Create(
            CultureInfo.InvariantCulture,
            $"total: {results.Count} inputs, {lines} lines read, {results.Sum(r => r.Rows)} rows, {results.Sum(r => r.Skipped.Values.Sum())} skipped, {results.Sum(r => r.DeadLetters)} dead letters, {Rate(lines, elapsed)}\n");
    }

    private static string Breakdown(SortedDictionary<string, long> counts) =>
        counts.Count == 0 ? string.Empty : $" ({string.Join(", ", counts.Select(c => string.Create(CultureInfo.InvariantCulture, $"{c.Key} {c.Value}")))})";

    private static string Rate(long lines, TimeSpan elapsed) => string.Create(
        CultureInfo.InvariantCulture,
        $"{lines / Math.Max(elapsed.TotalSeconds, 0.001):0} lines/s over {elapsed.TotalSeconds:0.00} s");

    /// <summary>The zones an import reads clocks in: one zone for every line with --time-zone or --host, else the daemon's.</summary>
    private static SenderTimeZones Zones(string? zone, string? host, XrayOptions configured)
    {
        if (host is not null)
        {
            zone = configured.SenderTimeZones.TryGetValue(host, out string? senderZone) ? senderZone : configured.TimeZone;
        }

        if (zone is null)
        {
            return new SenderTimeZones(configured);
        }

        return SenderTimeZones.TryFindZone(zone, out _)
            ? new SenderTimeZones(new XrayOptions { TimeZone = zone })
            : throw new CliUsageException($"'{zone}' is not a known IANA time zone");
    }

    /// <summary>One redrawn line on a terminal: bar, percent (of the file's bytes), lines and rate.</summary>
    private sealed class ProgressBar(CliContext context)
    {
        private const int Width = 30;
        private long _lastDraw = Stopwatch.GetTimestamp() - RedrawInterval.Ticks;
        private long _started;
        private string _name = string.Empty;
        private bool _drawn;

        public void Update(ImportProgress progress)
        {
            if (!context.ErrorIsTerminal)
            {
                return;
            }

            if (progress.Name != _name)
            {
                _name = progress.Name;
                _started = Stopwatch.GetTimestamp();
            }

            if (Stopwatch.GetElapsedTime(_lastDraw) < RedrawInterval)
            {
                return;
            }

            _lastDraw = Stopwatch.GetTimestamp();
            double fraction = progress.BytesTotal > 0 ? Math.Clamp((double)progress.Bytes / progress.BytesTotal, 0, 1) : 1;
            int filled = (int)(fraction * Width);
            double seconds = Math.Max(Stopwatch.GetElapsedTime(_started).TotalSeconds, 0.001);
            context.Error.Write(string.Create(
                CultureInfo.InvariantCulture,
                $"\r{progress.Name} [{new string('#', filled)}{new string('.', Width - filled)}] {fraction * 100,3:0}%  {progress.Lines:N0}/{progress.LinesTotal:N0} lines  {progress.Lines / seconds:N0} lines/s  {progress.Rows:N0} rows "));
            _drawn = true;
        }

        public void Clear()
        {
            if (_drawn)
            {
                context.Error.Write("\r\u001b[K");
                _drawn = false;
            }
        }
    }
}
