using System.Text;
using XraySyslogSink.Syslog;

namespace XraySyslogSink.Tests.Syslog;

public sealed class SyslogHeaderParserTests
{
    private const string XrayAccess =
        "2023/06/30 14:16:59 116.52.106.117:33448 accepted tcp:1.1.1.1:53 [direct]";

    /// <summary>The parsed fields as plain values, so a whole message can be compared in one assertion.</summary>
    private sealed record Parsed(
        SyslogFormat Format,
        int Priority,
        SyslogTimestampKind Kind,
        DateTime Timestamp,
        TimeSpan Offset,
        string Hostname,
        string AppName,
        string ProcId,
        string Message,
        string MessageId = "",
        string StructuredData = "");

    private static Parsed Parse(string input) => Parse(Encoding.UTF8.GetBytes(input));

    private static Parsed Parse(byte[] input)
    {
        SyslogMessage m = SyslogHeaderParser.Parse(input);
        return new Parsed(
            m.Format,
            m.Priority,
            m.TimestampKind,
            m.Timestamp,
            m.TimestampOffset,
            Text(m.Hostname),
            Text(m.AppName),
            Text(m.ProcId),
            Text(m.Message),
            Text(m.MessageId),
            Text(m.StructuredData));
    }

    private static string Text(ReadOnlySpan<byte> span) => Encoding.UTF8.GetString(span);

    private static DateTime NoYear(int month, int day, int hour, int minute, int second) =>
        new(4, month, day, hour, minute, second);

    // ---- RFC 5424 -------------------------------------------------------------------------------------------

    [Fact]
    public void Rfc5424_with_structured_data_and_offset()
    {
        Parsed p = Parse("<165>1 2003-10-11T22:14:15.003+02:00 mymachine.example.com evntslog 1234 ID47 "
            + "[exampleSDID@32473 iut=\"3\" eventSource=\"Application\" eventID=\"1011\"] An application event");

        Assert.Equal(
            new Parsed(SyslogFormat.Rfc5424, 165, SyslogTimestampKind.WithOffset,
                new DateTime(2003, 10, 11, 22, 14, 15, 3), TimeSpan.FromHours(2),
                "mymachine.example.com", "evntslog", "1234", "An application event", "ID47",
                "[exampleSDID@32473 iut=\"3\" eventSource=\"Application\" eventID=\"1011\"]"),
            p);
        Assert.Equal(20, SyslogHeaderParser.Parse("<165>1 - - - - - - x"u8).Facility);
        Assert.Equal(5, SyslogHeaderParser.Parse("<165>1 - - - - - - x"u8).Severity);
    }

    [Fact]
    public void Rfc5424_structured_data_value_with_escaped_bracket_quote_and_backslash()
    {
        const string Sd = "[a@1 k=\"x\\]y\" q=\"say \\\"hi\\\"\" b=\"c:\\\\dir\"][b@2 z=\"]\"]";
        Parsed p = Parse($"<14>1 2023-06-30T14:16:59Z host app - - {Sd} msg ] after");

        Assert.Equal(Sd, p.StructuredData);
        Assert.Equal("msg ] after", p.Message);
        Assert.Equal("app", p.AppName);
    }

    [Fact]
    public void Rfc5424_nilvalues_become_empty_fields()
    {
        Parsed p = Parse("<13>1 - - - - - - " + XrayAccess);

        Assert.Equal(
            new Parsed(SyslogFormat.Rfc5424, 13, SyslogTimestampKind.None, default, default, "", "", "", XrayAccess),
            p);
    }

    [Fact]
    public void Rfc5424_message_BOM_is_removed()
    {
        byte[] input = [.. "<13>1 2023-06-30T14:16:59Z host xray - - - "u8, 0xEF, 0xBB, 0xBF, .. "héllo"u8];

        Assert.Equal("héllo", Parse(input).Message);
    }

    [Fact]
    public void Rfc5424_from_logger_with_time_quality()
    {
        Parsed p = Parse("<13>1 2023-11-25T10:00:00.123456+01:00 myhost root - - "
            + "[timeQuality tzKnown=\"1\" isSynced=\"1\" syncAccuracy=\"123456\"] message\n");

        Assert.Equal(
            new Parsed(SyslogFormat.Rfc5424, 13, SyslogTimestampKind.WithOffset,
                new DateTime(2023, 11, 25, 10, 0, 0).AddTicks(1_234_560), TimeSpan.FromHours(1),
                "myhost", "root", "", "message", "",
                "[timeQuality tzKnown=\"1\" isSynced=\"1\" syncAccuracy=\"123456\"]"),
            p);
    }

