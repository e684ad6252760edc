using System.Buffers;
using System.Text;
using XraySyslogSink.Syslog;
using static XraySyslogSink.Tests.Syslog.PipeReaderSimulator;

namespace XraySyslogSink.Tests.Syslog;

public sealed class SyslogFrameDecoderTests
{
    private const string XrayLine =
        "Jun 30 14:16:59 ONEVPS230625013549 xray[2634]: 2023/06/30 14:16:59 116.52.106.117:33448 accepted tcp:1.1.1.1:53 [direct]";

    private static SyslogFrameDecoder NewDecoder(int maxMessageSize = 8192, long maxOctetCount = 1_048_576) =>
        new(maxMessageSize, maxOctetCount);

    [Fact]
    public void Octet_counted_frames_come_out_without_their_length_prefix()
    {
        string rfc5424 = "<165>1 2023-06-30T14:16:59.123456+02:00 host xray 2634 - - accepted";
        string stream = $"{Encoding.UTF8.GetByteCount(rfc5424)} {rfc5424}5 hello";

        Assert.Equal([Frame(rfc5424), Frame("hello")], Run(NewDecoder(), stream));
    }

    [Fact]
    public void Octet_count_is_in_bytes_not_characters()
    {
        string message = "<13>Jun 30 14:16:59 höst tag: 日本語 ünïcödé";
        int bytes = Encoding.UTF8.GetByteCount(message);
        Assert.NotEqual(message.Length, bytes);

        Assert.Equal([Frame(message), Frame("next")], Run(NewDecoder(), $"{bytes} {message}4 next"));
    }

    [Fact]
    public void Octet_counted_frame_may_contain_LF_and_NUL()
    {
        Assert.Equal([Frame("a\nb\0c")], Run(NewDecoder(), "5 a\nb\0c"));
    }

    [Fact]
    public void LF_CRLF_and_NUL_terminate_non_transparent_frames()
    {
        List<string> events = Run(NewDecoder(), "<13>one\n<13>two\r\n<13>three\0<13>four\n");

        Assert.Equal([Frame("<13>one"), Frame("<13>two"), Frame("<13>three"), Frame("<13>four")], events);
    }

    [Fact]
    public void A_CR_that_is_not_before_the_LF_stays_in_the_message()
    {
        Assert.Equal([Frame("a\rb")], Run(NewDecoder(), "a\rb\n"));
    }

    [Fact]
    public void Raw_xray_line_starting_with_digits_is_not_mistaken_for_an_octet_count()
    {
        const string Raw = "2023/06/30 14:16:59 116.52.106.117:33448 accepted tcp:1.1.1.1:53 [direct]";

        Assert.Equal([Frame(Raw), Frame(Raw)], Run(NewDecoder(), Raw + "\n" + Raw + "\n"));
    }

    [Fact]
    public void Framing_is_detected_per_frame_in_a_mixed_stream()
    {
        string stream = $"{XrayLine.Length} {XrayLine}\n<30>{XrayLine}\r\n11 hello world<14>nul ended\0\n\n";

        Assert.Equal(
            [Frame(XrayLine), Frame("<30>" + XrayLine), Frame("hello world"), Frame("<14>nul ended")],
            Run(NewDecoder(), stream));
    }

    [Fact]
    public void Blank_lines_and_stray_separators_produce_no_frames()
    {
        Assert.Equal([Frame("a"), Frame("b")], Run(NewDecoder(), "\n\r\n\0a\n\n\n\r\n\0\0b\n\r\n"));
    }

    [Fact]
    public void One_read_may_hold_many_messages_and_one_message_many_reads()
    {
        List<string> events = Run(NewDecoder(), "<13>fi", "rst\n<13>sec", "ond\n<13>third\n<13>fo", "", "urth\n");

        Assert.Equal([Frame("<13>first"), Frame("<13>second"), Frame("<13>third"), Frame("<13>fourth")], events);
    }

