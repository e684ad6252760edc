using System.Globalization;
using System.Text;
using XraySyslogSink.Core;

namespace XraySyslogSink.Storage;

/// <summary>Renders a record readably for <c>dead_letters.raw</c> (the original line is no longer at hand).</summary>
internal static class RowRenderer
{
    // Bounds one rendered value so a huge poison text cannot bloat dead_letters.
    private const int MaxValueLength = 1024;

    public static string Render(in AccessRecord record)
    {
        StringBuilder builder = new(160);
        builder.Append(CultureInfo.InvariantCulture, $"timestamp={record.TimestampUtc:O}");
        builder.Append(" source_ip=").Append(record.SourceIp.HasValue ? record.SourceIp.ToString() : "-");
        builder.Append(CultureInfo.InvariantCulture, $" source_port={record.SourcePort}");
        builder.Append(" action=").Append(PostgresLogStore.ActionText(record.Action) ?? "-");
        Append(builder, "protocol", record.Protocol);
        Append(builder, "destination", record.Destination);
        builder.Append(" destination_port=").Append(record.DestinationPort < 0 ? "-" : record.DestinationPort.ToString(CultureInfo.InvariantCulture));
        Append(builder, "inbound_tag", record.InboundTag);
        Append(builder, "outbound_tag", record.OutboundTag);
        Append(builder, "user", record.User);
        return builder.ToString();
    }

    private static void Append(StringBuilder builder, string name, DimensionValue value)
    {
        builder.Append(' ').Append(name).Append('=');
        if (value.IsResolved)
        {
            // Only the id is known for values the cache resolved before the batch reached the writer.
            builder.Append('#').Append(value.Id.ToString(CultureInfo.InvariantCulture));
        }
        else if (value.Text is { } text)
        {
            builder.Append('"').Append(TextSanitizer.ForText(text, MaxValueLength)).Append('"');
        }
        else
        {
            builder.Append('-');
        }
    }
}
