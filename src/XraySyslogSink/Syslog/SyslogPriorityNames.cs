namespace XraySyslogSink.Syslog;

/// <summary>
/// The <c>facility.severity</c> names of <c>syslog.h</c> (<c>facilitynames</c>, <c>prioritynames</c>), which OpenWrt's
/// logread prints instead of a numeric PRI.
/// </summary>
internal static class SyslogPriorityNames
{
    /// <summary>Turns <c>daemon.info</c> into 30; -1 when either name is unknown.</summary>
    public static int ParsePriority(ReadOnlySpan<byte> token)
    {
        int dot = token.IndexOf((byte)'.');
        if (dot <= 0)
        {
            return -1;
        }

        int facility = Facility(token[..dot]);
        int severity = Severity(token[(dot + 1)..]);
        return facility < 0 || severity < 0 ? -1 : (facility << 3) | severity;
    }

    private static int Facility(ReadOnlySpan<byte> name)
    {
        if (name.Length == 6 && name.StartsWith("local"u8) && (uint)(name[5] - '0') <= 7)
        {
            return 16 + (name[5] - '0');
        }

        return name switch
        {
            _ when name.SequenceEqual("kern"u8) => 0,
            _ when name.SequenceEqual("user"u8) => 1,
            _ when name.SequenceEqual("mail"u8) => 2,
            _ when name.SequenceEqual("daemon"u8) => 3,
            _ when name.SequenceEqual("auth"u8) || name.SequenceEqual("security"u8) => 4,
            _ when name.SequenceEqual("syslog"u8) => 5,
            _ when name.SequenceEqual("lpr"u8) => 6,
            _ when name.SequenceEqual("news"u8) => 7,
            _ when name.SequenceEqual("uucp"u8) => 8,
            _ when name.SequenceEqual("cron"u8) => 9,
            _ when name.SequenceEqual("authpriv"u8) => 10,
            _ when name.SequenceEqual("ftp"u8) => 11,
            _ => -1,
        };
    }

    private static int Severity(ReadOnlySpan<byte> name) => name switch
    {
        _ when name.SequenceEqual("emerg"u8) || name.SequenceEqual("panic"u8) => 0,
        _ when name.SequenceEqual("alert"u8) => 1,
        _ when name.SequenceEqual("crit"u8) => 2,
        _ when name.SequenceEqual("err"u8) || name.SequenceEqual("error"u8) => 3,
        _ when name.SequenceEqual("warn"u8) || name.SequenceEqual("warning"u8) => 4,
        _ when name.SequenceEqual("notice"u8) => 5,
        _ when name.SequenceEqual("info"u8) => 6,
        _ when name.SequenceEqual("debug"u8) => 7,
        _ => -1,
    };
}