    [Fact]
    public void Splitting_the_stream_at_every_byte_boundary_yields_the_same_frames()
    {
        string octet = "<165>1 2023-06-30T14:16:59Z höst xray - - - 日本";
        string text = $"{Encoding.UTF8.GetByteCount(octet)} {octet}{XrayLine}\r\n"
            + "2023/06/30 14:16:59 1.2.3.4:5 accepted tcp:x:443\n\n"
            + "<14>nul\0" + "3 abc" + "<13>unterminated";
        byte[] data = Encoding.UTF8.GetBytes(text);
        List<string> expected = Run(NewDecoder(), [data]);
        Assert.Equal(
            [Frame(octet), Frame(XrayLine), Frame("2023/06/30 14:16:59 1.2.3.4:5 accepted tcp:x:443"), Frame("<14>nul"),
             Frame("abc"), Frame("<13>unterminated")],
            expected);

        for (int split = 1; split < data.Length; split++)
        {
            Assert.Equal(expected, Run(NewDecoder(), SplitAt(data, split)));
        }

        var singleBytes = new List<byte[]>();
        foreach (byte b in data)
        {
            singleBytes.Add([b]);
        }

        Assert.Equal(expected, Run(NewDecoder(), singleBytes));
    }

    [Fact]
    public void Oversize_octet_counted_frame_is_discarded_across_reads_and_framing_stays_in_sync()
    {
        string big = new('x', 100);
        byte[] data = Encoding.UTF8.GetBytes($"4 keep100 {big}5 after<13>line\n");
        List<string> expected = [Frame("keep"), Oversize, Frame("after"), Frame("<13>line")];

        Assert.Equal(expected, Run(NewDecoder(maxMessageSize: 16, maxOctetCount: 1000), [data]));
        for (int split = 1; split < data.Length; split++)
        {
            Assert.Equal(expected, Run(NewDecoder(maxMessageSize: 16, maxOctetCount: 1000), SplitAt(data, split, Math.Min(split + 7, data.Length))));
        }
    }

    [Fact]
    public void Oversize_LF_frame_is_discarded_up_to_its_terminator_and_the_next_frame_is_intact()
    {
        string big = new('y', 100);
        byte[] data = Encoding.UTF8.GetBytes($"<13>short\n<13>{big}\n<13>after\r\n");
        List<string> expected = [Frame("<13>short"), Oversize, Frame("<13>after")];

        Assert.Equal(expected, Run(NewDecoder(maxMessageSize: 16, maxOctetCount: 1000), [data]));
        for (int split = 1; split < data.Length; split++)
        {
            Assert.Equal(expected, Run(NewDecoder(maxMessageSize: 16, maxOctetCount: 1000), SplitAt(data, split)));
        }
    }

    [Fact]
    public void A_message_of_exactly_the_maximum_size_passes_and_one_byte_more_is_oversize()
    {
        var decoder = NewDecoder(maxMessageSize: 5, maxOctetCount: 100);

        Assert.Equal(
            [Frame("abcde"), Oversize, Frame("abcde"), Oversize, Frame("12345"), Oversize, Frame("ok")],
            Run(decoder, "abcde\r\n", "abcdef\n", "abcde\n", "abcdef\r\n", "5 12345", "6 123456", "ok"));
    }

    [Fact]
    public void Absurd_octet_count_is_a_protocol_error()
    {
        Assert.Equal([ProtocolError], Run(NewDecoder(maxMessageSize: 8192, maxOctetCount: 65536), "99999999 <13>x"));
        Assert.Equal([ProtocolError], Run(NewDecoder(), "99999999999999999999999 x"));
        Assert.Equal([ProtocolError], Run(NewDecoder(), "1234567890123456789 x"));
    }

    [Fact]
    public void Zero_or_zero_padded_octet_count_is_a_protocol_error()
    {
        Assert.Equal([Frame("ok"), ProtocolError], Run(NewDecoder(), "2 ok0 "));
        Assert.Equal([ProtocolError], Run(NewDecoder(), "05 hello"));
    }

    [Fact]
    public void A_long_run_of_digits_without_a_space_is_a_plain_line()
    {
        string digits = new('7', 40);

        Assert.Equal([Frame(digits)], Run(NewDecoder(), digits + "\n"));
    }

    // Found by scripts/fuzz.sh (framing target, FuzzFindings/framing/long-digit-run-*.bin): the decision for a digit
    // run too long to be a length looked at the first buffer segment only, so it depended on how reads were split.
    [Theory]
    [InlineData("1234567890123456789012345 <13>rest\n", true)]
    [InlineData("1234567890123456789012345x rest\n", false)]
    [InlineData("99999999999999999999 a\n", true)]
    [InlineData("999999999999999999999999999999\n", false)]
    public void A_long_digit_run_is_framed_the_same_however_the_stream_is_split(string text, bool protocolError)
    {
        byte[] data = Encoding.ASCII.GetBytes(text);
        List<string> expected = protocolError ? [ProtocolError] : [Frame(data.AsSpan(0, data.Length - 1))];

        Assert.Equal(expected, Run(NewDecoder(), [data]));
        for (int split = 1; split < data.Length; split++)
        {
            Assert.Equal(expected, Run(NewDecoder(), SplitAt(data, split)));
            Assert.Equal(expected, Run(NewDecoder(), SplitAt(data, 1, split)));
        }
    }

