using System.Buffers;
using XraySyslogSink.Syslog;

namespace XraySyslogSink.Fuzz;

/// <summary>
/// Drives a <see cref="SyslogFrameDecoder"/> the way the TCP listener's PipeReader loop does: each read appends a
/// segment to the unconsumed rest, the decoder is called until it needs more data, and only what it consumed is
/// dropped. Frames are rendered at once, since they are only valid until the reader advances. Shared by the
/// framing fuzz target and the decoder's unit tests; a broken decoder contract throws
/// <see cref="FuzzInvariantException"/>.
/// </summary>
internal static class FrameReads
{
    public const string Oversize = "<oversize>";
    public const string ProtocolError = "<protocol error>";

    /// <summary>Runs the reads through <paramref name="decoder"/>; returns the rendered frames and events in order.</summary>
    public static List<string> Decode(SyslogFrameDecoder decoder, IEnumerable<byte[]> reads, Func<byte[], string> renderFrame, bool endOfStream = true)
    {
        ArgumentNullException.ThrowIfNull(decoder);
        ArgumentNullException.ThrowIfNull(reads);
        var events = new List<string>();
        var pending = new List<ReadOnlyMemory<byte>>();
        foreach (byte[] read in reads)
        {
            if (read.Length == 0)
            {
                continue;
            }

            pending.Add(read);
            ReadOnlySequence<byte> buffer = Sequence(pending);
            if (!Drain(decoder, ref buffer, events, renderFrame, final: false))
            {
                return events;
            }

            pending.Clear();
            foreach (ReadOnlyMemory<byte> memory in buffer)
            {
                if (!memory.IsEmpty)
                {
                    pending.Add(memory);
                }
            }
        }

        if (endOfStream)
        {
            ReadOnlySequence<byte> rest = Sequence(pending);
            if (Drain(decoder, ref rest, events, renderFrame, final: true))
            {
                FuzzInvariantException.Check(rest.IsEmpty, "at the end of the stream the decoder left bytes in the buffer");
            }
        }

        return events;
    }

    /// <summary>A sequence over <paramref name="segments"/> in order, as a PipeReader presents data of several reads.</summary>
    public static ReadOnlySequence<byte> Sequence(IReadOnlyList<ReadOnlyMemory<byte>> segments)
    {
        ArgumentNullException.ThrowIfNull(segments);
        if (segments.Count == 0)
        {
            return ReadOnlySequence<byte>.Empty;
        }

        var first = new Segment(segments[0], 0);
        Segment last = first;
        for (int i = 1; i < segments.Count; i++)
        {
            last = last.Append(segments[i]);
        }

        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    private static bool Drain(SyslogFrameDecoder decoder, ref ReadOnlySequence<byte> buffer, List<string> events, Func<byte[], string> renderFrame, bool final)
    {
        // Every call that returns an event consumes at least one byte, so the buffer length bounds the loop.
        for (long guard = buffer.Length + 2; guard > 0; guard--)
        {
            long before = buffer.Length;
            FrameStatus status = final
                ? decoder.TryReadFinalFrame(ref buffer, out ReadOnlySequence<byte> frame)
                : decoder.TryReadFrame(ref buffer, out frame);
            FuzzInvariantException.Check(buffer.Length <= before, "the decoder grew the buffer");
            switch (status)
            {
                case FrameStatus.Frame:
                    FuzzInvariantException.Check(frame.Length > 0, "an empty frame was returned");
                    FuzzInvariantException.Check(frame.Length <= decoder.MaxMessageSize, $"a frame of {frame.Length} bytes exceeds {decoder.MaxMessageSize}");
                    FuzzInvariantException.Check(buffer.Length < before, "a frame did not consume its bytes");
                    events.Add(renderFrame(frame.ToArray()));
                    break;
                case FrameStatus.Oversize:
                    events.Add(Oversize);
                    break;
                case FrameStatus.ProtocolError:
                    events.Add(ProtocolError);
                    return false;
                case FrameStatus.NeedMoreData:
                    return true;
                default:
                    throw new FuzzInvariantException($"unknown status {status}");
            }
        }

        throw new FuzzInvariantException("the decoder returned events without consuming bytes");
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
