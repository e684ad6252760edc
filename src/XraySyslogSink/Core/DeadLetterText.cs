using System.Text;

namespace XraySyslogSink.Core;

/// <summary>Renders raw message bytes as text PostgreSQL accepts: bounded, valid UTF-8, no NUL.</summary>
internal static class DeadLetterText
{
    /// <summary>U+2400 SYMBOL FOR NULL: visible in psql, unlike the NUL that <c>text</c> refuses.</summary>
    private const char NulSymbol = '\u2400';

    public static string Render(ReadOnlySpan<byte> raw, int maxBytes)
    {
        ReadOnlySpan<byte> kept = raw.Length > maxBytes ? raw[..maxBytes] : raw;
        string text = Encoding.UTF8.GetString(kept);
        if (text.Contains('\0', StringComparison.Ordinal))
        {
            text = text.Replace('\0', NulSymbol);
        }

        return raw.Length > maxBytes ? text + "…" : text;
    }
}