    [Fact]
    public void A_digit_run_longer_than_a_message_is_an_oversize_line_however_it_is_split()
    {
        byte[] data = Encoding.ASCII.GetBytes(new string('5', 100) + " tail\nok\n");

        Assert.Equal([Oversize, Frame("ok")], Run(NewDecoder(maxMessageSize: 30, maxOctetCount: 30), [data]));
        for (int split = 1; split < data.Length; split += 7)
        {
            Assert.Equal([Oversize, Frame("ok")], Run(NewDecoder(maxMessageSize: 30, maxOctetCount: 30), SplitAt(data, split)));
        }
    }

    [Fact]
    public void Final_frame_without_LF_is_returned_at_end_of_stream()
    {
        Assert.Equal([Frame("<13>one"), Frame("<13>last")], Run(NewDecoder(), "<13>one\n<13>last"));
        Assert.Equal([Frame("<13>last")], Run(NewDecoder(), "<13>last\r"));
        Assert.Equal([Frame("12345")], Run(NewDecoder(), "12345"));
    }

    [Fact]
    public void Incomplete_octet_counted_frame_at_end_of_stream_is_discarded_and_reported()
    {
        var decoder = NewDecoder();

        Assert.Equal([Frame("done")], Run(decoder, "4 done10 trunc"));
        Assert.True(decoder.EndedInsideFrame);
    }

    [Fact]
    public void Oversize_line_cut_by_end_of_stream_counts_once()
    {
        Assert.Equal([Frame("a"), Oversize], Run(NewDecoder(maxMessageSize: 4, maxOctetCount: 100), "a\n", "bbbbbbbbbbbb", "bbbb"));
    }

    [Fact]
    public void Without_a_complete_frame_nothing_is_consumed()
    {
        var decoder = NewDecoder();
        var buffer = new ReadOnlySequence<byte>("123 <13>partial"u8.ToArray());

        Assert.Equal(FrameStatus.NeedMoreData, decoder.TryReadFrame(ref buffer, out _));
        Assert.Equal(15, buffer.Length);

        var line = new ReadOnlySequence<byte>("<13>no terminator yet"u8.ToArray());
        Assert.Equal(FrameStatus.NeedMoreData, decoder.TryReadFrame(ref line, out _));
        Assert.Equal(21, line.Length);
    }

    [Fact]
    public void Frame_is_a_slice_of_the_callers_buffer()
    {
        var decoder = NewDecoder();
        byte[] data = "<13>a\n<13>b\n"u8.ToArray();
        var buffer = new ReadOnlySequence<byte>(data);

        Assert.Equal(FrameStatus.Frame, decoder.TryReadFrame(ref buffer, out ReadOnlySequence<byte> frame));
        Assert.True(System.Runtime.InteropServices.MemoryMarshal.TryGetArray(frame.First, out ArraySegment<byte> segment));
        Assert.Same(data, segment.Array);
        Assert.Equal(0, segment.Offset);
        Assert.Equal("<13>b\n"u8.ToArray(), buffer.ToArray());
    }

    [Fact]
    public void Decoding_a_frame_allocates_nothing()
    {
        var decoder = NewDecoder();
        byte[] data = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("<30>" + XrayLine + "\n" + XrayLine.Length + " " + XrayLine, 200)));
        int frames = 0;
        long allocated = SteadyStateAllocation.Measure(() => frames += CountFrames(decoder, data));

        Assert.Equal(400 * (1 + SteadyStateAllocation.Rounds), frames);
        Assert.Equal(0, allocated);
    }

    private static int CountFrames(SyslogFrameDecoder decoder, byte[] data)
    {
        var buffer = new ReadOnlySequence<byte>(data);
        int frames = 0;
        while (decoder.TryReadFrame(ref buffer, out _) == FrameStatus.Frame)
        {
            frames++;
        }

        return frames;
    }
}