    [Theory]
    [InlineData("2023-06-30T14:16:59Z", 0L, 0)]
    [InlineData("2023-06-30T14:16:59.1Z", 1_000_000L, 0)]
    [InlineData("2023-06-30T14:16:59.123-05:30", 1_230_000L, -330)]
    [InlineData("2023-06-30T14:16:59.123456+02:00", 1_234_560L, 120)]
    [InlineData("2023-06-30T14:16:59.1234567+14:00", 1_234_567L, 840)]
    [InlineData("2023-06-30T14:16:59.123456789z", 1_234_567L, 0)]
    public void Rfc5424_timestamp_fractions_and_offsets(string stamp, long fractionTicks, int offsetMinutes)
    {
        Parsed p = Parse($"<13>1 {stamp} h a p m - x");

        Assert.Equal(SyslogTimestampKind.WithOffset, p.Kind);
        Assert.Equal(new DateTime(2023, 6, 30, 14, 16, 59).AddTicks(fractionTicks), p.Timestamp);
        Assert.Equal(TimeSpan.FromMinutes(offsetMinutes), p.Offset);
        Assert.Equal("x", p.Message);
    }

    [Fact]
    public void Rfc5424_without_message_has_empty_message()
    {
        Parsed p = Parse("<13>1 2023-06-30T14:16:59Z host app 12 ID -");

        Assert.Equal(("host", "app", "12", "ID", ""), (p.Hostname, p.AppName, p.ProcId, p.MessageId, p.Message));
    }

    [Fact]
    public void Rfc5424_with_invalid_timestamp_keeps_the_priority_and_the_rest()
    {
        Parsed p = Parse("<13>1 2023-02-30T14:16:59Z host app - - - x");

        Assert.Equal(SyslogFormat.None, p.Format);
        Assert.Equal(13, p.Priority);
        Assert.Equal("1 2023-02-30T14:16:59Z host app - - - x", p.Message);
    }

    // ---- RFC 3164 -------------------------------------------------------------------------------------------

    [Fact]
    public void Rfc3164_real_xray_line_with_priority()
    {
        Parsed p = Parse("<30>Jun 30 14:16:59 ONEVPS230625013549 xray[2634]: " + XrayAccess);

        Assert.Equal(
            new Parsed(SyslogFormat.Rfc3164, 30, SyslogTimestampKind.NoYear, NoYear(6, 30, 14, 16, 59), default,
                "ONEVPS230625013549", "xray", "2634", XrayAccess),
            p);
    }

    [Fact]
    public void Rfc3164_real_xray_line_without_priority_as_in_a_syslog_file()
    {
        Parsed p = Parse("Jun 30 14:16:59 ONEVPS230625013549 xray[2634]: " + XrayAccess + "\r\n");

        Assert.Equal(
            new Parsed(SyslogFormat.Rfc3164, -1, SyslogTimestampKind.NoYear, NoYear(6, 30, 14, 16, 59), default,
                "ONEVPS230625013549", "xray", "2634", XrayAccess),
            p);
    }

    [Fact]
    public void Rfc3164_space_padded_day_and_tag_without_pid_from_logger()
    {
        Parsed p = Parse("<13>Jun  3 10:00:00 myhost root: message");

        Assert.Equal(
            new Parsed(SyslogFormat.Rfc3164, 13, SyslogTimestampKind.NoYear, NoYear(6, 3, 10, 0, 0), default,
                "myhost", "root", "", "message"),
            p);
    }

    [Fact]
    public void Rfc3164_tag_without_colon()
    {
        Parsed p = Parse("<13>Nov 25 10:00:00 myhost xray " + XrayAccess);

        Assert.Equal(("myhost", "xray", "", XrayAccess), (p.Hostname, p.AppName, p.ProcId, p.Message));
    }

    [Fact]
    public void Rfc3164_pid_without_colon()
    {
        Parsed p = Parse("<13>Nov 25 10:00:00 myhost xray[77] message");

        Assert.Equal(("myhost", "xray", "77", "message"), (p.Hostname, p.AppName, p.ProcId, p.Message));
    }

