using System.Globalization;
using System.Text;

namespace XraySyslogSink.Core;

/// <summary>
/// Makes text a peer controls (a certificate subject, a HOSTNAME, an error quoting what a sender sent) safe to put
/// in a log line: control characters (C0, DEL, C1) and the Unicode line and paragraph separators become
/// <c>\n</c>, <c>\r</c>, <c>\t</c> or <c>\xHH</c>/<c>\uHHHH</c>, and a backslash is doubled so an escape cannot be
/// forged. A CN holding a newline then cannot start a fake log line, nor an ESC sequence drive a terminal.
/// </summary>
public static class PeerText
{
    /// <summary>The escaped text; the same instance when nothing needed escaping.</summary>
    public static string Escape(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return text ?? "";
        }

        int first = 0;
        while (first < text.Length && !NeedsEscape(text[first]))
        {
            first++;
        }

        if (first == text.Length)
        {
            return text;
        }

        var escaped = new StringBuilder(text.Length + 16);
        escaped.Append(text, 0, first);
        for (int i = first; i < text.Length; i++)
        {
            char c = text[i];
            switch (c)
            {
                case '\\':
                    escaped.Append(@"\\");
                    break;
                case '\n':
                    escaped.Append(@"\n");
                    break;
                case '\r':
                    escaped.Append(@"\r");
                    break;
                case '\t':
                    escaped.Append(@"\t");
                    break;
                case < '\u0100' when NeedsEscape(c):
                    escaped.Append(@"\x").Append(((int)c).ToString("X2", CultureInfo.InvariantCulture));
                    break;
                default:
                    if (NeedsEscape(c))
                    {
                        escaped.Append(@"\u").Append(((int)c).ToString("X4", CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        escaped.Append(c);
                    }

                    break;
            }
        }

        return escaped.ToString();
    }

    private static bool NeedsEscape(char c) => c == '\\' || char.IsControl(c) || c is '\u2028' or '\u2029';
}
