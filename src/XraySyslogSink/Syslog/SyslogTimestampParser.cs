namespace XraySyslogSink.Syslog;

/// <summary>
/// The timestamp forms syslog senders write: RFC 3339 (RFC 5424 and rsyslog's forward format), the BSD
/// <c>Mmm dd hh:mm:ss</c> stamp and the ctime-like <c>Thu Oct 13 07:50:16 2022</c> of OpenWrt's logread.
/// Each parser validates every field so that building the <see cref="DateTime"/> cannot throw on hostile input.
/// </summary>
internal static class SyslogTimestampParser
{
    /// <summary>A leap year, so that a year-less <c>Feb 29</c> stays representable.</summary>
    public const int NoYearPlaceholder = 4;

    // A DateTimeOffset rejects offsets beyond ±14 h; refusing them here keeps consumers from throwing later.
    private const int MaxOffsetMinutes = 14 * 60;

    /// <summary>
    /// <c>YYYY-MM-DDThh:mm:ss[.frac](Z|±hh:mm)</c>. Fractions beyond 100 ns are truncated. A missing zone is accepted
    /// (some file formats omit it) and reported as <see cref="SyslogTimestampKind.Local"/>.
    /// </summary>
    /// <returns>Bytes consumed, or 0 when the span does not start with such a timestamp.</returns>
    public static int ParseRfc3339(ReadOnlySpan<byte> s, out DateTime timestamp, out TimeSpan offset, out SyslogTimestampKind kind)
    {
        timestamp = default;
        offset = default;
        kind = SyslogTimestampKind.None;
        if (s.Length < 19
            || s[4] != '-' || s[7] != '-' || (s[10] | 0x20) != 't' || s[13] != ':' || s[16] != ':'
            || !TryDigits(s[..4], out int year)
            || !TryDigits(s.Slice(5, 2), out int month)
            || !TryDigits(s.Slice(8, 2), out int day)
            || !TryDigits(s.Slice(11, 2), out int hour)
            || !TryDigits(s.Slice(14, 2), out int minute)
            || !TryDigits(s.Slice(17, 2), out int second)
            || !IsValidDate(year, month, day)
            || !IsValidTime(hour, minute, ref second))
        {
            return 0;
        }

        int pos = 19;
        long fractionTicks = 0;
        if (pos < s.Length && s[pos] == '.')
        {
            pos++;
            int digits = 0;
            long scale = TimeSpan.TicksPerSecond;
            while (pos < s.Length && IsDigit(s[pos]))
            {
                if (scale > 1)
                {
                    scale /= 10;
                    fractionTicks += (s[pos] - '0') * scale;
                }

                pos++;
                digits++;
            }

            if (digits == 0)
            {
                return 0;
            }
        }

        var local = new DateTime(year, month, day, hour, minute, second, DateTimeKind.Unspecified).AddTicks(fractionTicks);
        if (pos < s.Length && (s[pos] | 0x20) == 'z')
        {
            pos++;
            kind = SyslogTimestampKind.WithOffset;
        }
        else if (pos < s.Length && (s[pos] == '+' || s[pos] == '-'))
        {
            if (s.Length < pos + 6 || s[pos + 3] != ':'
                || !TryDigits(s.Slice(pos + 1, 2), out int offsetHours)
                || !TryDigits(s.Slice(pos + 4, 2), out int offsetMinutes)
                || offsetMinutes > 59)
            {
                return 0;
            }

            int totalMinutes = (offsetHours * 60) + offsetMinutes;
            if (totalMinutes > MaxOffsetMinutes)
            {
                return 0;
            }

            offset = TimeSpan.FromMinutes(s[pos] == '-' ? -totalMinutes : totalMinutes);
            pos += 6;
            kind = SyslogTimestampKind.WithOffset;
        }
        else
        {
            kind = SyslogTimestampKind.Local;
        }

        timestamp = local;
        return pos;
    }

    /// <summary>
    /// <c>Mmm dd hh:mm:ss</c> with the day space-padded (<c>Jun  3</c>); an unpadded single-digit day is tolerated.
    /// The result carries <see cref="NoYearPlaceholder"/> as its year.
    /// </summary>
    /// <returns>Bytes consumed, or 0 when the span does not start with such a timestamp.</returns>
    public static int ParseBsd(ReadOnlySpan<byte> s, out DateTime timestamp)
    {
        timestamp = default;
        int pos = ParseMonthDay(s, out int month, out int day);
        if (pos == 0 || !IsValidDate(NoYearPlaceholder, month, day))
        {
            return 0;
        }

        int used = ParseTime(s[pos..], out int hour, out int minute, out int second);
        if (used == 0)
        {
            return 0;
        }

        timestamp = new DateTime(NoYearPlaceholder, month, day, hour, minute, second, DateTimeKind.Unspecified);
        return pos + used;
    }