    [Fact]
    public void Rfc3164_rsyslog_traditional_forward_format_drops_exactly_one_space()
    {
        // RSYSLOG_TraditionalForwardFormat is "<PRI>TIMESTAMP HOSTNAME TAG:MSG" where MSG keeps its leading SP.
        Assert.Equal(" indented", Parse("<30>Jun 30 14:16:59 vps xray:  indented").Message);
        Assert.Equal("tight", Parse("<30>Jun 30 14:16:59 vps xray:tight").Message);
        Parsed p = Parse("<30>Jun 30 14:16:59 vps xray: " + XrayAccess);
        Assert.Equal(("vps", "xray", XrayAccess), (p.Hostname, p.AppName, p.Message));
    }

    [Fact]
    public void Rfc3164_rsyslog_forward_format_with_rfc3339_timestamp()
    {
        Parsed p = Parse("<30>2023-06-30T14:16:59.123456+02:00 vps xray[2634]: " + XrayAccess);

        Assert.Equal(
            new Parsed(SyslogFormat.Rfc3164, 30, SyslogTimestampKind.WithOffset,
                new DateTime(2023, 6, 30, 14, 16, 59).AddTicks(1_234_560), TimeSpan.FromHours(2),
                "vps", "xray", "2634", XrayAccess),
            p);
    }

    [Fact]
    public void Rfc3164_without_hostname_takes_the_tag_word_as_tag()
    {
        Parsed withPid = Parse("<13>Jun 30 14:16:59 xray[2634]: " + XrayAccess);
        Parsed withColon = Parse("<13>Jun 30 14:16:59 xray: " + XrayAccess);

        Assert.Equal(("", "xray", "2634", XrayAccess), (withPid.Hostname, withPid.AppName, withPid.ProcId, withPid.Message));
        Assert.Equal(("", "xray", "", XrayAccess), (withColon.Hostname, withColon.AppName, withColon.ProcId, withColon.Message));
    }

    [Fact]
    public void Rfc3164_without_tag_keeps_a_raw_xray_line_whole()
    {
        Parsed p = Parse("<13>Jun 30 14:16:59 vps " + XrayAccess);

        Assert.Equal(("vps", "", XrayAccess), (p.Hostname, p.AppName, p.Message));
    }

    [Fact]
    public void Rfc3164_hostname_with_odd_characters()
    {
        Parsed p = Parse("<13>Jun 30 14:16:59 my_host/10.0.0.1@Ünï xray: x");

        Assert.Equal(("my_host/10.0.0.1@Ünï", "xray", "x"), (p.Hostname, p.AppName, p.Message));
    }

    [Fact]
    public void Rfc3164_february_29_is_representable()
    {
        Parsed p = Parse("<13>Feb 29 23:59:59 host app: leap");

        Assert.Equal(SyslogTimestampKind.NoYear, p.Kind);
        Assert.Equal(NoYear(2, 29, 23, 59, 59), p.Timestamp);
        Assert.Equal((2, 29), (p.Timestamp.Month, p.Timestamp.Day));
    }

    [Theory]
    [InlineData("<13>Feb 30 10:00:00 host app: x")]
    [InlineData("<13>Jun 31 10:00:00 host app: x")]
    [InlineData("<13>Jun 30 24:00:00 host app: x")]
    [InlineData("<13>Jux 30 10:00:00 host app: x")]
    public void Rfc3164_impossible_dates_are_not_a_header(string input)
    {
        Parsed p = Parse(input);

        Assert.Equal(SyslogFormat.None, p.Format);
        Assert.Equal(13, p.Priority);
        Assert.Equal(input[4..], p.Message);
    }

    // ---- OpenWrt ----------------------------------------------------------------------------------------------

    [Fact]
    public void OpenWrt_logread_line()
    {
        Parsed p = Parse("Thu Oct 13 07:50:16 2022 daemon.info xray[23519]: " + XrayAccess);

        Assert.Equal(
            new Parsed(SyslogFormat.OpenWrt, 30, SyslogTimestampKind.Local, new DateTime(2022, 10, 13, 7, 50, 16), default,
                "", "xray", "23519", XrayAccess),
            p);
    }

    [Fact]
    public void OpenWrt_logread_with_padded_day_and_unknown_level()
    {
        Parsed p = Parse("Mon Oct  3 07:50:16 2022 weird.level xray: x");

        Assert.Equal(SyslogFormat.OpenWrt, p.Format);
        Assert.Equal(-1, p.Priority);
        Assert.Equal(new DateTime(2022, 10, 3, 7, 50, 16), p.Timestamp);
        Assert.Equal(("xray", "x"), (p.AppName, p.Message));
    }

