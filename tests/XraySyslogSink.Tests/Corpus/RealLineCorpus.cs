using System.Globalization;

namespace XraySyslogSink.Tests.Corpus;

/// <summary>One line of <c>Corpus/real-lines.tsv</c>: a real message and what an operator must find for it.</summary>
public sealed record RealLine(
    int FileLine,
    string Source,
    string Zone,
    string Message,
    string Expect,
    string TimeUtc,
    string SourceIp,
    string SourcePort,
    string Action,
    string Protocol,
    string Destination,
    string DestinationPort,
    string InboundTag,
    string OutboundTag,
    string Email)
{
    private const int Columns = 14;

    public static IReadOnlyList<RealLine> All { get; } = Load();

    public bool IsRow => Expect == "row";

    public DateTime ExpectedUtc =>
        DateTime.ParseExact(TimeUtc, "yyyy-MM-dd HH:mm:ss.ffffff", CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal);

    private static List<RealLine> Load()
    {
        using Stream stream = typeof(RealLine).Assembly.GetManifestResourceStream("real-lines.tsv")
            ?? throw new InvalidOperationException("real-lines.tsv is not embedded");
        using var reader = new StreamReader(stream);
        var lines = new List<RealLine>();
        bool header = true;
        int number = 0;
        for (string? text = reader.ReadLine(); text is not null; text = reader.ReadLine())
        {
            number++;
            if (text.StartsWith('#') || text.Length == 0)
            {
                continue;
            }

            if (header)
            {
                header = false;
                continue;
            }

            string[] c = text.Split('\t');
            if (c.Length != Columns)
            {
                throw new InvalidDataException($"real-lines.tsv line {number}: {c.Length} columns, expected {Columns}");
            }

            lines.Add(new RealLine(number, c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], c[8], c[9], c[10], c[11], c[12], c[13]));
        }

        return lines;
    }
}
