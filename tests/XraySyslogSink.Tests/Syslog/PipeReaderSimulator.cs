using System.Text;
using XraySyslogSink.Fuzz;
using XraySyslogSink.Syslog;

namespace XraySyslogSink.Tests.Syslog;

/// <summary>
/// Drives a <see cref="SyslogFrameDecoder"/> the way the TCP listener's PipeReader loop does (see
/// <see cref="FrameReads"/>, shared with the framing fuzz target), with frames as Latin-1 text.
/// </summary>
internal static class PipeReaderSimulator
{
    public const string Oversize = FrameReads.Oversize;
    public const string ProtocolError = FrameReads.ProtocolError;

    /// <summary>Runs the reads through a decoder and returns frames (Latin-1 text, byte for byte) and events.</summary>
    public static List<string> Run(SyslogFrameDecoder decoder, IEnumerable<byte[]> reads, bool endOfStream = true) =>
        FrameReads.Decode(decoder, reads, payload => Frame(payload), endOfStream);

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
}
