using XraySyslogSink.Core;

namespace XraySyslogSink.Xray;

/// <summary>Parses one Xray/v2fly access-log line (the syslog MSG) without allocating.</summary>
/// <remarks>
/// Grammar: <c>TS [from ]FROM accepted|rejected TO[ [DETOUR]][ REASON][ email: EMAIL]</c>; see
/// <c>docs/access-log.md</c>. Decisions the grammar leaves open:
/// <list type="bullet">
/// <item>TS may be missing (journald strips Go's log prefix): the line still parses, with
/// <see cref="XrayAccessLine.HasTimestamp"/> false, and the caller takes the time from the syslog header.</item>
/// <item>The status is the first <c>accepted</c>/<c>rejected</c> word after FROM, because masked sources
/// (<c>[Masked IPv4]</c>) contain spaces while TO never does.</item>
/// <item>The email starts at the last <c> email:</c>: it is the final field, and the free text before it
/// (reasons, tags) is likelier to mention <c>email:</c> than an email is to contain it.</item>
/// <item>A detour that ends the line closes at its last <c>]</c>, so tags may contain <c>]</c>; when text
/// follows the detour it closes at the first <c>] </c>.</item>
/// <item>Rejected lines never carry protocol, destination or tags (project mapping). A rejected line that
/// still has a TO (single space, as some copies show) has it and its detour dropped, not read as reason.</item>
/// </list>
/// </remarks>
internal static class XrayLineParser
{
    private const int StatusLength = 8; // "accepted" and "rejected" alike

    /// <summary>
    /// Classifies <paramref name="line"/> and, for <see cref="XrayLineKind.Access"/>, fills <paramref name="access"/>.
    /// For <see cref="XrayLineKind.Malformed"/>, <paramref name="reason"/> says why.
    /// </summary>
    public static XrayLineKind Parse(ReadOnlySpan<byte> line, out XrayAccessLine access, out XrayMalformedReason reason)
    {
        access = default;
        access.DestinationPort = -1;
        reason = XrayMalformedReason.None;

        line = Trim(line);
        if (line.IsEmpty)
        {
            return Malformed(XrayMalformedReason.Empty, out reason);
        }

        XrayTimestamp.Result stamp = XrayTimestamp.TryParse(line, out access.LocalTimestamp, out int stampLength);
        if (stamp == XrayTimestamp.Result.Missing)
        {
            // journald/imjournal and some relays strip Go's log prefix; the time then comes from the syslog header.
            return ParseBody(line, XrayMalformedReason.None, untimed: true, ref access, out reason);
        }

        // An invalid date is reported only once the line is known not to be one that is skipped anyway.
        XrayMalformedReason stampReason = stamp == XrayTimestamp.Result.Invalid ? XrayMalformedReason.InvalidTimestamp : XrayMalformedReason.None;
        ReadOnlySpan<byte> body = line[stampLength..];
        if (body.IsEmpty || body[0] != ' ')
        {
            return Malformed(body.IsEmpty && stampReason == XrayMalformedReason.None ? XrayMalformedReason.NoStatus : XrayMalformedReason.InvalidTimestamp, out reason);
        }

        access.HasTimestamp = stampReason == XrayMalformedReason.None;
        return ParseBody(body[1..], stampReason, untimed: false, ref access, out reason);
    }

