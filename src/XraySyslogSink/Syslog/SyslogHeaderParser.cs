namespace XraySyslogSink.Syslog;

/// <summary>
/// Splits a syslog message into header fields and MSG; never fails (unknown input is headerless).
/// </summary>
/// <remarks>
/// Recognised, in this order: <c>&lt;PRI&gt;1 …</c> (RFC 5424); <c>[&lt;PRI&gt;]TIMESTAMP [HOST] TAG: MSG</c> (RFC 3164,
/// with a BSD or an RFC 3339 timestamp); the OpenWrt logread line. A valid PRI followed by anything else keeps the
/// PRI and yields <see cref="SyslogFormat.None"/> with MSG after the PRI. Without a PRI, anything that is neither a
/// 3164 nor an OpenWrt line is headerless and MSG is the whole input.
/// <para>
/// HOSTNAME in RFC 3164 follows rsyslog: the word after the timestamp is the hostname unless it contains <c>[</c> or
/// ends in <c>:</c>, in which case it is the tag and the hostname is empty (<c>Jun 30 14:16:59 xray[2634]: …</c>).
/// A word that starts with a digit is never taken as the tag, so a raw xray line (<c>2023/06/30 14:16:59 …</c>)
/// behind a header without a tag stays whole in MSG.
/// </para>
/// </remarks>
internal static class SyslogHeaderParser
{
    private const byte Space = (byte)' ';

    public static SyslogMessage Parse(ReadOnlySpan<byte> message)
    {
        ReadOnlySpan<byte> input = TrimTrailer(StripBom(message));
        var result = new SyslogMessage { Priority = -1, Message = input };
        if (input.Length > 0 && input[0] == '<')
        {
            int used = ParsePriority(input, out int priority);
            if (used > 0)
            {
                ReadOnlySpan<byte> rest = input[used..];
                result.Priority = priority;
                result.Message = rest;
                // Neither header: the message stays headerless, with the PRI kept.
                _ = TryParseRfc5424(rest, ref result) || TryParseRfc3164(rest, ref result);
            }
        }
        else if (input.Length > 0)
        {
            _ = TryParseRfc3164(input, ref result) || TryParseOpenWrt(input, ref result);
        }

        result.Message = StripBom(result.Message);
        return result;
    }

    // "<0>" to "<191>"; returns bytes consumed or 0.
    private static int ParsePriority(ReadOnlySpan<byte> s, out int priority)
    {
        priority = 0;
        int i = 1;
        while (i < s.Length && i <= 3 && IsDigit(s[i]))
        {
            priority = (priority * 10) + (s[i] - '0');
            i++;
        }

        if (i == 1 || i >= s.Length || s[i] != '>' || priority > 191)
        {
            priority = -1;
            return 0;
        }

        return i + 1;
    }

    // Called with what follows the PRI. Writes into the message only once the header is known to be 5424.
    private static bool TryParseRfc5424(ReadOnlySpan<byte> s, ref SyslogMessage m)
    {
        if (s.Length < 3 || s[0] != '1' || s[1] != Space)
        {
            return false;
        }

        s = s[2..];
        DateTime timestamp = default;
        TimeSpan offset = default;
        SyslogTimestampKind kind = SyslogTimestampKind.None;
        int used = IsNil(s) ? 1 : SyslogTimestampParser.ParseRfc3339(s, out timestamp, out offset, out kind);
        if (used == 0 || (used < s.Length && s[used] != Space))
        {
            return false;
        }

        s = used < s.Length ? s[(used + 1)..] : default;
        m.Format = SyslogFormat.Rfc5424;
        m.TimestampKind = kind;
        m.Timestamp = timestamp;
        m.TimestampOffset = offset;

        // Truncated headers are tolerated: missing trailing fields simply stay empty.
        m.Hostname = ReadField(ref s);
        m.AppName = ReadField(ref s);
        m.ProcId = ReadField(ref s);
        m.MessageId = ReadField(ref s);

        if (IsNil(s))
        {
            s = s[1..];
        }
        else if (s.Length > 0 && s[0] == '[')
        {
            int sdLength = StructuredDataLength(s);

            // Unterminated SD: keep its text in MSG rather than lose it.
            if (sdLength > 0)
            {
                m.StructuredData = s[..sdLength];
                s = s[sdLength..];
            }
        }

        if (s.Length > 0 && s[0] == Space)
        {
            s = s[1..];
        }

        m.Message = s;
        return true;
    }

    // One or more "[id k="v" ...]"; inside a quoted value '\' escapes the next byte ('"', '\', ']'). 0 if unterminated.
    private static int StructuredDataLength(ReadOnlySpan<byte> s)
    {
        int i = 0;
        while (i < s.Length && s[i] == '[')
        {
            i++;
            bool quoted = false;
            while (true)
            {
                if (i >= s.Length)
                {
                    return 0;
                }

                byte b = s[i];
                if (quoted)
                {
                    if (b == '\\')
                    {
                        i += 2;
                        continue;
                    }

                    quoted = b != '"';
                }
                else if (b == '"')
                {
                    quoted = true;
                }
                else if (b == ']')
                {
                    i++;
                    break;
                }

                i++;
            }
        }

        return i;
    }

