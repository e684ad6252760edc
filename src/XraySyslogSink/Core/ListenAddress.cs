using System.Globalization;
using System.Net;

namespace XraySyslogSink.Core;

/// <summary>Parses the <c>host:port</c> listener settings: <c>0.0.0.0:5514</c>, <c>127.0.0.1:5514</c>, <c>[::]:5514</c>.</summary>
internal static class ListenAddress
{
    /// <summary>Returns false with an explanation when <paramref name="text"/> is not an IP literal and port.</summary>
    public static bool TryParse(string? text, out IPEndPoint? endPoint, out string? error)
    {
        endPoint = null;
        error = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            return true;
        }

        text = text.Trim();
        int colon = text.LastIndexOf(':');
        if (colon <= 0 || colon == text.Length - 1)
        {
            error = $"'{text}' is not host:port (for example 0.0.0.0:5514 or [::]:5514)";
            return false;
        }

        string host = text[..colon];
        string port = text[(colon + 1)..];
        if (host.StartsWith('[') && host.EndsWith(']'))
        {
            host = host[1..^1];
        }
        else if (host.Contains(':', StringComparison.Ordinal))
        {
            error = $"'{text}': write an IPv6 address in brackets, as [::]:5514";
            return false;
        }

        if (!IPAddress.TryParse(host, out IPAddress? address))
        {
            error = $"'{text}': '{host}' is not an IP address";
            return false;
        }

        if (!int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out int portNumber) || portNumber > IPEndPoint.MaxPort)
        {
            error = $"'{text}': '{port}' is not a port number (0-65535)";
            return false;
        }

        endPoint = new IPEndPoint(address, portNumber);
        return true;
    }
}
