using System.Buffers;
using System.Globalization;
using System.Text;
using BenchmarkDotNet.Attributes;
using XraySyslogSink.LoadGenerator;
using XraySyslogSink.Syslog;

namespace XraySyslogSink.Benchmarks;

/// <summary>
/// RFC 6587 framing of a TCP stream of <see cref="Lines.Count"/> RFC 5424 messages, presented as the reads a
/// socket delivers (16 KiB segments, so frames straddle segment boundaries as they do on the wire).
/// </summary>
[MemoryDiagnoser]
public class FramingBenchmarks
{
    private const int SegmentBytes = 16 * 1024;

    private ReadOnlySequence<byte> _stream;
    private SyslogFrameDecoder _decoder = new(8192, 8192);

    [Params("octet-counted", "lf")]
    public string Framing { get; set; } = "octet-counted";

    [GlobalSetup]
    public void Setup()
    {
        var bytes = new List<byte>();
        foreach (byte[] message in Lines.Messages(HeaderStyle.Rfc5424))
        {
            if (Framing == "lf")
            {
                bytes.AddRange(message);
                bytes.Add((byte)'\n');
            }
            else
            {
                bytes.AddRange(Encoding.ASCII.GetBytes(message.Length.ToString(CultureInfo.InvariantCulture) + " "));
                bytes.AddRange(message);
            }
        }

        _stream = Segments.Of(bytes.ToArray(), SegmentBytes);
        _decoder = new SyslogFrameDecoder(8192, 8192);
    }

    [Benchmark(OperationsPerInvoke = Lines.Count)]
    public long DecodeFrames()
    {
        ReadOnlySequence<byte> buffer = _stream;
        long total = 0;
        while (_decoder.TryReadFrame(ref buffer, out ReadOnlySequence<byte> frame) == FrameStatus.Frame)
        {
            total += frame.Length;
        }

        return total;
    }
}

/// <summary>A <see cref="ReadOnlySequence{T}"/> split into fixed-size segments.</summary>
internal sealed class Segments : ReadOnlySequenceSegment<byte>
{
    private Segments(ReadOnlyMemory<byte> memory, long runningIndex)
    {
        Memory = memory;
        RunningIndex = runningIndex;
    }

    public static ReadOnlySequence<byte> Of(byte[] bytes, int segmentBytes)
    {
        var first = new Segments(bytes.AsMemory(0, Math.Min(segmentBytes, bytes.Length)), 0);
        Segments last = first;
        for (int offset = segmentBytes; offset < bytes.Length; offset += segmentBytes)
        {
            var next = new Segments(bytes.AsMemory(offset, Math.Min(segmentBytes, bytes.Length - offset)), offset);
            last.Next = next;
            last = next;
        }

        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }
}
