using System.Text;
using CsCheck;
using XraySyslogSink.Syslog;
using static XraySyslogSink.Tests.Syslog.PipeReaderSimulator;

namespace XraySyslogSink.Tests.Syslog;

public sealed class SyslogFrameDecoderPropertyTests
{
    private const int MaxMessageSize = 64;
    private const long MaxOctetCount = 10_000;

    private enum Framing
    {
        Lf,
        CrLf,
        Nul,
        OctetCounted,
    }

    private sealed record Message(Framing Framing, string Text, string ExtraSeparator);

    private static readonly Gen<Message> GenMessage = Gen.Select(
        Gen.OneOf(Framing.Lf, Framing.CrLf, Framing.Nul, Framing.OctetCounted),
        Gen.OneOf("<13>", "<165>1 ", "Jun 30 14:16:59 ", "2023/06/30 14:16:59 ", "x"),
        Gen.Char["abz <>[]:0123456789é日\r\t\n\0"].Array[0, 40],
        Gen.OneOf("", "", "", "\n", "\r\n", "\0"),
        (framing, prefix, body, extra) =>
        {
            string text = prefix + new string(body);
            if (framing != Framing.OctetCounted)
            {
                // A non-transparent frame cannot hold its own terminators, and a trailing CR would read as CRLF.
                text = text.Replace("\n", "", StringComparison.Ordinal).Replace("\0", "", StringComparison.Ordinal);
                if (text.EndsWith('\r'))
                {
                    text += "x";
                }
            }

            return new Message(framing, text, extra);
        });

    private static readonly Gen<(Message[] Messages, bool LastUnterminated, int[] Chunks)> GenStream = Gen.Select(
        GenMessage.Array[1, 25],
        Gen.Bool,
        Gen.Int[1, 40].Array[1, 30]);

    [Fact]
    public void Random_messages_with_random_framing_and_random_splits_come_out_unchanged()
    {
        GenStream.Sample(
            (messages, lastUnterminated, chunks) =>
            {
                (byte[] stream, List<string> expected) = Encode(messages, lastUnterminated);

                Assert.Equal(expected, Run(new SyslogFrameDecoder(MaxMessageSize, MaxOctetCount), [stream]));
                Assert.Equal(expected, Run(new SyslogFrameDecoder(MaxMessageSize, MaxOctetCount), Chunk(stream, chunks)));
            },
            iter: 2_000);
    }

    [Fact]
    public void Every_split_point_and_byte_at_a_time_reads_give_the_same_messages()
    {
        Gen.Select(GenMessage.Array[1, 6], Gen.Bool).Sample(
            (messages, lastUnterminated) =>
            {
                (byte[] stream, List<string> expected) = Encode(messages, lastUnterminated);
                for (int at = 0; at <= stream.Length; at++)
                {
                    Assert.Equal(expected, Run(new SyslogFrameDecoder(MaxMessageSize, MaxOctetCount), [stream[..at], stream[at..]]));
                }

                Assert.Equal(expected, Run(new SyslogFrameDecoder(MaxMessageSize, MaxOctetCount), stream.Select(b => new[] { b })));
            },
            iter: 100);
    }

    private static (byte[] Stream, List<string> Expected) Encode(Message[] messages, bool lastUnterminated)
    {
        var stream = new List<byte>();
        var expected = new List<string>();
        for (int i = 0; i < messages.Length; i++)
        {
            Message message = messages[i];
            byte[] payload = Encoding.UTF8.GetBytes(message.Text);
            bool last = i == messages.Length - 1;
            expected.Add(payload.Length > MaxMessageSize ? Oversize : Frame(payload));
            switch (message.Framing)
            {
                case Framing.OctetCounted:
                    stream.AddRange(Encoding.ASCII.GetBytes($"{payload.Length} "));
                    stream.AddRange(payload);
                    break;
                default:
                    stream.AddRange(payload);
                    if (!(last && lastUnterminated))
                    {
                        stream.AddRange(message.Framing switch
                        {
                            Framing.Lf => "\n"u8.ToArray(),
                            Framing.CrLf => "\r\n"u8.ToArray(),
                            _ => [0],
                        });
                    }

                    break;
            }

            if (!(last && lastUnterminated))
            {
                stream.AddRange(Encoding.ASCII.GetBytes(message.ExtraSeparator));
            }
        }

        return (stream.ToArray(), expected);
    }

    private static List<byte[]> Chunk(byte[] data, int[] sizes)
    {
        var reads = new List<byte[]>();
        int offset = 0;
        for (int i = 0; offset < data.Length; i++)
        {
            int size = Math.Min(sizes[i % sizes.Length], data.Length - offset);
            reads.Add(data[offset..(offset + size)]);
            offset += size;
        }

        return reads;
    }
}
