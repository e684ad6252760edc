using System.Globalization;
using System.Text;
using XraySyslogSink.Core;
using XraySyslogSink.Xray;

namespace XraySyslogSink.Tests.Xray;

/// <summary>
/// A copy of everything <see cref="XrayLineParser.Parse"/> reports, as plain values, so one record
/// comparison checks every field. Absent tags and email are <c>null</c>, present-but-empty ones "".
/// </summary>
public sealed record ParsedLine(
    XrayLineKind Kind,
    XrayMalformedReason Reason,
    DateTime Time,
    string Source,
    int SourcePort,
    AccessAction Action,
    string Protocol,
    string Host,
    int Port,
    string? Inbound,
    string? Outbound,
    string RejectReason,
    string? Email)
{
    public static ParsedLine Of(string line) => Of(Encoding.UTF8.GetBytes(line));

    public static ParsedLine Of(ReadOnlySpan<byte> line)
    {
        XrayLineKind kind = XrayLineParser.Parse(line, out XrayAccessLine a, out XrayMalformedReason reason);
        if (kind != XrayLineKind.Access)
        {
            // Partially filled fields of a line that is not stored are nobody's business.
            return Other(kind, reason);
        }

        Assert.Equal(XrayMalformedReason.None, reason);
        Assert.Equal(DateTimeKind.Unspecified, a.LocalTimestamp.Kind);
        Assert.Equal(a.HasTimestamp, a.LocalTimestamp != default);
        return new ParsedLine(
            kind,
            reason,
            a.LocalTimestamp,
            a.SourceIp.ToString(),
            a.SourcePort,
            a.Action,
            Encoding.UTF8.GetString(a.Protocol),
            Encoding.UTF8.GetString(a.DestinationHost),
            a.DestinationPort,
            a.HasInboundTag ? Encoding.UTF8.GetString(a.InboundTag) : null,
            a.HasOutboundTag ? Encoding.UTF8.GetString(a.OutboundTag) : null,
            Encoding.UTF8.GetString(a.Reason),
            a.HasEmail ? Encoding.UTF8.GetString(a.Email) : null);
    }

    /// <summary>An accepted access line.</summary>
    public static ParsedLine Accepted(
        string time, string source, int sourcePort, string protocol, string host, int port,
        string? inbound = null, string? outbound = null, string? email = null, string reason = "") =>
        new(XrayLineKind.Access, XrayMalformedReason.None, At(time), source, sourcePort, AccessAction.Accepted,
            protocol, host, port, inbound, outbound, reason, email);

    /// <summary>A rejected access line: never a protocol, destination or tags.</summary>
    public static ParsedLine Rejected(string time, string source, int sourcePort, string reason, string? email = null) =>
        new(XrayLineKind.Access, XrayMalformedReason.None, At(time), source, sourcePort, AccessAction.Rejected,
            string.Empty, string.Empty, -1, null, null, reason, email);

    public static ParsedLine Other(XrayLineKind kind, XrayMalformedReason reason = XrayMalformedReason.None) =>
        new(kind, reason, default, string.Empty, 0, default, string.Empty, string.Empty, -1, null, null, string.Empty, null);

    public static ParsedLine Malformed(XrayMalformedReason reason) => Other(XrayLineKind.Malformed, reason);

    /// <summary>Accepts both <c>yyyy/MM/dd HH:mm:ss</c> and the microsecond form; "" for a line without a timestamp.</summary>
    public static DateTime At(string text) => text.Length == 0 ? default :
        DateTime.ParseExact(text, ["yyyy/MM/dd HH:mm:ss", "yyyy/MM/dd HH:mm:ss.ffffff"], CultureInfo.InvariantCulture, DateTimeStyles.None);
}