    /// <summary><c>Ddd Mmm dd hh:mm:ss yyyy</c>, the ctime layout OpenWrt's logread prints.</summary>
    /// <returns>Bytes consumed, or 0 when the span does not start with such a timestamp.</returns>
    public static int ParseCtime(ReadOnlySpan<byte> s, out DateTime timestamp)
    {
        timestamp = default;
        if (s.Length < 24 || !IsWeekday(s[..3]) || s[3] != ' ')
        {
            return 0;
        }

        int pos = 4;
        int used = ParseMonthDay(s[pos..], out int month, out int day);
        if (used == 0)
        {
            return 0;
        }

        pos += used;
        used = ParseTime(s[pos..], out int hour, out int minute, out int second);
        if (used == 0)
        {
            return 0;
        }

        pos += used;
        if (s.Length < pos + 5 || s[pos] != ' ' || !TryDigits(s.Slice(pos + 1, 4), out int year) || !IsValidDate(year, month, day))
        {
            return 0;
        }

        timestamp = new DateTime(year, month, day, hour, minute, second, DateTimeKind.Unspecified);
        return pos + 5;
    }

    // "Mmm dd " or "Mmm  d " or "Mmm d "; returns bytes consumed including the SP after the day.
    private static int ParseMonthDay(ReadOnlySpan<byte> s, out int month, out int day)
    {
        day = 0;
        month = MonthNumber(s);
        if (month == 0 || s.Length < 6 || s[3] != ' ')
        {
            return 0;
        }

        int pos = 4;
        if (s[pos] == ' ')
        {
            pos++;
        }

        if (pos >= s.Length || !IsDigit(s[pos]))
        {
            return 0;
        }

        day = s[pos++] - '0';
        if (pos < s.Length && IsDigit(s[pos]))
        {
            day = (day * 10) + (s[pos++] - '0');
        }

        if (pos >= s.Length || s[pos] != ' ')
        {
            return 0;
        }

        return pos + 1;
    }

    private static int ParseTime(ReadOnlySpan<byte> s, out int hour, out int minute, out int second)
    {
        minute = second = 0;
        if (s.Length < 8 || s[2] != ':' || s[5] != ':'
            || !TryDigits(s[..2], out hour)
            || !TryDigits(s.Slice(3, 2), out minute)
            || !TryDigits(s.Slice(6, 2), out second)
            || !IsValidTime(hour, minute, ref second))
        {
            hour = 0;
            return 0;
        }

        return 8;
    }

    private static int MonthNumber(ReadOnlySpan<byte> s)
    {
        if (s.Length < 3)
        {
            return 0;
        }

        // Lower-case the three letters into one int so the month is a single switch, without allocating.
        int key = ((s[0] | 0x20) << 16) | ((s[1] | 0x20) << 8) | (s[2] | 0x20);
        return key switch
        {
            ('j' << 16) | ('a' << 8) | 'n' => 1,
            ('f' << 16) | ('e' << 8) | 'b' => 2,
            ('m' << 16) | ('a' << 8) | 'r' => 3,
            ('a' << 16) | ('p' << 8) | 'r' => 4,
            ('m' << 16) | ('a' << 8) | 'y' => 5,
            ('j' << 16) | ('u' << 8) | 'n' => 6,
            ('j' << 16) | ('u' << 8) | 'l' => 7,
            ('a' << 16) | ('u' << 8) | 'g' => 8,
            ('s' << 16) | ('e' << 8) | 'p' => 9,
            ('o' << 16) | ('c' << 8) | 't' => 10,
            ('n' << 16) | ('o' << 8) | 'v' => 11,
            ('d' << 16) | ('e' << 8) | 'c' => 12,
            _ => 0,
        };
    }

    private static bool IsWeekday(ReadOnlySpan<byte> s)
    {
        int key = ((s[0] | 0x20) << 16) | ((s[1] | 0x20) << 8) | (s[2] | 0x20);
        return key is (('m' << 16) | ('o' << 8) | 'n')
            or (('t' << 16) | ('u' << 8) | 'e')
            or (('w' << 16) | ('e' << 8) | 'd')
            or (('t' << 16) | ('h' << 8) | 'u')
            or (('f' << 16) | ('r' << 8) | 'i')
            or (('s' << 16) | ('a' << 8) | 't')
            or (('s' << 16) | ('u' << 8) | 'n');
    }

    private static bool IsValidDate(int year, int month, int day) =>
        year is >= 1 and <= 9999 && month is >= 1 and <= 12 && day >= 1 && day <= DateTime.DaysInMonth(year, month);

    // A leap second (:60) is folded into :59 rather than rejecting the whole header.
    private static bool IsValidTime(int hour, int minute, ref int second)
    {
        if (hour > 23 || minute > 59 || second > 60)
        {
            return false;
        }

        if (second == 60)
        {
            second = 59;
        }

        return true;
    }

    private static bool TryDigits(ReadOnlySpan<byte> s, out int value)
    {
        value = 0;
        foreach (byte b in s)
        {
            if (!IsDigit(b))
            {
                return false;
            }

            value = (value * 10) + (b - '0');
        }

        return true;
    }

    private static bool IsDigit(byte b) => (uint)(b - '0') <= 9;
}