    /// <summary>
    /// Classifies what follows the timestamp (or the whole line when it has none). A line without a timestamp
    /// that does not read as an access line at all stays <see cref="XrayMalformedReason.NoTimestamp"/>: it is
    /// more likely some other program's output than a damaged access line.
    /// </summary>
    private static XrayLineKind ParseBody(ReadOnlySpan<byte> body, XrayMalformedReason stampReason, bool untimed, ref XrayAccessLine access, out XrayMalformedReason reason)
    {
        reason = XrayMalformedReason.None;
        if (IsErrorLog(body))
        {
            return XrayLineKind.SkippedErrorLog;
        }

        int fromStart = body.StartsWith("from "u8) ? 5 : 0;
        int statusAt = FindStatus(body, fromStart);
        if (statusAt < 0)
        {
            if (IsDnsQueryLog(body))
            {
                return XrayLineKind.SkippedDnsQuery;
            }

            return Malformed(stampReason != XrayMalformedReason.None ? stampReason : untimed ? XrayMalformedReason.NoTimestamp : XrayMalformedReason.NoStatus, out reason);
        }

        // FROM is everything between "from " and the space before the status; empty when they touch.
        ReadOnlySpan<byte> from = body[fromStart..Math.Max(fromStart, statusAt - 1)];
        XraySourceParser.Result source = XraySourceParser.Parse(from, out access.SourceIp, out access.SourcePort);
        if (source == XraySourceParser.Result.InternalDns)
        {
            access.SourceIp = default;
            return XrayLineKind.SkippedInternalDns;
        }

        if (stampReason != XrayMalformedReason.None)
        {
            return Malformed(stampReason, out reason);
        }

        if (source != XraySourceParser.Result.Address)
        {
            if (untimed)
            {
                return Malformed(XrayMalformedReason.NoTimestamp, out reason);
            }

            return Malformed(source == XraySourceParser.Result.InvalidPort ? XrayMalformedReason.InvalidSourcePort : XrayMalformedReason.SourceNotAddress, out reason);
        }

        access.Action = body[statusAt] == 'a' ? AccessAction.Accepted : AccessAction.Rejected;
        ReadOnlySpan<byte> fields = SplitEmail(body[(statusAt + StatusLength)..], out access.HasEmail, out access.Email);

        XrayMalformedReason fieldsReason = access.Action == AccessAction.Accepted
            ? ParseAccepted(fields, ref access)
            : ParseRejected(fields, ref access);
        return fieldsReason == XrayMalformedReason.None ? XrayLineKind.Access : Malformed(fieldsReason, out reason);
    }

    private static XrayLineKind Malformed(XrayMalformedReason why, out XrayMalformedReason reason)
    {
        reason = why;
        return XrayLineKind.Malformed;
    }

    private static ReadOnlySpan<byte> Trim(ReadOnlySpan<byte> line)
    {
        // RFC 5424 allows a BOM before MSG; some relays keep the space that followed the syslog tag.
        if (line.StartsWith("\uFEFF"u8))
        {
            line = line[3..];
        }

        return line.TrimStart((byte)' ').TrimEnd(" \t\r\n\0"u8);
    }

    private static bool IsErrorLog(ReadOnlySpan<byte> body) =>
        !body.IsEmpty && body[0] == '['
        && (body.StartsWith("[Info]"u8) || body.StartsWith("[Debug]"u8) || body.StartsWith("[Warning]"u8) || body.StartsWith("[Error]"u8));

    private static bool IsDnsQueryLog(ReadOnlySpan<byte> body) =>
        body.IndexOf(" got answer:"u8) >= 0 || body.IndexOf(" cache HIT:"u8) >= 0 || body.IndexOf(" cache OPTIMISTE:"u8) >= 0;

    /// <summary>Index of the status word: the first <c>accepted</c>/<c>rejected</c> standing as a word at or after <paramref name="start"/>.</summary>
    private static int FindStatus(ReadOnlySpan<byte> body, int start)
    {
        int at = start;
        while (at < body.Length)
        {
            ReadOnlySpan<byte> candidate = body[at..];
            if ((candidate.StartsWith("accepted"u8) || candidate.StartsWith("rejected"u8))
                && (candidate.Length == StatusLength || candidate[StatusLength] == ' '))
            {
                return at;
            }

            int space = candidate.IndexOf((byte)' ');
            if (space < 0)
            {
                return -1;
            }

            at += space + 1;
        }

        return -1;
    }

