using System.Globalization;
using Microsoft.Extensions.Configuration;
using Npgsql;
using NpgsqlTypes;

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

    public string Usage => string.Concat(
        """
          xraysink report NAME [--from TIME] [--to TIME] [--user EMAIL] [--limit N] [--gap AGE] [--bucket AGE]
                               [--format table|csv|json]
              Print an analysis over [--from, --to) (default: the last 24 hours; a plain date --to includes that day;
              TIME is 2025-11-17 or 2025-11-17T08:30:00Z), at most --limit rows (default 50, 0 = all). NAME is one of:

        """,
        string.Concat(Reports.Select(r => $"                {r.Name,-14} {r.Description}\n")));

    public async Task<int> RunAsync(CliContext context, IReadOnlyList<string> args)
    {
        ArgumentNullException.ThrowIfNull(context);
        CliArguments arguments = CliArguments.Parse(args, ["from", "to", "user", "limit", "gap", "bucket", "format"]);
        if (arguments.Positional.Count != 1)
        {
            throw new CliUsageException($"name one report: {string.Join(", ", Reports.Select(r => r.Name))}");
        }

        Report report = Array.Find(Reports, r => r.Name == arguments.Positional[0])
            ?? throw new CliUsageException($"unknown report '{arguments.Positional[0]}' (one of {string.Join(", ", Reports.Select(r => r.Name))})");
        OutputFormat format = ResultTable.ParseFormat(arguments.Value("format"));
        DateTime to = arguments.Instant("to", endOfDay: true) ?? context.TimeProvider.GetUtcNow().UtcDateTime;
        DateTime from = arguments.Instant("from", endOfDay: false) ?? to.AddDays(-1);
        if (from >= to)
        {
            throw new CliUsageException($"--from {from:yyyy-MM-dd HH:mm:ss} is not before --to {to:yyyy-MM-dd HH:mm:ss}");
        }

        int limit = arguments.Int("limit", DefaultLimit, 0, int.MaxValue);
        TimeSpan? gap = arguments.Duration("gap");
        TimeSpan? bucket = arguments.Duration("bucket");
        if (gap is not null && report.Takes != Extra.Gap)
        {
            throw new CliUsageException("--gap applies to the sessions report");
        }

        if (bucket is not null && report.Takes != Extra.Bucket)
        {
            throw new CliUsageException("--bucket applies to the activity report");
        }

        IConfigurationRoot configuration = CliContext.Configuration(arguments);
        await using NpgsqlDataSource dataSource = CliContext.DataSource(configuration);
        ResultTable table = await RunAsync(dataSource, report, from, to, arguments.Value("user"), limit, gap ?? bucket, context.CancellationToken);
        await context.Out.WriteAsync(table.Render(format));
        return 0;
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
