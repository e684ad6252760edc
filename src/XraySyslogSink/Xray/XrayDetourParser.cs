namespace XraySyslogSink.Xray;

/// <summary>Splits the bracketed detour (<c>IN &gt;&gt; OUT</c>, <c>IN -&gt; OUT</c>, <c>IN ==&gt; OUT</c>, <c>OUT</c>) into tags.</summary>
internal static class XrayDetourParser
{
    /// <summary>
    /// <paramref name="detour"/> is the text between the brackets. Tags are free text, so the split is at
    /// the first arrow: an inbound tag cannot be told from an outbound one containing an arrow, and
    /// inbound tags are the ones panels generate (<c>inbound-443</c>), which never contain one.
    /// </summary>
    public static void Split(ReadOnlySpan<byte> detour, out bool hasInbound, out ReadOnlySpan<byte> inbound, out bool hasOutbound, out ReadOnlySpan<byte> outbound)
    {
        inbound = default;
        outbound = default;
        hasInbound = false;
        hasOutbound = false;
        if (detour.IsEmpty)
        {
            return;
        }

        int arrow = -1;
        int arrowLength = 0;
        Earliest(detour, " >> "u8, ref arrow, ref arrowLength);
        Earliest(detour, " -> "u8, ref arrow, ref arrowLength);
        Earliest(detour, " ==> "u8, ref arrow, ref arrowLength);

        hasOutbound = true;
        if (arrow < 0)
        {
            outbound = detour;
            return;
        }

        hasInbound = true;
        inbound = detour[..arrow];
        outbound = detour[(arrow + arrowLength)..];
    }

    private static void Earliest(ReadOnlySpan<byte> detour, ReadOnlySpan<byte> arrowText, ref int arrow, ref int arrowLength)
    {
        // Only the prefix before the best match so far can hold an earlier arrow.
        ReadOnlySpan<byte> scope = arrow < 0 ? detour : detour[..Math.Min(detour.Length, arrow + arrowText.Length - 1)];
        int at = scope.IndexOf(arrowText);
        if (at >= 0 && (arrow < 0 || at < arrow))
        {
            arrow = at;
            arrowLength = arrowText.Length;
        }
    }
}