    private static bool TryParseRfc3164(ReadOnlySpan<byte> s, ref SyslogMessage m)
    {
        TimeSpan offset = default;
        SyslogTimestampKind kind = SyslogTimestampKind.NoYear;
        int used = SyslogTimestampParser.ParseBsd(s, out DateTime timestamp);
        if (used == 0)
        {
            used = SyslogTimestampParser.ParseRfc3339(s, out timestamp, out offset, out kind);
        }

        if (used == 0 || (used < s.Length && s[used] != Space))
        {
            return false;
        }

        s = used < s.Length ? s[(used + 1)..] : default;
        m.Format = SyslogFormat.Rfc3164;
        m.TimestampKind = kind;
        m.Timestamp = timestamp;
        m.TimestampOffset = offset;

        int end = s.IndexOf(Space);
        ReadOnlySpan<byte> word = end < 0 ? s : s[..end];
        if (word.Length > 0 && word[^1] != ':' && !word.Contains((byte)'['))
        {
            m.Hostname = word;
            s = end < 0 ? default : s[(end + 1)..];
        }

        ParseTag(s, ref m);
        return true;
    }

    private static bool TryParseOpenWrt(ReadOnlySpan<byte> s, ref SyslogMessage m)
    {
        int used = SyslogTimestampParser.ParseCtime(s, out DateTime timestamp);
        if (used == 0 || used >= s.Length || s[used] != Space)
        {
            return false;
        }

        s = s[(used + 1)..];
        int end = s.IndexOf(Space);
        ReadOnlySpan<byte> level = end < 0 ? s : s[..end];
        if (!level.Contains((byte)'.'))
        {
            return false;
        }

        m.Format = SyslogFormat.OpenWrt;
        m.Priority = SyslogPriorityNames.ParsePriority(level);
        m.TimestampKind = SyslogTimestampKind.Local;
        m.Timestamp = timestamp;
        ParseTag(end < 0 ? default : s[(end + 1)..], ref m);
        return true;
    }

    // "TAG[pid]: MSG", "TAG: MSG", "TAG:MSG" or "TAG MSG" (colon missing). Exactly one SP before MSG is dropped,
    // because rsyslog's traditional forward format writes the colon as part of the tag and MSG with its leading SP.
    private static void ParseTag(ReadOnlySpan<byte> s, ref SyslogMessage m)
    {
        int i = s.IndexOfAny((byte)'[', (byte)':', Space);
        if (i <= 0 || IsDigit(s[0]))
        {
            // No tag at all: the text is MSG as it stands.
            m.Message = i == 0 && s[0] == Space ? s[1..] : s;
            return;
        }

        m.AppName = s[..i];
        int next = i + 1;
        if (s[i] == '[')
        {
            int close = s[i..].IndexOfAny((byte)']', Space);
            if (close > 0 && s[i + close] == ']')
            {
                m.ProcId = s.Slice(i + 1, close - 1);
                next = i + close + 1;
                if (next < s.Length && s[next] == ':')
                {
                    next++;
                }
            }
            else
            {
                // "tag[broken msg": give up on the pid, MSG starts after the tag word.
                next = close > 0 ? i + close : s.Length;
            }
        }

        if (next < s.Length && s[next] == Space && s[i] != Space)
        {
            next++;
        }

        m.Message = next < s.Length ? s[next..] : default;
    }

    // A field of an RFC 5424 header: up to the next SP, which is consumed; NILVALUE becomes empty.
    private static ReadOnlySpan<byte> ReadField(scoped ref ReadOnlySpan<byte> s)
    {
        int end = s.IndexOf(Space);
        ReadOnlySpan<byte> field = end < 0 ? s : s[..end];
        s = end < 0 ? default : s[(end + 1)..];
        return field.Length == 1 && field[0] == '-' ? default : field;
    }

    private static bool IsNil(ReadOnlySpan<byte> s) => s.Length > 0 && s[0] == '-' && (s.Length == 1 || s[1] == Space);

    private static ReadOnlySpan<byte> StripBom(ReadOnlySpan<byte> s) =>
        s.StartsWith("\uFEFF"u8) ? s[3..] : s;

    private static ReadOnlySpan<byte> TrimTrailer(ReadOnlySpan<byte> s)
    {
        int end = s.Length;
        while (end > 0 && s[end - 1] is (byte)'\n' or (byte)'\r' or 0)
        {
            end--;
        }

        return s[..end];
    }

    private static bool IsDigit(byte b) => (uint)(b - '0') <= 9;
}