    /// <summary>Cuts <c> email: X</c> (or the pre-4.34 <c> email:X</c>) off the end; returns what precedes it.</summary>
    private static ReadOnlySpan<byte> SplitEmail(ReadOnlySpan<byte> afterStatus, out bool hasEmail, out ReadOnlySpan<byte> email)
    {
        int marker = afterStatus.LastIndexOf(" email:"u8);
        if (marker < 0)
        {
            hasEmail = false;
            email = default;
            return afterStatus;
        }

        email = afterStatus[(marker + 7)..].TrimStart((byte)' ');
        hasEmail = !email.IsEmpty;
        return afterStatus[..marker];
    }

    private static XrayMalformedReason ParseAccepted(ReadOnlySpan<byte> fields, ref XrayAccessLine access)
    {
        if (fields.Length < 2 || fields[0] != ' ' || fields[1] == ' ')
        {
            return XrayMalformedReason.InvalidDestination;
        }

        fields = fields[1..];
        int space = fields.IndexOf((byte)' ');
        ReadOnlySpan<byte> to = space < 0 ? fields : fields[..space];
        XrayMalformedReason toReason = XrayDestinationParser.Parse(to, out access.Protocol, out access.DestinationHost, out access.DestinationPort);
        if (toReason != XrayMalformedReason.None)
        {
            access.Protocol = default;
            access.DestinationHost = default;
            access.DestinationPort = -1;
            return toReason;
        }

        if (space < 0)
        {
            return XrayMalformedReason.None;
        }

        if (!SplitDetour(fields[space..], out ReadOnlySpan<byte> detour, out access.Reason))
        {
            return XrayMalformedReason.InvalidDetour;
        }

        XrayDetourParser.Split(detour, out access.HasInboundTag, out access.InboundTag, out access.HasOutboundTag, out access.OutboundTag);
        return XrayMalformedReason.None;
    }

    private static XrayMalformedReason ParseRejected(ReadOnlySpan<byte> fields, ref XrayAccessLine access)
    {
        if (fields.IsEmpty)
        {
            return XrayMalformedReason.None;
        }

        // Current form: "rejected  REASON" (empty TO between the two spaces).
        if (fields.StartsWith("  "u8))
        {
            access.Reason = fields.Trim((byte)' ');
            return XrayMalformedReason.None;
        }

        fields = fields[1..];
        int space = fields.IndexOf((byte)' ');
        ReadOnlySpan<byte> token = space < 0 ? fields : fields[..space];

        // Lenient: a leading token that reads as a destination is a TO; otherwise the text is all reason
        // (error chains start with a package path such as "proxy/vless/encoding:", which has no port).
        if (XrayDestinationParser.Parse(token, out _, out _, out _) != XrayMalformedReason.None)
        {
            access.Reason = fields.TrimEnd((byte)' ');
            return XrayMalformedReason.None;
        }

        if (space >= 0 && SplitDetour(fields[space..], out _, out ReadOnlySpan<byte> rest))
        {
            access.Reason = rest;
        }
        else if (space >= 0)
        {
            access.Reason = fields[space..].Trim((byte)' ');
        }

        return XrayMalformedReason.None;
    }

    /// <summary>
    /// Splits what follows TO (starting with a space) into the detour's inside and trailing text.
    /// False when a <c>[</c> opens a detour that never closes.
    /// </summary>
    private static bool SplitDetour(ReadOnlySpan<byte> tail, out ReadOnlySpan<byte> detour, out ReadOnlySpan<byte> rest)
    {
        detour = default;
        rest = default;
        tail = tail.Trim((byte)' ');
        if (tail.IsEmpty)
        {
            return true;
        }

        if (tail[0] != '[')
        {
            rest = tail;
            return true;
        }

        ReadOnlySpan<byte> inner = tail[1..];
        if (inner.Length > 0 && inner[^1] == ']')
        {
            detour = inner[..^1];
            return true;
        }

        int close = inner.IndexOf("] "u8);
        if (close < 0)
        {
            return false;
        }

        detour = inner[..close];
        rest = inner[(close + 2)..].TrimStart((byte)' ');
        return true;
    }
}
