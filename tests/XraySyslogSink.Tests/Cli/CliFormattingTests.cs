using XraySyslogSink.Cli;

namespace XraySyslogSink.Tests.Cli;

public sealed class CliFormattingTests
{
    [Theory]
    [InlineData("90d", 90 * 24 * 60)]
    [InlineData("36h", 36 * 60)]
    [InlineData("30m", 30)]
    [InlineData("00:10:00", 10)]
    [InlineData("1.00:00:00", 24 * 60)]
    public void Durations_in_days_hours_minutes_or_time_spans(string text, int minutes)
    {
        Assert.Equal(TimeSpan.FromMinutes(minutes), CliArguments.ParseDuration(text));
    }

    [Theory]
    [InlineData("0d")]
    [InlineData("-5d")]
    [InlineData("d")]
    [InlineData("10y")]
    [InlineData("00:00:00")]
    public void Bad_durations_are_refused(string text)
    {
        Assert.Null(CliArguments.ParseDuration(text));
    }

    [Fact]
    public void A_plain_date_as_to_includes_its_day_and_times_are_utc()
    {
        CliArguments arguments = CliArguments.Parse(["--to", "2025-11-17", "--from=2025-11-16T22:30:00+02:00", "--Writer:BatchSize=5", "--config", "/etc/x.json", "file"], ["from", "to"]);
        Assert.Equal(new DateTime(2025, 11, 18, 0, 0, 0, DateTimeKind.Utc), arguments.Instant("to", endOfDay: true));
        Assert.Equal(new DateTime(2025, 11, 16, 20, 30, 0, DateTimeKind.Utc), arguments.Instant("from", endOfDay: false));
        Assert.Equal(["--Writer:BatchSize=5", "--config=/etc/x.json"], arguments.ConfigurationArguments);
        Assert.Equal(["file"], arguments.Positional);
    }

    [Fact]
    public void Tables_align_numbers_right_and_csv_quotes_what_needs_it()
    {
        var table = new ResultTable(["name", "count", "when"]);
        table.Rows.Add(["a, \"b\"", 5L, new DateTime(2025, 1, 2, 3, 4, 5, 600, DateTimeKind.Utc)]);
        table.Rows.Add(["long name here", 12345L, null]);

        Assert.Equal(
            """
            name            count  when
            --------------  -----  -------------------
            a, "b"              5  2025-01-02 03:04:05
            long name here  12345
            (2 rows)

            """,
            table.Render(OutputFormat.Table));
        Assert.Equal("name,count,when\n\"a, \"\"b\"\"\",5,2025-01-02T03:04:05.6Z\nlong name here,12345,\n", table.Render(OutputFormat.Csv));
    }

    [Fact]
    public void Help_lists_every_command()
    {
        string help = CommandLine.Help();
        foreach (string command in (string[])["xraysink migrate", "xraysink partitions list", "xraysink partitions drop", "xraysink import FILE", "xraysink report NAME", "users-per-ip", "xraysink help"])
        {
            Assert.Contains(command, help, StringComparison.Ordinal);
        }
    }
}
