using XraySyslogSink.Core;

namespace XraySyslogSink.Xray;

/// <summary>Turns the FROM part of an access line into an address (or masked network) and a port.</summary>
internal static class XraySourceParser
{
    internal enum Result : byte
    {
        Address,
        InternalDns,
        NotAddress,
        InvalidPort,
    }

    public static Result Parse(ReadOnlySpan<byte> from, out InetValue address, out int port)
    {
        address = default;
        port = 0;

        // The node's own resolver dispatches under these pseudo-sources; they are not clients.
        if (from.SequenceEqual("DNS"u8) || from.SequenceEqual("DoH"u8))
        {
            return Result.InternalDns;
        }

        // Sub-streams (mux, XUDP, SOCKS, TUN) carry the network in front; it says nothing about the destination.
        if (from.StartsWith("tcp:"u8) || from.StartsWith("udp:"u8))
        {
            from = from[4..];
        }

        if (from.IsEmpty)
        {
            return Result.NotAddress;
        }

        ReadOnlySpan<byte> host;
        ReadOnlySpan<byte> portText;
        if (from[0] == '[')
        {
            int close = from.IndexOf((byte)']');
            if (close < 0)
            {
                return Result.NotAddress;
            }

            host = from[1..close];
            ReadOnlySpan<byte> after = from[(close + 1)..];
            if (!TryParseAddress(host, out address))
            {
                return Result.NotAddress;
            }

            if (after.Length < 2 || after[0] != ':')
            {
                return Result.InvalidPort;
            }

            portText = after[1..];
        }
        else
        {
            // Unbracketed forms are v4 (masked or not) or a masked v6 network such as 2001:db8::/32:443,
            // so the port always follows the last colon.
            int colon = from.LastIndexOf((byte)':');
            host = colon < 0 ? from : from[..colon];
            if (!TryParseAddress(host, out address))
            {
                return Result.NotAddress;
            }

            if (colon < 0)
            {
                return Result.InvalidPort;
            }

            portText = from[(colon + 1)..];
        }

        if (!XrayNumbers.TryParsePort(portText, out port))
        {
            address = default;
            return Result.InvalidPort;
        }

        return Result.Address;
    }

    private static bool TryParseAddress(ReadOnlySpan<byte> text, out InetValue address)
    {
        if (text.IndexOf((byte)'*') >= 0)
        {
            return TryParseMaskedIPv4(text, out address);
        }

        int slash = text.IndexOf((byte)'/');
        if (slash >= 0)
        {
            return TryParseNetwork(text[..slash], text[(slash + 1)..], out address);
        }

        return InetValue.TryParse(text, out address);
    }

    /// <summary><c>log.maskAddress</c> replaces trailing octets with <c>*</c>; the rest names a network.</summary>
    private static bool TryParseMaskedIPv4(ReadOnlySpan<byte> text, out InetValue address)
    {
        address = default;
        uint value = 0;
        int octets = 0;
        int known = 0;
        int i = 0;
        while (true)
        {
            if (i < text.Length && text[i] == '*')
            {
                i++;
            }
            else
            {
                // A digit after a star would leave a hole in the prefix, which no mask writes.
                if (known != octets)
                {
                    return false;
                }

                int start = i;
                uint part = 0;
                while (i < text.Length && i - start < 3 && (uint)(text[i] - '0') <= 9)
                {
                    part = (part * 10) + (uint)(text[i] - '0');
                    i++;
                }

                if (i == start || part > 255)
                {
                    return false;
                }

                value |= part << (24 - (8 * octets));
                known++;
            }

            octets++;
            if (octets == 4)
            {
                break;
            }

            if (i >= text.Length || text[i] != '.')
            {
                return false;
            }

            i++;
        }

        // All stars would be 0.0.0.0/0, which says nothing about the client (and reads as "no address").
        if (i != text.Length || known is 0 or 4)
        {
            return false;
        }

        address = InetValue.FromIPv4(value, (byte)(known * 8));
        return true;
    }

    /// <summary>
    /// Masked IPv6 is written as a CIDR network (<c>2001:db8::/32</c>). Host bits are kept as written:
    /// Xray writes them zero, and PostgreSQL's inet accepts them either way.
    /// </summary>
    private static bool TryParseNetwork(ReadOnlySpan<byte> addressText, ReadOnlySpan<byte> prefixText, out InetValue address)
    {
        address = default;
        if (!InetValue.TryParse(addressText, out InetValue parsed)
            || prefixText.IsEmpty || prefixText.Length > 3
            || !XrayNumbers.TryParseDigits(prefixText, out int prefix)
            || prefix > (parsed.IsIPv6 ? 128 : 32))
        {
            return false;
        }

        address = parsed.WithPrefixLength((byte)prefix);
        return true;
    }
}
