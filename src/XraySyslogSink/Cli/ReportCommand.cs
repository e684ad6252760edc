using System.CommandLine;
using Npgsql;
using XraySyslogSink.Storage;

namespace XraySyslogSink.Cli;

/// <summary>
/// <c>xraysink report NAME</c>: runs one of the report functions <c>migrate</c> creates (Storage/AnalyticsSql.cs)
/// over <c>[--from, --to)</c> and prints the rows as a table, CSV or JSON.
/// </summary>
internal sealed class ReportCommand : ICliCommand
{
    internal const int DefaultLimit = 50;

    /// <summary>Every report: its name, the function behind it, what it shows, and whether it takes --gap or --bucket.</summary>
    internal static readonly Report[] Reports =
    [
        new("sessions", "report_user_sessions", "connections of each user grouped into sessions: a gap of more than --gap (default 30m) starts a new one", Extra.Gap),
        new("activity", "report_user_activity", "each user's connections per --bucket (default 1h): a timeline", Extra.Bucket),
        new("top-endpoints", "report_top_endpoints", "destinations by connections, with distinct users", Extra.None),
        new("top-protocols", "report_top_protocols", "protocols by connections, with distinct users and share", Extra.None),
        new("routes", "report_routes", "inbound >> outbound tag pairs: connections, rejected, users, endpoints", Extra.None),
        new("ips-per-user", "report_ips_per_user", "source IPs each user connected from (account sharing)", Extra.None),
        new("users-per-ip", "report_users_per_ip", "users behind each source IP (NAT, shared accounts)", Extra.None),
        new("nodes", "report_nodes", "every node: rows in the range, first and last seen, silent since (nothing for --silent, default 15m, before --to), last address", Extra.Silent),
        new("node-traffic", "report_node_traffic", "each node's connections per --bucket (default 1h)", Extra.Bucket),
        new("shared-accounts", "report_shared_accounts", "accounts used from more than --max-sources (default 2) source addresses (--by-network: /24 and /64 networks) within any --window (default 1h), over all nodes, naming them", Extra.Window),
    ];

    internal enum Extra
    {
        None,
        Gap,
        Bucket,
        Silent,
        Window,
    }

    public string Name => "report";

    public Command Create(CliContext context, CliSettings settings)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(settings);
        var group = new CommandGroup(
            Name,
            $"Print an analysis over [--from, --to) as the reader role ({ReportsOptions.ConnectionStringKey}; default: the daemon's connection).",
            "report");
        foreach (Report report in Reports)
        {
            group.Subcommands.Add(CreateReport(report, context, settings));
        }

        return group;
    }

    private static Command CreateReport(Report report, CliContext context, CliSettings settings)
    {
        Option<DateTime?> from = CliOptions.Instant("--from", endOfDay: false, "Start of the range, included (default: 24 hours before --to). TIME is 2025-11-17 or 2025-11-17T08:30:00Z (UTC unless an offset is given).");
        Option<DateTime?> to = CliOptions.Instant("--to", endOfDay: true, "End of the range, excluded (default: now); a plain date includes that day.");
        var user = new Option<string>("--user") { HelpName = "EMAIL", Description = "Only this user's connections." };
        var node = new Option<string>("--node") { HelpName = "NAME", Description = "Only this node's connections (docs/nodes.md)." };
        Option<int> limit = CliOptions.Int("--limit", "N", "At most N rows (0 = all).", DefaultLimit, 0, int.MaxValue);
        Option<OutputFormat> format = CliOptions.Format();
        var command = new Command(report.Name, report.Description) { from, to, user, node, limit, format };
        Option<TimeSpan?>? interval = report.Takes switch
        {
            Extra.Gap => CliOptions.Duration("--gap", "AGE", "A pause longer than AGE starts a new session (default 30m)."),
            Extra.Bucket => CliOptions.Duration("--bucket", "AGE", "Length of each period (default 1h)."),
            Extra.Silent => CliOptions.Duration("--silent", "AGE", "A node that sent nothing for AGE before --to is silent (default 15m)."),
            Extra.Window => CliOptions.Duration("--window", "AGE", "Length of the sliding window, to the minute (default 1h)."),
            _ => null,
        };
        if (interval is not null)
        {
            command.Options.Add(interval);
        }

        Option<int>? maxSources = null;
        Option<bool>? byNetwork = null;
        if (report.Takes == Extra.Window)
        {
            maxSources = CliOptions.Int("--max-sources", "N", "Report accounts used from more than N sources in a window (default 2).", 2, 1, 1_000_000);
            byNetwork = new Option<bool>("--by-network") { Description = "Count /24 (IPv4) and /64 (IPv6) networks instead of addresses." };
            command.Options.Add(maxSources);
            command.Options.Add(byNetwork);
        }

        command.SetAction(async (parse, _) =>
        {
            DateTime end = parse.GetValue(to) ?? context.TimeProvider.GetUtcNow().UtcDateTime;
            DateTime start = parse.GetValue(from) ?? end.AddDays(-1);
            if (start >= end)
            {
                throw new CliUsageException($"--from {start:yyyy-MM-dd HH:mm:ss} is not before --to {end:yyyy-MM-dd HH:mm:ss}");
            }

            await using NpgsqlDataSource dataSource = CliContext.ReportDataSource(settings.Load(parse));
            ResultTable table;
            try
            {
                var query = new ReportQuery(
                    start,
                    end,
                    parse.GetValue(user),
                    parse.GetValue(node),
                    parse.GetValue(limit),
                    interval is null ? null : parse.GetValue(interval),
                    maxSources is null ? 2 : parse.GetValue(maxSources),
                    byNetwork is not null && parse.GetValue(byNetwork));
                table = await RunAsync(dataSource, report, query, context.CancellationToken);
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrors.UndefinedFunction)
            {
                // A database kept to the seed schema (Schema:SeedOnly) has no nodes and no node-aware reports.
                throw new InvalidOperationException(
                    $"{e.MessageText}: this database has no nodes extension (Schema:SeedOnly, or not migrated yet: `xraysink migrate` as the owner)", e);
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrors.InsufficientPrivilege)
            {
                string role = new NpgsqlConnectionStringBuilder(dataSource.ConnectionString).Username ?? "this role";
                throw new InvalidOperationException(
                    $"{e.MessageText} as {role}: reports run as the reader role ({ReportsOptions.ConnectionStringKey}, scripts/sql/roles.sql), "
                    + $"granted by `xraysink migrate --Schema:ReaderRole={role}` run as the schema's owner",
                    e);
            }

            await context.Out.WriteAsync(table.Render(parse.GetValue(format)));
            return 0;
        });
        return command;
    }

    /// <summary>Runs <paramref name="report"/> and collects its rows.</summary>
    internal static async Task<ResultTable> RunAsync(NpgsqlDataSource dataSource, Report report, ReportQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(query);
        (string sql, List<NpgsqlParameter> parameters) = query.Call(report);
        await using NpgsqlCommand command = dataSource.CreateCommand(sql);
        command.Parameters.AddRange(parameters.ToArray());
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken);
        var table = new ResultTable(Enumerable.Range(0, reader.FieldCount).Select(reader.GetName).ToArray());
        while (await reader.ReadAsync(cancellationToken))
        {
            object?[] row = new object?[reader.FieldCount];
            for (int i = 0; i < row.Length; i++)
            {
                row[i] = reader.IsDBNull(i) ? null : reader.GetValue(i);
            }

            table.Rows.Add(row);
        }

        return table;
    }

    internal sealed record Report(string Name, string Function, string Description, Extra Takes);
}
