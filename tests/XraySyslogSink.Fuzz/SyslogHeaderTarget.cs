using XraySyslogSink.Syslog;

namespace XraySyslogSink.Fuzz;

/// <summary>
/// The syslog header parser never throws, and every field it returns lies inside the input; PRI, timestamp kind
/// and offset stay in their ranges.
/// </summary>
internal static class SyslogHeaderTarget
{
    public static void Run(ReadOnlySpan<byte> data)
    {
        SyslogMessage m = SyslogHeaderParser.Parse(data);
        FuzzInvariantException.Check(m.Priority is >= -1 and <= 191, $"PRI {m.Priority}");
        FuzzInvariantException.Check(Enum.IsDefined(m.Format), $"format {m.Format}");
        FuzzInvariantException.Check(Enum.IsDefined(m.TimestampKind), $"timestamp kind {m.TimestampKind}");
        FuzzInvariantException.Check(m.TimestampKind != SyslogTimestampKind.None || m.Timestamp == default, "a timestamp without a kind");
        FuzzInvariantException.Check(m.TimestampOffset.Duration() <= TimeSpan.FromHours(24), $"offset {m.TimestampOffset}");
        FuzzInvariantException.Check(m.Message.Length <= data.Length, "MSG longer than the input");
        Inside(data, m.Message, "MSG");
        Inside(data, m.Hostname, "HOSTNAME");
        Inside(data, m.AppName, "APP-NAME");
        Inside(data, m.ProcId, "PROCID");
        Inside(data, m.MessageId, "MSGID");
        Inside(data, m.StructuredData, "STRUCTURED-DATA");
    }

    private static void Inside(ReadOnlySpan<byte> input, ReadOnlySpan<byte> field, string name)
    {
        if (field.IsEmpty)
        {
            return;
        }

        FuzzInvariantException.Check(input.Overlaps(field, out int offset) && offset >= 0 && offset + field.Length <= input.Length, $"{name} is not inside the input");
    }
}
