using System.Buffers;
using System.Text;
using XraySyslogSink.Listeners.Relp;

namespace XraySyslogSink.Tests.Listeners;

public sealed class RelpFrameParserTests
{
    // What rsyslog 8.2302's omrelp (librelp 1.11) sends, as seen on the wire: open, two messages, close.
    private const string Offers = "relp_version=0\nrelp_software=librelp,1.11.0,http://librelp.adiscon.com\ncommands=syslog";
    private static readonly string Session =
        Frame(1, "open", Offers) +
        Frame(2, "syslog", "<30>Nov 17 10:00:00 node-1 xray: first line") +
        Frame(3, "syslog", "<30>Nov 17 10:00:01 node-1 xray: second line") +
        "4 close 0\n";

    private static readonly string[] Expected =
    [
        $"1 Open {Offers}",
        "2 Syslog <30>Nov 17 10:00:00 node-1 xray: first line",
        "3 Syslog <30>Nov 17 10:00:01 node-1 xray: second line",
        "4 Close ",
    ];

    [Fact]
    public void A_whole_window_in_one_read_yields_every_frame_in_order()
    {
        (List<string> frames, RelpFrameError error, int left) = ParseReads([Encoding.ASCII.GetBytes(Session)]);

        Assert.Equal(Expected, frames);
        Assert.Equal(RelpFrameError.None, error);
        Assert.Equal(0, left);
    }

    [Fact]
    public void Splitting_the_stream_at_every_byte_boundary_yields_the_same_frames()
    {
        byte[] bytes = Encoding.ASCII.GetBytes(Session);
        for (int split = 1; split < bytes.Length; split++)
        {
            (List<string> frames, RelpFrameError error, int left) = ParseReads([bytes[..split], bytes[split..]]);
            Assert.True(Expected.SequenceEqual(frames), $"split at {split}: {string.Join(" | ", frames)}");
            Assert.Equal(RelpFrameError.None, error);
            Assert.Equal(0, left);
        }
    }

    [Fact]
    public void One_byte_per_read_yields_the_same_frames()
    {
        byte[] bytes = Encoding.ASCII.GetBytes(Session);
        (List<string> frames, _, int left) = ParseReads([.. bytes.Select(b => new[] { b })]);

        Assert.Equal(Expected, frames);
        Assert.Equal(0, left);
    }

    [Fact]
    public void A_frame_whose_data_has_not_all_arrived_consumes_nothing()
    {
        var buffer = new ReadOnlySequence<byte>("7 syslog 10 <30>abc"u8.ToArray());

        Assert.Equal(RelpFrameStatus.NeedMoreData, RelpFrameParser.TryReadFrame(ref buffer, 8192, out _, out _));
        Assert.Equal(19, buffer.Length);
    }

    [Fact]
    public void Data_may_hold_line_feeds_and_any_byte_because_the_length_frames_it()
    {
        byte[] data = [(byte)'a', (byte)'\n', 0, 0xFF, (byte)' ', (byte)'b'];
        byte[] frame = [.. "9 syslog 6 "u8.ToArray(), .. data, (byte)'\n'];
        var buffer = new ReadOnlySequence<byte>(frame);

        Assert.Equal(RelpFrameStatus.Complete, RelpFrameParser.TryReadFrame(ref buffer, 8192, out RelpFrame parsed, out _));
        Assert.Equal(9, parsed.TransactionNumber);
        Assert.Equal(data, parsed.Data.ToArray());
        Assert.True(buffer.IsEmpty);
    }

    [Theory]
    [InlineData("x syslog 3 abc\n", "bad_txnr")]
    [InlineData(" 1 syslog 3 abc\n", "bad_txnr")]
    [InlineData("1234567890 syslog 3 abc\n", "bad_txnr")]
    [InlineData("1-syslog 3 abc\n", "bad_txnr")]
    [InlineData("1 sys1og 3 abc\n", "bad_command")]
    [InlineData("1  syslog 3 abc\n", "bad_command")]
    [InlineData("1 abcdefghijklmnopqrstuvwxyzabcdefg 0\n", "bad_command")]
    [InlineData("1 syslog abc\n", "bad_datalen")]
    [InlineData("1 syslog -3 abc\n", "bad_datalen")]
    [InlineData("1 syslog 1234567890 abc\n", "bad_datalen")]
    [InlineData("1 syslog 3\nabc\n", "bad_datalen")]
    [InlineData("1 syslog 3 abcd\n", "missing_trailer")]
    [InlineData("1 syslog 2 abc\n", "missing_trailer")]
    [InlineData("1 close 0 \n", "missing_trailer")]
    [InlineData("GET / HTTP/1.1\r\n", "bad_txnr")]
    public void Malformed_frames_are_reported_with_their_reason(string text, string expected)
    {
        var buffer = new ReadOnlySequence<byte>(Encoding.ASCII.GetBytes(text));

        Assert.Equal(RelpFrameStatus.Malformed, RelpFrameParser.TryReadFrame(ref buffer, 8192, out _, out RelpFrameError error));
        Assert.Equal(expected, error.ReasonName());
    }

