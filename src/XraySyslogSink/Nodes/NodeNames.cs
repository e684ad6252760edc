namespace XraySyslogSink.Nodes;

/// <summary>Which texts may become a node name (<c>nodes.name</c>, VARCHAR(255)).</summary>
internal static class NodeNames
{
    /// <summary>The longest node name, the width of <c>nodes.name</c>.</summary>
    public const int MaxLength = 255;

    /// <summary>
    /// True when a syslog HOSTNAME may name a node: 1 to 255 bytes of printable US-ASCII without spaces (RFC 5424's
    /// PRINTUSASCII, which also covers RFC 3164 host names), and not the nil value <c>-</c>. Anything else (empty,
    /// too long, control characters, other bytes) falls through to the peer-address rule.
    /// </summary>
    public static bool IsValidHostname(ReadOnlySpan<byte> hostname)
    {
        if (hostname.IsEmpty || hostname.Length > MaxLength || (hostname.Length == 1 && hostname[0] == (byte)'-'))
        {
            return false;
        }

        foreach (byte b in hostname)
        {
            if (b is < 0x21 or > 0x7E)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// True when an operator-configured name or a certificate's name may name a node: 1 to 255 characters, no
    /// control characters and no lone surrogates, not <c>-</c>, no leading or trailing white space. These names are
    /// vouched for (configuration, a CA), so spaces and non-ASCII letters are allowed.
    /// </summary>
    public static bool IsValidName(string? name)
    {
        if (string.IsNullOrEmpty(name) || name.Length > MaxLength || name == "-" || char.IsWhiteSpace(name[0]) || char.IsWhiteSpace(name[^1]))
        {
            return false;
        }

        for (int i = 0; i < name.Length; i++)
        {
            char c = name[i];
            if (char.IsControl(c))
            {
                return false;
            }

            if (char.IsSurrogate(c))
            {
                if (!char.IsHighSurrogate(c) || i + 1 == name.Length || !char.IsLowSurrogate(name[i + 1]))
                {
                    return false;
                }

                i++;
            }
        }

        return true;
    }
}
