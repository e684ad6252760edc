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
        Assert.Equal(TimeSpan.FromMinutes(minutes), CliOptions.ParseDuration(text));
    }

    [Theory]
    [InlineData("0d")]
    [InlineData("-5d")]
    [InlineData("d")]
    [InlineData("10y")]
    [InlineData("00:00:00")]
    public void Bad_durations_are_refused(string text)
    {
        Assert.Null(CliOptions.ParseDuration(text));
    }

    [Fact]
    public void A_plain_date_as_to_includes_its_day_and_times_are_utc()
    {
        Assert.Equal(new DateTime(2025, 11, 18, 0, 0, 0, DateTimeKind.Utc), CliOptions.ParseInstant("2025-11-17", endOfDay: true));
        Assert.Equal(new DateTime(2025, 11, 17, 0, 0, 0, DateTimeKind.Utc), CliOptions.ParseInstant("2025-11-17", endOfDay: false));
        Assert.Equal(new DateTime(2025, 11, 16, 20, 30, 0, DateTimeKind.Utc), CliOptions.ParseInstant("2025-11-16T22:30:00+02:00", endOfDay: false));
        Assert.Null(CliOptions.ParseInstant("yesterday", endOfDay: false));
    }

    [Fact]
    public void Settings_arguments_are_taken_out_before_parsing()
    {
        (List<string> tokens, List<string> overrides) = CliSettings.Split(["report", "routes", "--to", "2025-11-17", "--Writer:BatchSize=5", "--config", "/etc/x.json", "--user=a:b"]);
        Assert.Equal(["report", "routes", "--to", "2025-11-17", "--config", "/etc/x.json", "--user=a:b"], tokens);
        Assert.Equal(["--Writer:BatchSize=5"], overrides);
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
        foreach (string command in (string[])["xraysink migrate", "xraysink partitions list", "xraysink partitions drop", "xraysink import FILE", "xraysink report sessions", "xraysink report users-per-ip", "xraysink help"])
        {
            Assert.Contains(command, help, StringComparison.Ordinal);
        }
    }
}
