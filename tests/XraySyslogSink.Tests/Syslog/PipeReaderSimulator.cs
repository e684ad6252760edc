using System.Buffers;
using System.Text;
using XraySyslogSink.Syslog;

namespace XraySyslogSink.Tests.Syslog;

/// <summary>
/// Drives a <see cref="SyslogFrameDecoder"/> the way the TCP listener's PipeReader loop does: each read appends a
/// segment to the unconsumed rest, the decoder is called until it needs more data, and only what it consumed is
/// dropped. Frames are copied out at once, since they are only valid until the reader advances.
/// </summary>
internal static class PipeReaderSimulator
{
    public const string Oversize = "<oversize>";
    public const string ProtocolError = "<protocol error>";

    /// <summary>Runs the reads through a decoder and returns frames (Latin-1 text, byte for byte) and events.</summary>
    public static List<string> Run(SyslogFrameDecoder decoder, IEnumerable<byte[]> reads, bool endOfStream = true)
    {
        var events = new List<string>();
        var pending = new List<ReadOnlyMemory<byte>>();
        foreach (byte[] read in reads)
        {
            if (read.Length == 0)
            {
                continue;
            }

            pending.Add(read);
            ReadOnlySequence<byte> buffer = BuildSequence(pending);
            if (!Drain(decoder, ref buffer, events, final: false))
            {
                return events;
            }

            pending = Remaining(buffer);
        }

        if (endOfStream)
        {
            ReadOnlySequence<byte> buffer = BuildSequence(pending);
            Drain(decoder, ref buffer, events, final: true);
            Assert.True(buffer.IsEmpty, "at end of stream the decoder must use up the buffer");
        }

        return events;
    }

    public static List<string> Run(SyslogFrameDecoder decoder, params string[] reads)
    {
        var bytes = new List<byte[]>();
        foreach (string read in reads)
        {
            bytes.Add(Encoding.UTF8.GetBytes(read));
        }

        return Run(decoder, bytes);
    }

    /// <summary>The event text for a frame holding <paramref name="text"/> encoded as UTF-8.</summary>
    public static string Frame(string text) => Frame(Encoding.UTF8.GetBytes(text));

    public static string Frame(ReadOnlySpan<byte> payload) => "F:" + Encoding.Latin1.GetString(payload);

    /// <summary>Splits <paramref name="data"/> into reads at the given offsets.</summary>
    public static List<byte[]> SplitAt(byte[] data, params int[] offsets)
    {
        var reads = new List<byte[]>();
        int start = 0;
        foreach (int offset in offsets)
        {
            reads.Add(data[start..offset]);
            start = offset;
        }

        reads.Add(data[start..]);
        return reads;
    }

    private static bool Drain(SyslogFrameDecoder decoder, ref ReadOnlySequence<byte> buffer, List<string> events, bool final)
    {
        for (int guard = 0; guard < 1_000_000; guard++)
        {
            long before = buffer.Length;
            FrameStatus status = final
                ? decoder.TryReadFinalFrame(ref buffer, out ReadOnlySequence<byte> frame)
                : decoder.TryReadFrame(ref buffer, out frame);
            switch (status)
            {
                case FrameStatus.Frame:
                    Assert.True(frame.Length > 0, "empty frames are skipped, never returned");
                    Assert.True(buffer.Length < before, "a frame must consume its bytes");
                    events.Add(Frame(frame.ToArray()));
                    break;
                case FrameStatus.Oversize:
                    events.Add(Oversize);
                    break;
                case FrameStatus.ProtocolError:
                    events.Add(ProtocolError);
                    return false;
                default:
                    return true;
            }
        }

        throw new InvalidOperationException("decoder did not settle");
    }

    private static List<ReadOnlyMemory<byte>> Remaining(ReadOnlySequence<byte> buffer)
    {
        var rest = new List<ReadOnlyMemory<byte>>();
        foreach (ReadOnlyMemory<byte> memory in buffer)
        {
            if (!memory.IsEmpty)
            {
                rest.Add(memory);
            }
        }

        return rest;
    }

    private static ReadOnlySequence<byte> BuildSequence(List<ReadOnlyMemory<byte>> segments)
    {
        if (segments.Count == 0)
        {
            return ReadOnlySequence<byte>.Empty;
        }

        if (segments.Count == 1)
        {
            return new ReadOnlySequence<byte>(segments[0]);
        }

        var first = new Segment(segments[0], 0);
        Segment last = first;
        for (int i = 1; i < segments.Count; i++)
        {
            last = last.Append(segments[i]);
        }

        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
