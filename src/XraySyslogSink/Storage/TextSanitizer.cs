using System.Text;

namespace XraySyslogSink.Storage;

/// <summary>Makes text storable in a PostgreSQL <c>text</c> column (no NUL, valid UTF-16) and bounded.</summary>
internal static class TextSanitizer
{
    public static bool HasLoneSurrogate(string value)
    {
        ReadOnlySpan<char> span = value;
        int i = span.IndexOfAnyInRange('\uD800', '\uDFFF');
        if (i < 0)
        {
            return false;
        }

        while (i < span.Length)
        {
            if (Rune.DecodeFromUtf16(span[i..], out _, out int consumed) != System.Buffers.OperationStatus.Done)
            {
                return true;
            }

            i += consumed;
        }

        return false;
    }

    /// <summary>
    /// Escapes NUL as <c>\0</c> (PostgreSQL text cannot hold it), replaces lone surrogates and cuts the
    /// text at <paramref name="maxLength"/> characters. Returns the input when nothing needs changing.
    /// </summary>
    public static string ForText(string value, int maxLength = int.MaxValue)
    {
        bool hasNul = value.Contains('\0', StringComparison.Ordinal);
        bool hasLone = HasLoneSurrogate(value);
        if (!hasNul && !hasLone && value.Length <= maxLength)
        {
            return value;
        }

        StringBuilder builder = new(Math.Min(value.Length + 8, maxLength));
        ReadOnlySpan<char> span = value;
        int i = 0;
        while (i < span.Length && builder.Length < maxLength)
        {
            if (Rune.DecodeFromUtf16(span[i..], out Rune rune, out int consumed) != System.Buffers.OperationStatus.Done)
            {
                builder.Append('\uFFFD');
            }
            else if (rune.Value == 0)
            {
                builder.Append("\\0");
            }
            else
            {
                builder.Append(span.Slice(i, consumed));
            }

            i += Math.Max(consumed, 1);
        }

        if (i < span.Length)
        {
            builder.Append('…');
        }

        return builder.ToString();
    }
}
