using XraySyslogSink.Core;

namespace XraySyslogSink.Tests.Core;

public sealed class PeerTextTests
{
    [Theory]
    [InlineData("CN=node-1, O=Example", "CN=node-1, O=Example")]
    [InlineData("CN=node\nWARN forged line", @"CN=node\nWARN forged line")]
    [InlineData("a\r\tb", @"a\r\tb")]
    [InlineData("\u001b[31mred", @"\x1B[31mred")]
    [InlineData("nul\0del\u007f c1\u0085", @"nul\x00del\x7F c1\x85")]
    [InlineData("line\u2028sep", @"line\u2028sep")]
    [InlineData(@"already \n escaped", @"already \\n escaped")]
    [InlineData("ünïcödé ok", "ünïcödé ok")]
    [InlineData("", "")]
    public void Control_characters_are_escaped_and_a_backslash_cannot_forge_an_escape(string text, string expected) =>
        Assert.Equal(expected, PeerText.Escape(text));

    [Fact]
    public void Clean_text_is_returned_as_is_and_null_becomes_empty()
    {
        string clean = "CN=node-1";
        Assert.Same(clean, PeerText.Escape(clean));
        Assert.Equal("", PeerText.Escape(null));
    }
}
