using XraySyslogSink.Syslog;

namespace XraySyslogSink.Fuzz;

/// <summary>
/// TCP framing: the stream is decoded once as a single read and once split into reads at pseudo-random points,
/// the way the listener's PipeReader loop drives <see cref="SyslogFrameDecoder"/>; both must give the same frames,
/// oversize events and protocol error, every frame must be non-empty, within the maximum size and consume bytes,
/// and at the end of the stream the buffer must be used up.
/// </summary>
/// <remarks>
/// Input layout: byte 0 picks the maximum message size (0 = the default 8192, else 1–255, so oversize paths are
/// reached), byte 1 the maximum octet count (a multiple of it, or <c>long.MaxValue</c> when bit 7 is set), byte 2
/// seeds the read sizes; the rest is the byte stream.
/// </remarks>
internal static class FramingTarget
{
    private const int HeaderBytes = 3;

    public static void Run(ReadOnlySpan<byte> data)
    {
        if (data.Length < HeaderBytes)
        {
            return;
        }

        int maxMessageSize = data[0] == 0 ? 8192 : data[0];
        long maxOctetCount = (data[1] & 0x80) != 0 ? long.MaxValue : (long)maxMessageSize * (1 + (data[1] & 0x7F));
        uint seed = data[2] | 0x100u;
        byte[] stream = data[HeaderBytes..].ToArray();

        List<string> whole = Decode(new SyslogFrameDecoder(maxMessageSize, maxOctetCount), [stream]);
        List<string> split = Decode(new SyslogFrameDecoder(maxMessageSize, maxOctetCount), Split(stream, seed));
        bool same = whole.Count == split.Count;
        for (int i = 0; same && i < whole.Count; i++)
        {
            same = string.Equals(whole[i], split[i], StringComparison.Ordinal);
        }

        FuzzInvariantException.Check(same, $"one read gives [{Describe(whole)}], split reads give [{Describe(split)}]");
    }

    private static string Describe(List<string> events)
    {
        var text = new System.Text.StringBuilder();
        foreach (string e in events)
        {
            text.Append(text.Length == 0 ? string.Empty : ", ").Append(e.Length <= 80 ? e : $"{e[..80]}…({e.Length})");
        }

        return text.ToString();
    }

    // Read sizes from a xorshift sequence: mostly small (1–16 bytes), sometimes up to 300, so terminators,
    // octet counts and UTF-8 sequences fall across reads.
    private static List<byte[]> Split(byte[] stream, uint state)
    {
        var reads = new List<byte[]>();
        int start = 0;
        while (start < stream.Length)
        {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            int size = (state & 7) == 0 ? 1 + (int)(state % 300) : 1 + (int)((state >> 8) & 15);
            size = Math.Min(size, stream.Length - start);
            reads.Add(stream[start..(start + size)]);
            start += size;
        }

        return reads;
    }

    private static List<string> Decode(SyslogFrameDecoder decoder, List<byte[]> reads) =>
        FrameReads.Decode(decoder, reads, frame => "F:" + Convert.ToHexString(frame));
}
