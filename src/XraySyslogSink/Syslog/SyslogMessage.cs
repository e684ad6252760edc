using System.Diagnostics.CodeAnalysis;

namespace XraySyslogSink.Syslog;

/// <summary>Which header a message carried.</summary>
[SuppressMessage("Maintainability", "CA1515", Justification = "Public because the unit tests' xunit theories (public methods) take it as a parameter.")]
public enum SyslogFormat : byte
{
    /// <summary>
    /// No recognisable syslog header: MSG is the whole message (a raw xray line sent with <c>nc</c>). When the
    /// message began with a valid <c>&lt;PRI&gt;</c> but nothing after it parsed as a header, the PRI is kept in
    /// <see cref="SyslogMessage.Priority"/> and MSG is everything after it.
    /// </summary>
    None,

    /// <summary>
    /// BSD syslog, <c>&lt;PRI&gt;Mmm dd hh:mm:ss HOST TAG: MSG</c> (also with an RFC 3339 timestamp, as in
    /// rsyslog's <c>RSYSLOG_ForwardFormat</c>, and without the PRI, as in a syslog file).
    /// </summary>
    Rfc3164,

    /// <summary><c>&lt;PRI&gt;1 TIMESTAMP HOST APP PROCID MSGID SD MSG</c>.</summary>
    Rfc5424,

    /// <summary>OpenWrt logread, <c>Thu Oct 13 07:50:16 2022 daemon.info xray[23519]: MSG</c>.</summary>
    OpenWrt,
}

/// <summary>What the header says about time.</summary>
internal enum SyslogTimestampKind : byte
{
    /// <summary>No timestamp (headerless or NILVALUE).</summary>
    None,

    /// <summary>Month, day and time but no year and no zone (RFC 3164): the year must be inferred.</summary>
    NoYear,

    /// <summary>A full local date and time with no zone (OpenWrt).</summary>
    Local,

    /// <summary>A full date and time with a UTC offset (RFC 5424, RFC 3339 in a 3164 layout).</summary>
    WithOffset,
}

/// <summary>
/// A parsed syslog message as spans over the received bytes; valid only while those bytes are.
/// The HOSTNAME is whatever the sender wrote, kept apart from the peer address.
/// </summary>
internal ref struct SyslogMessage
{
    public SyslogFormat Format;

    /// <summary>PRI value 0–191, or -1 when the message had none.</summary>
    public int Priority;

    public SyslogTimestampKind TimestampKind;

    /// <summary>
    /// For <see cref="SyslogTimestampKind.NoYear"/> the year is 4 and only month, day and time count (4 rather than 1
    /// because it is a leap year, so a 3164 stamp of <c>Feb 29</c> is representable);
    /// for <see cref="SyslogTimestampKind.Local"/> the full local time; for
    /// <see cref="SyslogTimestampKind.WithOffset"/> the time as written with <see cref="TimestampOffset"/>.
    /// </summary>
    public DateTime Timestamp;

    public TimeSpan TimestampOffset;

    /// <summary>The header HOSTNAME; empty when absent or NILVALUE.</summary>
    public ReadOnlySpan<byte> Hostname;

    /// <summary>APP-NAME (RFC 5424) or TAG without the <c>[pid]</c> (RFC 3164); empty when absent.</summary>
    public ReadOnlySpan<byte> AppName;

    /// <summary>PROCID or the pid inside <c>TAG[pid]</c>; empty when absent.</summary>
    public ReadOnlySpan<byte> ProcId;

    /// <summary>MSGID (RFC 5424 only); empty when absent or NILVALUE.</summary>
    public ReadOnlySpan<byte> MessageId;

    /// <summary>The STRUCTURED-DATA elements as written, brackets included (RFC 5424 only); empty when NILVALUE.</summary>
    public ReadOnlySpan<byte> StructuredData;

    /// <summary>MSG: a leading UTF-8 BOM removed, trailing CR, LF and NUL removed.</summary>
    public ReadOnlySpan<byte> Message;

    public readonly int Facility => Priority < 0 ? -1 : Priority >> 3;

    public readonly int Severity => Priority < 0 ? -1 : Priority & 7;
}
