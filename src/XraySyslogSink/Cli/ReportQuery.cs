using System.Globalization;
using Npgsql;
using NpgsqlTypes;

namespace XraySyslogSink.Cli;

/// <summary>
/// What a report is asked for: the range <c>[From, To)</c>, the user and node filters, the row limit and the
/// report's own settings; <see cref="Call"/> turns it into the function call with every value bound.
/// </summary>
internal sealed record ReportQuery(
    DateTime From, DateTime To, string? User, string? Node, int Limit, TimeSpan? Interval = null, int MaxSources = 2, bool ByNetwork = false)
{
    /// <summary>
    /// <c>SELECT * FROM function($1, …)</c>. The node filter is passed by name (<c>p_node =&gt; $n</c>) and only when
    /// asked for, so the reports also run on a database kept to the seed schema (<c>Schema:SeedOnly</c>).
    /// </summary>
    public (string Sql, List<NpgsqlParameter> Parameters) Call(ReportCommand.Report report)
    {
        ArgumentNullException.ThrowIfNull(report);

        // The function name comes from the fixed list of reports, never from input; the values are bound.
        List<NpgsqlParameter> parameters =
        [
            new NpgsqlParameter<DateTime> { TypedValue = DateTime.SpecifyKind(From, DateTimeKind.Utc), NpgsqlDbType = NpgsqlDbType.TimestampTz },
            new NpgsqlParameter<DateTime> { TypedValue = DateTime.SpecifyKind(To, DateTimeKind.Utc), NpgsqlDbType = NpgsqlDbType.TimestampTz },
        ];
        if (report.Takes != ReportCommand.Extra.None)
        {
            TimeSpan fallback = report.Takes switch
            {
                ReportCommand.Extra.Gap => TimeSpan.FromMinutes(30),
                ReportCommand.Extra.Silent => TimeSpan.FromMinutes(15),
                _ => TimeSpan.FromHours(1),
            };
            parameters.Add(new NpgsqlParameter<TimeSpan> { TypedValue = Interval ?? fallback, NpgsqlDbType = NpgsqlDbType.Interval });
        }

        if (report.Takes == ReportCommand.Extra.Window)
        {
            parameters.Add(new NpgsqlParameter<int> { TypedValue = MaxSources, NpgsqlDbType = NpgsqlDbType.Integer });
            parameters.Add(new NpgsqlParameter<bool> { TypedValue = ByNetwork, NpgsqlDbType = NpgsqlDbType.Boolean });
        }

        parameters.Add(new NpgsqlParameter { Value = (object?)User ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        string arguments = string.Join(", ", Enumerable.Range(1, parameters.Count).Select(i => string.Create(CultureInfo.InvariantCulture, $"${i}")));
        if (Node is not null)
        {
            parameters.Add(new NpgsqlParameter { Value = Node, NpgsqlDbType = NpgsqlDbType.Text });
            arguments += string.Create(CultureInfo.InvariantCulture, $", p_node => ${parameters.Count}");
        }

        string sql = $"SELECT * FROM {report.Function}({arguments})";
        if (Limit > 0)
        {
            parameters.Add(new NpgsqlParameter<long> { TypedValue = Limit, NpgsqlDbType = NpgsqlDbType.Bigint });
            sql += string.Create(CultureInfo.InvariantCulture, $" LIMIT ${parameters.Count}");
        }

        return (sql, parameters);
    }
}