    [Fact]
    public void A_data_length_over_the_limit_is_rejected_before_the_data_arrives()
    {
        var atLimit = new ReadOnlySequence<byte>("1 syslog 100 "u8.ToArray());
        var overLimit = new ReadOnlySequence<byte>("1 syslog 101 "u8.ToArray());

        Assert.Equal(RelpFrameStatus.NeedMoreData, RelpFrameParser.TryReadFrame(ref atLimit, 100, out _, out _));
        Assert.Equal(RelpFrameStatus.Malformed, RelpFrameParser.TryReadFrame(ref overLimit, 100, out _, out RelpFrameError error));
        Assert.Equal(RelpFrameError.TooLarge, error);
        Assert.Equal("too_large", error.ReasonName());
    }

    [Fact]
    public void A_bad_byte_is_reported_at_once_without_waiting_for_the_rest()
    {
        var buffer = new ReadOnlySequence<byte>("12 sys!"u8.ToArray());

        Assert.Equal(RelpFrameStatus.Malformed, RelpFrameParser.TryReadFrame(ref buffer, 8192, out _, out RelpFrameError error));
        Assert.Equal(RelpFrameError.BadCommand, error);
    }

    [Theory]
    [InlineData(1, 2)]
    [InlineData(998_999_999, 999_000_000)]
    [InlineData(999_999_998, 999_999_999)]
    [InlineData(999_999_999, 1)]
    public void Transaction_numbers_latch_at_nine_nines_and_continue_with_one(int current, int next) =>
        Assert.Equal(next, RelpFrameParser.NextTransactionNumber(current));

    [Fact]
    public void The_largest_transaction_number_parses()
    {
        var buffer = new ReadOnlySequence<byte>("999999999 syslog 1 x\n"u8.ToArray());

        Assert.Equal(RelpFrameStatus.Complete, RelpFrameParser.TryReadFrame(ref buffer, 8192, out RelpFrame frame, out _));
        Assert.Equal(999_999_999, frame.TransactionNumber);
    }

    [Theory]
    [InlineData(Offers, "Accept")]
    [InlineData("commands=eventlog,syslog\nrelp_version=1", "Accept")]
    [InlineData("relp_version=0\nrelp_software=x", "NoSyslogCommand")]
    [InlineData("relp_version=0\ncommands=eventlog", "NoSyslogCommand")]
    [InlineData("commands=syslog", "NoVersion")]
    [InlineData("relp_version=x\ncommands=syslog", "NoVersion")]
    [InlineData("", "NoVersion")]
    public void Open_offers_are_judged_by_version_and_syslog_command(string offers, string expected) =>
        Assert.Equal(expected, RelpOffers.Judge(new ReadOnlySequence<byte>(Encoding.ASCII.GetBytes(offers))).ToString());

    [Fact]
    public void Responses_are_framed_as_librelp_reads_them()
    {
        var output = new ArrayBufferWriter<byte>();
        RelpResponseWriter.WriteResponse(output, 6, RelpResponseWriter.Ok);
        RelpResponseWriter.WriteResponse(output, 999_999_999, []);
        RelpResponseWriter.WriteServerClose(output);

        Assert.Equal("6 rsp 6 200 OK\n999999999 rsp 0\n0 serverclose 0\n", Encoding.ASCII.GetString(output.WrittenSpan));
        Assert.StartsWith("200 OK\nrelp_version=0\nrelp_software=xraysink,", Encoding.ASCII.GetString(RelpOffers.AcceptedResponse));
        Assert.EndsWith("\ncommands=syslog", Encoding.ASCII.GetString(RelpOffers.AcceptedResponse));
    }

    private static string Frame(int transactionNumber, string command, string data) =>
        $"{transactionNumber} {command} {Encoding.ASCII.GetByteCount(data)} {data}\n";

    /// <summary>
    /// Feeds reads the way the session's PipeReader loop does: each read is appended as a new segment to what is
    /// still unconsumed, and the parser runs until it needs more data. Frames are rendered at once (they point into the buffer).
    /// </summary>
    private static (List<string> Frames, RelpFrameError Error, int Left) ParseReads(IEnumerable<byte[]> reads)
    {
        var frames = new List<string>();
        var pending = new List<byte[]>();
        foreach (byte[] read in reads)
        {
            pending.Add(read);
            ReadOnlySequence<byte> buffer = Segments.Build(pending);
            while (true)
            {
                RelpFrameStatus status = RelpFrameParser.TryReadFrame(ref buffer, 8192, out RelpFrame frame, out RelpFrameError error);
                if (status == RelpFrameStatus.Malformed)
                {
                    return (frames, error, (int)buffer.Length);
                }

                if (status == RelpFrameStatus.NeedMoreData)
                {
                    break;
                }

                frames.Add($"{frame.TransactionNumber} {frame.Command} {Encoding.ASCII.GetString(frame.Data.ToArray())}");
            }

            pending = [buffer.ToArray()];
            if (pending[0].Length == 0)
            {
                pending.Clear();
            }
        }

        return (frames, RelpFrameError.None, pending.Sum(p => p.Length));
    }

    /// <summary>Builds a multi-segment sequence so the parser is exercised across segment edges.</summary>
    private sealed class Segments : ReadOnlySequenceSegment<byte>
    {
        private Segments(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public static ReadOnlySequence<byte> Build(List<byte[]> parts)
        {
            if (parts.Count == 0)
            {
                return ReadOnlySequence<byte>.Empty;
            }

            var first = new Segments(parts[0], 0);
            Segments last = first;
            for (int i = 1; i < parts.Count; i++)
            {
                var next = new Segments(parts[i], last.RunningIndex + last.Memory.Length);
                last.Next = next;
                last = next;
            }

            return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
        }
    }
}