    [Theory]
    [InlineData("kern.emerg", 0)]
    [InlineData("user.warn", 12)]
    [InlineData("authpriv.err", 83)]
    [InlineData("local7.debug", 191)]
    public void OpenWrt_level_names_map_to_priority(string level, int priority)
    {
        Assert.Equal(priority, Parse($"Thu Oct 13 07:50:16 2022 {level} app: x").Priority);
    }

    // ---- Headerless and trimming -----------------------------------------------------------------------------

    [Fact]
    public void Raw_xray_line_is_headerless()
    {
        Assert.Equal(
            new Parsed(SyslogFormat.None, -1, SyslogTimestampKind.None, default, default, "", "", "", XrayAccess),
            Parse(XrayAccess + "\r\n"));
    }

    [Fact]
    public void Priority_followed_by_no_header_keeps_priority_and_the_rest()
    {
        Parsed p = Parse("<30>" + XrayAccess);

        Assert.Equal(
            new Parsed(SyslogFormat.None, 30, SyslogTimestampKind.None, default, default, "", "", "", XrayAccess),
            p);
    }

    [Theory]
    [InlineData("<192>Jun 30 14:16:59 h t: x")]
    [InlineData("<>x")]
    [InlineData("<1234>x")]
    [InlineData("<13 x")]
    [InlineData("<")]
    public void Invalid_priority_means_headerless(string input)
    {
        Parsed p = Parse(input);

        Assert.Equal((SyslogFormat.None, -1, input), (p.Format, p.Priority, p.Message));
    }

    [Fact]
    public void Leading_BOM_and_trailing_CR_LF_NUL_are_removed()
    {
        byte[] input = [0xEF, 0xBB, 0xBF, .. Encoding.UTF8.GetBytes(XrayAccess), (byte)'\r', (byte)'\n', 0];

        Parsed p = Parse(input);

        Assert.Equal((SyslogFormat.None, XrayAccess), (p.Format, p.Message));
    }

    [Fact]
    public void Rfc3164_message_BOM_is_removed()
    {
        byte[] input = [.. "<13>Jun 30 14:16:59 h xray: "u8, 0xEF, 0xBB, 0xBF, .. "x"u8];

        Assert.Equal("x", Parse(input).Message);
    }

    [Theory]
    [InlineData("")]
    [InlineData("\r\n")]
    [InlineData("<13>")]
    [InlineData("<13>1 ")]
    [InlineData("<13>1 2023-06-30T14:16:59Z")]
    [InlineData("<13>Jun 30 14:16:59")]
    [InlineData("<13>Jun 30 14:16:59 ")]
    [InlineData("<13>Jun 30 14:16:59 host")]
    [InlineData("<13>Jun 30 14:16:59 host xray[")]
    [InlineData("<13>Jun 30 14:16:59 host xray[12")]
    [InlineData("<13>1 - - - - - [unterminated x=\"]")]
    [InlineData("Thu Oct 13 07:50:16 2022")]
    public void Truncated_input_never_throws(string input)
    {
        SyslogMessage m = SyslogHeaderParser.Parse(Encoding.UTF8.GetBytes(input));

        Assert.True(m.Message.Length <= input.Length);
    }

    [Fact]
    public void Unterminated_structured_data_stays_in_the_message()
    {
        Parsed p = Parse("<13>1 - host app - - [broken x=\"1\" msg");

        Assert.Equal(("", "[broken x=\"1\" msg"), (p.StructuredData, p.Message));
    }

    [Fact]
    public void Parsing_allocates_nothing()
    {
        byte[] input = Encoding.UTF8.GetBytes("<30>Jun 30 14:16:59 ONEVPS230625013549 xray[2634]: " + XrayAccess);
        byte[] rfc5424 = Encoding.UTF8.GetBytes("<13>1 2023-11-25T10:00:00.123456+01:00 h r - - [t a=\"1\"] m");
        _ = SyslogHeaderParser.Parse(input);
        _ = SyslogHeaderParser.Parse(rfc5424);

        int total = 0;
        long allocated = SteadyStateAllocation.Measure(() =>
        {
            for (int i = 0; i < 1000; i++)
            {
                total += SyslogHeaderParser.Parse(input).Message.Length + SyslogHeaderParser.Parse(rfc5424).Message.Length;
            }
        });

        Assert.Equal(0, allocated);
        Assert.True(total > 0);
    }
}
