namespace XraySyslogSink.Syslog;

/// <summary>
/// Supplies the year an RFC 3164 timestamp (<c>Mmm dd hh:mm:ss</c>) leaves out, from when the message was received.
/// </summary>
/// <remarks>
/// Symmetric around New Year: a December stamp received in January is last year's (the sender's clock or the
/// relay lagged over midnight), a January stamp received in December is next year's (the sender's clock runs
/// ahead); every other stamp is in the year it was received. Both dates are compared in the sender's zone so that
/// a node a few hours ahead of the collector is not a year off on New Year's Eve.
/// </remarks>
internal static class SyslogYearInference
{
    /// <summary>The year of a stamp with <paramref name="month"/> written, received at <paramref name="receivedLocal"/>.</summary>
    public static int InferYear(int month, DateTime receivedLocal)
    {
        int year = receivedLocal.Year;
        if (month == 12 && receivedLocal.Month == 1)
        {
            return year - 1;
        }

        if (month == 1 && receivedLocal.Month == 12)
        {
            return year + 1;
        }

        return year;
    }

    /// <summary>
    /// <paramref name="stamp"/> (month, day and time of a year-less header) placed in the inferred year;
    /// false when that date does not exist (Feb 29 outside a leap year).
    /// </summary>
    public static bool TryPlace(DateTime stamp, DateTime receivedLocal, out DateTime local)
    {
        int year = InferYear(stamp.Month, receivedLocal);
        if (year < 1 || year > 9999 || stamp.Day > DateTime.DaysInMonth(year, stamp.Month))
        {
            local = default;
            return false;
        }

        local = new DateTime(year, stamp.Month, stamp.Day, 0, 0, 0, DateTimeKind.Unspecified).Add(stamp.TimeOfDay);
        return true;
    }
}
