using System.Globalization;
using System.Text;

namespace XraySyslogSink.Nodes;

/// <summary>Makes sender-controlled text (a claimed HOSTNAME, a certificate subject) safe to put in a log line.</summary>
internal static class NodeText
{
    private const int MaxChars = 300;

    /// <summary>Control characters and backslashes as <c>\uXXXX</c>/<c>\\</c>, cut at 300 characters, so a value cannot forge a line.</summary>
    public static string Escape(ReadOnlySpan<char> text)
    {
        bool clean = text.Length <= MaxChars;
        foreach (char c in text)
        {
            if (char.IsControl(c) || c == '\\' || char.IsSurrogate(c))
            {
                clean = false;
                break;
            }
        }

        if (clean)
        {
            return text.ToString();
        }

        var builder = new StringBuilder(Math.Min(text.Length, MaxChars) + 16);
        foreach (char c in text.Length > MaxChars ? text[..MaxChars] : text)
        {
            if (c == '\\')
            {
                builder.Append(@"\\");
            }
            else if (char.IsControl(c) || char.IsSurrogate(c))
            {
                builder.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}");
            }
            else
            {
                builder.Append(c);
            }
        }

        return text.Length > MaxChars ? builder.Append('…').ToString() : builder.ToString();
    }

    /// <summary>The same for raw bytes (decoded as UTF-8, invalid sequences as U+FFFD).</summary>
    public static string Escape(ReadOnlySpan<byte> utf8)
    {
        ReadOnlySpan<byte> kept = utf8.Length > MaxChars * 4 ? utf8[..(MaxChars * 4)] : utf8;
        return Escape(Encoding.UTF8.GetString(kept).AsSpan());
    }
}
