using System.CommandLine;
using System.Globalization;
using Npgsql;
using NpgsqlTypes;
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
    ];

    internal enum Extra
    {
        None,
        Gap,
        Bucket,
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
        Option<int> limit = CliOptions.Int("--limit", "N", "At most N rows (0 = all).", DefaultLimit, 0, int.MaxValue);
        Option<OutputFormat> format = CliOptions.Format();
        var command = new Command(report.Name, report.Description) { from, to, user, limit, format };
        Option<TimeSpan?>? interval = report.Takes switch
        {
            Extra.Gap => CliOptions.Duration("--gap", "AGE", "A pause longer than AGE starts a new session (default 30m)."),
            Extra.Bucket => CliOptions.Duration("--bucket", "AGE", "Length of each period of the timeline (default 1h)."),
            _ => null,
        };
        if (interval is not null)
        {
            command.Options.Add(interval);
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
                table = await RunAsync(
                    dataSource, report, start, end, parse.GetValue(user), parse.GetValue(limit), interval is null ? null : parse.GetValue(interval), context.CancellationToken);
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
    internal static async Task<ResultTable> RunAsync(
        NpgsqlDataSource dataSource, Report report, DateTime from, DateTime to, string? user, int limit, TimeSpan? interval, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        ArgumentNullException.ThrowIfNull(report);

        // The function name comes from the fixed list above, never from input; the values are bound.
        List<NpgsqlParameter> parameters =
        [
            new NpgsqlParameter<DateTime> { TypedValue = DateTime.SpecifyKind(from, DateTimeKind.Utc), NpgsqlDbType = NpgsqlDbType.TimestampTz },
            new NpgsqlParameter<DateTime> { TypedValue = DateTime.SpecifyKind(to, DateTimeKind.Utc), NpgsqlDbType = NpgsqlDbType.TimestampTz },
        ];
        if (report.Takes != Extra.None)
        {
            TimeSpan fallback = report.Takes == Extra.Gap ? TimeSpan.FromMinutes(30) : TimeSpan.FromHours(1);
            parameters.Add(new NpgsqlParameter<TimeSpan> { TypedValue = interval ?? fallback, NpgsqlDbType = NpgsqlDbType.Interval });
        }

        parameters.Add(new NpgsqlParameter { Value = (object?)user ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        string placeholders = string.Join(", ", Enumerable.Range(1, parameters.Count).Select(i => string.Create(CultureInfo.InvariantCulture, $"${i}")));
        string sql = $"SELECT * FROM {report.Function}({placeholders})";
        if (limit > 0)
        {
            parameters.Add(new NpgsqlParameter<long> { TypedValue = limit, NpgsqlDbType = NpgsqlDbType.Bigint });
            sql += string.Create(CultureInfo.InvariantCulture, $" LIMIT ${parameters.Count}");
        }

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
