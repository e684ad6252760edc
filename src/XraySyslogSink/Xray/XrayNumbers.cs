namespace XraySyslogSink.Xray;

/// <summary>Decimal fields of access lines, read straight from UTF-8.</summary>
internal static class XrayNumbers
{
    /// <summary>A TCP/UDP port: 1–5 ASCII digits, 0–65535 (Xray logs port 0 for many transports).</summary>
    public static bool TryParsePort(ReadOnlySpan<byte> text, out int port)
    {
        port = -1;
        if (text.IsEmpty || text.Length > 5 || !TryParseDigits(text, out int value) || value > ushort.MaxValue)
        {
            return false;
        }

        port = value;
        return true;
    }

    /// <summary>Only ASCII digits; callers bound the length so the value cannot overflow.</summary>
    public static bool TryParseDigits(ReadOnlySpan<byte> text, out int value)
    {
        value = 0;
        foreach (byte b in text)
        {
            uint d = (uint)(b - '0');
            if (d > 9)
            {
                value = 0;
                return false;
            }

            value = (value * 10) + (int)d;
        }

        return !text.IsEmpty;
    }
}
