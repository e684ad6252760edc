using System.Globalization;
using System.Text;

namespace XraySyslogSink.Cli;

/// <summary>
/// What a report prints of text that senders chose (user names, endpoints, tags, dead-letter lines): neutralised so that
/// printing it cannot act on the reader's terminal (escape sequences, carriage returns overwriting a line, bidirectional
/// overrides reordering what is shown) or on the spreadsheet a CSV is opened in (a cell starting with <c>=</c>, <c>+</c>,
/// <c>-</c> or <c>@</c> is a formula there).
/// </summary>
internal static class CellText
{
    /// <summary>
    /// Control characters (C0, DEL, C1), the bidirectional formatting characters, lone surrogates and the backslash (so
    /// that an escape in the output is always ours) as <c>\u001b</c>, <c>\u202e</c>, <c>\\</c>; everything else as it is.
    /// </summary>
    public static string Escape(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        int first = IndexOfUnsafe(text);
        if (first < 0)
        {
            return text;
        }

        var builder = new StringBuilder(text.Length + 16).Append(text, 0, first);
        for (int i = first; i < text.Length; i++)
        {
            char c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                builder.Append(c).Append(text[++i]);
            }
            else if (c == '\\')
            {
                builder.Append(@"\\");
            }
            else if (IsUnsafe(c))
            {
                builder.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}");
            }
            else
            {
                builder.Append(c);
            }
        }

        return builder.ToString();
    }

    /// <summary>
    /// <see cref="Escape"/>, and a text cell a spreadsheet would evaluate (first character <c>= + - @</c>) gets a leading
    /// apostrophe, the form spreadsheets show as text (OWASP's advice for CSV injection).
    /// </summary>
    public static string ForCsv(string text)
    {
        string escaped = Escape(text);
        return escaped.Length > 0 && escaped[0] is '=' or '+' or '-' or '@' ? "'" + escaped : escaped;
    }

    private static int IndexOfUnsafe(string text)
    {
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
            }
            else if (c == '\\' || IsUnsafe(c))
            {
                return i;
            }
        }

        return -1;
    }

    // char.IsControl: U+0000–U+001F, U+007F–U+009F. Bidirectional controls: ALM, LRM, RLM, LRE–RLO, LRI–PDI.
    private static bool IsUnsafe(char c) =>
        char.IsControl(c) || char.IsSurrogate(c) || c is '\u061C' or '\u200E' or '\u200F' or (>= '\u202A' and <= '\u202E') or (>= '\u2066' and <= '\u2069');
}
