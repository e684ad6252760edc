namespace XraySyslogSink.Xray;

/// <summary>Reads Go's <c>log</c> header (<c>Ldate|Ltime[|Lmicroseconds]</c>) at the start of a line.</summary>
internal static class XrayTimestamp
{
    /// <summary>Length of <c>YYYY/MM/DD HH:MM:SS</c>.</summary>
    private const int SecondsLength = 19;

    /// <summary>Length of <c>YYYY/MM/DD HH:MM:SS.uuuuuu</c>.</summary>
    private const int MicrosLength = 26;

    internal enum Result : byte
    {
        Valid,
        Missing,
        Invalid,
    }

    /// <summary>
    /// <see cref="Result.Missing"/> when the line does not start with the timestamp's shape;
    /// <see cref="Result.Invalid"/> when it has the shape but names no real instant (month 13, Feb 30)
    /// or a fraction other than exactly six digits. <paramref name="length"/> is the shape's length
    /// either way, so callers can still classify what follows an invalid timestamp.
    /// </summary>
    public static Result TryParse(ReadOnlySpan<byte> line, out DateTime value, out int length)
    {
        value = default;
        length = 0;
        if (line.Length < SecondsLength
            || line[4] != '/' || line[7] != '/' || line[10] != ' ' || line[13] != ':' || line[16] != ':')
        {
            return Result.Missing;
        }

        if (!XrayNumbers.TryParseDigits(line[..4], out int year) || !XrayNumbers.TryParseDigits(line.Slice(5, 2), out int month)
            || !XrayNumbers.TryParseDigits(line.Slice(8, 2), out int day) || !XrayNumbers.TryParseDigits(line.Slice(11, 2), out int hour)
            || !XrayNumbers.TryParseDigits(line.Slice(14, 2), out int minute) || !XrayNumbers.TryParseDigits(line.Slice(17, 2), out int second))
        {
            return Result.Missing;
        }

        length = SecondsLength;
        int micros = 0;
        bool fractionValid = true;
        if (line.Length > SecondsLength && line[SecondsLength] == '.')
        {
            // Go writes exactly six digits; anything else means a different (or corrupted) writer.
            int end = SecondsLength + 1;
            while (end < line.Length && (uint)(line[end] - '0') <= 9)
            {
                end++;
            }

            length = end;
            fractionValid = end == MicrosLength && XrayNumbers.TryParseDigits(line[(SecondsLength + 1)..MicrosLength], out micros);
        }

        if (!fractionValid || year < 1 || month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(year, month)
            || hour > 23 || minute > 59 || second > 59)
        {
            return Result.Invalid;
        }

        value = new DateTime(year, month, day, hour, minute, second, DateTimeKind.Unspecified)
            .AddTicks(micros * TimeSpan.TicksPerMicrosecond);
        return Result.Valid;
    }
}
