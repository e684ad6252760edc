namespace XraySyslogSink.Xray;

/// <summary>
/// Recognises an xray line that a relay parsed as a syslog message of its own: syslog-ng's <c>file()</c> source
/// without <c>flags(no-parse)</c> takes the line's date (<c>2026/12/01</c>) for the program name and sends the rest
/// (<c>23:59:58.000000 from …</c>) as MSG, with its own header in front. The raw text is all there, so the line is
/// put back together rather than turned into a dead letter.
/// </summary>
internal static class XrayDateAsAppName
{
    /// <summary>Length of <c>YYYY/MM/DD</c>.</summary>
    public const int DateLength = 10;

    /// <summary>
    /// Whether <paramref name="appName"/> has the shape of an xray date and <paramref name="message"/> starts with the
    /// shape of the time that follows it. Cheap: a length check fails first for every ordinary APP-NAME.
    /// </summary>
    public static bool Matches(ReadOnlySpan<byte> appName, ReadOnlySpan<byte> message) =>
        appName.Length == DateLength && appName[4] == '/' && appName[7] == '/'
        && AllDigits(appName[..4]) && AllDigits(appName.Slice(5, 2)) && AllDigits(appName.Slice(8, 2))
        && message.Length > 8 && message[2] == ':' && message[5] == ':'
        && AllDigits(message[..2]) && AllDigits(message.Slice(3, 2)) && AllDigits(message.Slice(6, 2));

    /// <summary>The length of the rejoined line (<c>DATE SP MSG</c>): what <see cref="Rejoin"/> needs.</summary>
    public static int RejoinedLength(ReadOnlySpan<byte> message) => DateLength + 1 + message.Length;

    /// <summary>Writes <c>DATE SP MSG</c> into <paramref name="destination"/> and returns the written part.</summary>
    public static ReadOnlySpan<byte> Rejoin(ReadOnlySpan<byte> appName, ReadOnlySpan<byte> message, Span<byte> destination)
    {
        appName.CopyTo(destination);
        destination[DateLength] = (byte)' ';
        message.CopyTo(destination[(DateLength + 1)..]);
        return destination[..RejoinedLength(message)];
    }

    private static bool AllDigits(ReadOnlySpan<byte> span)
    {
        foreach (byte b in span)
        {
            if ((uint)(b - '0') > 9)
            {
                return false;
            }
        }

        return true;
    }
}
