using System.Text.Json;
using XraySyslogSink.Cli;

namespace XraySyslogSink.Tests.Cli;

/// <summary>What a report prints of sender-chosen text cannot act on a terminal or a spreadsheet.</summary>
public sealed class CellTextTests
{
    [Theory]
    [InlineData("alice@example.com", "alice@example.com")]
    [InlineData("\u001b[2J\u001b[31mroot", "\\u001b[2J\\u001b[31mroot")]
    [InlineData("line\rOVERWRITE", "line\\u000dOVERWRITE")]
    [InlineData("a\nb", "a\\u000ab")]
    [InlineData("bell\u0007 del\u007f c1\u009b", "bell\\u0007 del\\u007f c1\\u009b")]
    [InlineData("user\u202Egpj.exe", "user\\u202egpj.exe")]
    [InlineData("\u2066isolate\u2069", "\\u2066isolate\\u2069")]
    [InlineData("back\\slash", "back\\\\slash")]
    [InlineData("пользователь 用户 😀", "пользователь 用户 😀")]
    public void Table_text_escapes_what_a_terminal_would_act_on(string stored, string printed)
    {
        Assert.Equal(printed, CellText.Escape(stored));
    }

    [Fact]
    public void A_lone_surrogate_is_escaped_and_a_pair_is_kept()
    {
        // Built at run time: attribute strings cannot carry a lone surrogate.
        Assert.Equal("lone \\ud800 surrogate", CellText.Escape("lone " + (char)0xD800 + " surrogate"));
        Assert.Equal("pair 😀", CellText.Escape("pair 😀"));
    }

    [Theory]
    [InlineData("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")")]
    [InlineData("+1+1", "'+1+1")]
    [InlineData("-2+3", "'-2+3")]
    [InlineData("@SUM(A1)", "'@SUM(A1)")]
    [InlineData("alice=bob", "alice=bob")]
    [InlineData("\u001b=x", "\\u001b=x")]
    public void Csv_text_a_spreadsheet_would_evaluate_starts_with_an_apostrophe(string stored, string printed)
    {
        Assert.Equal(printed, CellText.ForCsv(stored));
    }

    [Fact]
    public void Every_format_of_a_report_neutralises_sender_text_and_keeps_numbers()
    {
        var table = new ResultTable(["user", "connections"]);
        table.Rows.Add(["\u001b]0;pwned\u0007=cmd|' /C calc'!A0", -5L]);
        table.Rows.Add(["=1+1", 3L]);

        string text = table.Render(OutputFormat.Table);
        Assert.DoesNotContain('\u001b', text);
        Assert.DoesNotContain('\u0007', text);
        Assert.Contains("\\u001b]0;pwned\\u0007=cmd|' /C calc'!A0", text, StringComparison.Ordinal);

        string csv = table.Render(OutputFormat.Csv);
        Assert.Equal("user,connections\n\\u001b]0;pwned\\u0007=cmd|' /C calc'!A0,-5\n'=1+1,3\n", csv);

        // JSON escapes control characters itself and a reader gets the stored value back exactly.
        string json = table.Render(OutputFormat.Json);
        Assert.DoesNotContain('\u001b', json);
        using JsonDocument document = JsonDocument.Parse(json);
        Assert.Equal("\u001b]0;pwned\u0007=cmd|' /C calc'!A0", document.RootElement[0].GetProperty("user").GetString());
        Assert.Equal(-5, document.RootElement[0].GetProperty("connections").GetInt64());
        Assert.Equal("=1+1", document.RootElement[1].GetProperty("user").GetString());
    }
}
