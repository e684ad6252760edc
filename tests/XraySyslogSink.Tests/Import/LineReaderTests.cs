using System.Text;
using XraySyslogSink.Import;

namespace XraySyslogSink.Tests.Import;

public sealed class LineReaderTests
{
    [Theory]
    [InlineData("a\nb\n", new[] { "a", "b" })]
    [InlineData("a\r\nb", new[] { "a", "b" })]
    [InlineData("\n\nx", new[] { "", "", "x" })]
    [InlineData("", new string[0])]
    [InlineData("only", new[] { "only" })]
    [InlineData("cr\r\r\n", new[] { "cr\r" })]
    public void Splits_on_newlines_and_counts_a_last_line_without_one(string text, string[] expected)
    {
        Assert.Equal(expected, ReadAll(Encoding.UTF8.GetBytes(text), out long count));
        Assert.Equal(expected.Length, count);
    }

    [Fact]
    public void Lines_across_many_buffer_fills_come_out_whole()
    {
        var text = new StringBuilder();
        for (int i = 0; i < 20_000; i++)
        {
            text.Append(new string((char)('a' + (i % 26)), i % 97)).Append('\n');
        }

        List<string> lines = ReadAll(Encoding.UTF8.GetBytes(text.ToString()), out long count);
        Assert.Equal(20_000, count);
        for (int i = 0; i < lines.Count; i++)
        {
            Assert.Equal(new string((char)('a' + (i % 26)), i % 97), lines[i]);
        }
    }

    [Fact]
    public void An_over_long_line_is_cut_and_the_next_line_still_follows()
    {
        string huge = new('x', LineReader.MaxLineBytes + 12_345);
        List<string> lines = ReadAll(Encoding.UTF8.GetBytes($"first\n{huge}\nnext\n{huge}"), out long count);

        Assert.Equal(4, count);
        Assert.Equal(["first", huge[..LineReader.MaxLineBytes], "next", huge[..LineReader.MaxLineBytes]], lines);
    }

    private static List<string> ReadAll(byte[] bytes, out long count)
    {
        // A stream that returns at most 1000 bytes per read, as pipes and gzip do.
        using var stream = new TrickleStream(bytes, 1000);
        using var reader = new LineReader(stream);
        List<string> lines = [];
        while (reader.TryReadLine(out ReadOnlySpan<byte> line))
        {
            lines.Add(Encoding.UTF8.GetString(line));
        }

        count = reader.LineNumber;
        return lines;
    }

    private sealed class TrickleStream(byte[] bytes, int most) : MemoryStream(bytes)
    {
        public override int Read(byte[] buffer, int offset, int count) => base.Read(buffer, offset, Math.Min(count, most));
    }
}
