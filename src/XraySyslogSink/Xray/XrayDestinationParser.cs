namespace XraySyslogSink.Xray;

/// <summary>Splits the TO token of an access line into protocol, host and port.</summary>
internal static class XrayDestinationParser
{
    /// <summary><c>endpoints.address</c> is VARCHAR(255); no DNS name or address is longer.</summary>
    private const int MaxHostLength = 255;

    /// <summary>
    /// Parses <paramref name="to"/> (never containing a space). <paramref name="protocol"/> is a slice of
    /// the input (<c>tcp</c>/<c>udp</c>) or of a literal for <c>//host:port</c> and URLs; empty for the
    /// bare <c>host:port</c> that Shadowsocks-2022 inbounds write.
    /// </summary>
    public static XrayMalformedReason Parse(
        ReadOnlySpan<byte> to, out ReadOnlySpan<byte> protocol, out ReadOnlySpan<byte> host, out int port)
    {
        protocol = default;
        host = default;
        port = -1;
        int defaultPort = -1;
        bool isUrl = false;

        // A network prefix is followed by host:port; "udp:36196" with nothing after it is the bare host:port
        // of a Shadowsocks-2022 inbound whose host is a one-label name that reads like a network.
        if ((to.StartsWith("tcp:"u8) || to.StartsWith("udp:"u8)) && to[4..].Contains((byte)':'))
        {
            protocol = to[..3];
            to = to[4..];
        }
        else if (to.StartsWith("//"u8))
        {
            // HTTP CONNECT: Go prints the request URL, which has no scheme; the tunnel is TCP.
            protocol = "tcp"u8;
            to = to[2..];
        }
        else if (to.StartsWith("http://"u8))
        {
            protocol = "tcp"u8;
            to = to[7..];
            defaultPort = 80;
            isUrl = true;
        }
        else if (to.StartsWith("https://"u8))
        {
            protocol = "tcp"u8;
            to = to[8..];
            defaultPort = 443;
            isUrl = true;
        }

        if (isUrl)
        {
            int pathStart = to.IndexOfAny("/?#"u8);
            if (pathStart >= 0)
            {
                to = to[..pathStart];
            }

            // Credentials in a proxy URL are not part of the host.
            int at = to.LastIndexOf((byte)'@');
            if (at >= 0)
            {
                to = to[(at + 1)..];
            }
        }

        ReadOnlySpan<byte> portText;
        bool hasPort;
        if (!to.IsEmpty && to[0] == '[')
        {
            int close = to.IndexOf((byte)']');
            if (close < 0)
            {
                return XrayMalformedReason.InvalidDestination;
            }

            host = to[1..close];
            ReadOnlySpan<byte> after = to[(close + 1)..];
            hasPort = !after.IsEmpty;
            if (hasPort && after[0] != ':')
            {
                return XrayMalformedReason.InvalidDestination;
            }

            portText = hasPort ? after[1..] : default;
        }
        else
        {
            int colon = to.LastIndexOf((byte)':');
            hasPort = colon >= 0;
            host = hasPort ? to[..colon] : to;
            portText = hasPort ? to[(colon + 1)..] : default;
        }

        if (host.IsEmpty || host.Length > MaxHostLength)
        {
            host = default;
            return XrayMalformedReason.InvalidDestination;
        }

        if (!hasPort)
        {
            if (!isUrl)
            {
                return XrayMalformedReason.InvalidDestinationPort;
            }

            port = defaultPort;
            return XrayMalformedReason.None;
        }

        return XrayNumbers.TryParsePort(portText, out port) ? XrayMalformedReason.None : XrayMalformedReason.InvalidDestinationPort;
    }
}
