using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace XraySyslogSink.Cli;

/// <summary>How a command prints rows: <c>--format table|csv|json</c>.</summary>
internal enum OutputFormat
{
    Table,
    Csv,
    Json,
}

/// <summary>
/// Rows with named columns, printed as an aligned table (numbers right-aligned, times in UTC to the second, a row
/// count at the end), as CSV (RFC 4180, a header line, full precision) or as a JSON array of objects (numbers as numbers).
/// </summary>
internal sealed class ResultTable
{
    private const string TableTime = "yyyy'-'MM'-'dd' 'HH':'mm':'ss";
    private const string FullTime = "yyyy'-'MM'-'dd'T'HH':'mm':'ss.FFFFFFK";

    public ResultTable(IReadOnlyList<string> columns)
    {
        ArgumentNullException.ThrowIfNull(columns);
        Columns = columns;
    }

    public IReadOnlyList<string> Columns { get; }

    public List<object?[]> Rows { get; } = [];

    public string Render(OutputFormat format) => format switch
    {
        OutputFormat.Csv => RenderCsv(),
        OutputFormat.Json => RenderJson(),
        _ => RenderTable(),
    };

    private static bool IsNumber(object? value) => value is long or int or short or decimal or double or float;

    // Text from the database is the senders' (CellText); dates, spans and numbers are ours. JSON's own escaping
    // covers the control characters and a JSON reader gets the value back exactly, so JSON text stays as stored.
    private static string Text(object? value, OutputFormat format)
    {
        bool table = format == OutputFormat.Table;
        return value switch
        {
            string text when format == OutputFormat.Table => CellText.Escape(text),
            string text when format == OutputFormat.Csv => CellText.ForCsv(text),
            _ => Text(value, table),
        };
    }

    private static string Text(object? value, bool table) => value switch
    {
        null => string.Empty,
        DateTime time => DateTime.SpecifyKind(time, DateTimeKind.Utc).ToString(table ? TableTime : FullTime, CultureInfo.InvariantCulture),
        TimeSpan span => table ? new TimeSpan(span.Ticks - (span.Ticks % TimeSpan.TicksPerSecond)).ToString("c", CultureInfo.InvariantCulture) : span.ToString("c", CultureInfo.InvariantCulture),
        IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? string.Empty,
    };

    private string RenderTable()
    {
        string[][] cells = new string[Rows.Count][];
        int[] widths = Columns.Select(c => c.Length).ToArray();
        bool[] right = new bool[Columns.Count];
        for (int r = 0; r < Rows.Count; r++)
        {
            cells[r] = new string[Columns.Count];
            for (int c = 0; c < Columns.Count; c++)
            {
                object? value = Rows[r][c];
                cells[r][c] = Text(value, OutputFormat.Table);
                widths[c] = Math.Max(widths[c], cells[r][c].Length);
                right[c] |= IsNumber(value);
            }
        }

        var text = new StringBuilder();
        AppendLine(text, Columns, widths, right);
        AppendLine(text, widths.Select(w => new string('-', w)).ToArray(), widths, right);
        foreach (string[] row in cells)
        {
            AppendLine(text, row, widths, right);
        }

        text.Append(CultureInfo.InvariantCulture, $"({Rows.Count} {(Rows.Count == 1 ? "row" : "rows")})\n");
        return text.ToString();
    }

    private static void AppendLine(StringBuilder text, IReadOnlyList<string> cells, int[] widths, bool[] right)
    {
        int start = text.Length;
        for (int c = 0; c < cells.Count; c++)
        {
            if (c > 0)
            {
                text.Append("  ");
            }

            text.Append(right[c] ? cells[c].PadLeft(widths[c]) : cells[c].PadRight(widths[c]));
        }

        int end = text.Length;
        while (end > start && text[end - 1] == ' ')
        {
            end--;
        }

        text.Length = end;
        text.Append('\n');
    }

    private string RenderCsv()
    {
        var text = new StringBuilder();
        text.AppendJoin(',', Columns.Select(Quote)).Append('\n');
        foreach (object?[] row in Rows)
        {
            text.AppendJoin(',', row.Select(v => Quote(Text(v, OutputFormat.Csv)))).Append('\n');
        }

        return text.ToString();
    }

    private static string Quote(string value) =>
        value.AsSpan().IndexOfAny(",\"\r\n") >= 0 ? $"\"{value.Replace("\"", "\"\"", StringComparison.Ordinal)}\"" : value;

    private string RenderJson()
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartArray();
            foreach (object?[] row in Rows)
            {
                json.WriteStartObject();
                for (int c = 0; c < Columns.Count; c++)
                {
                    json.WritePropertyName(Columns[c]);
                    WriteValue(json, row[c]);
                }

                json.WriteEndObject();
            }

            json.WriteEndArray();
        }

        return Encoding.UTF8.GetString(buffer.ToArray()).ReplaceLineEndings("\n") + "\n";
    }

    private static void WriteValue(Utf8JsonWriter json, object? value)
    {
        switch (value)
        {
            case null:
                json.WriteNullValue();
                break;
            case long number:
                json.WriteNumberValue(number);
                break;
            case int number:
                json.WriteNumberValue(number);
                break;
            case short number:
                json.WriteNumberValue(number);
                break;
            case decimal number:
                json.WriteNumberValue(number);
                break;
            case double number:
                json.WriteNumberValue(number);
                break;
            case float number:
                json.WriteNumberValue(number);
                break;
            case bool flag:
                json.WriteBooleanValue(flag);
                break;
            default:
                json.WriteStringValue(Text(value, table: false));
                break;
        }
    }
}
