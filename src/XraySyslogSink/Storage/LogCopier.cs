using Npgsql;
using NpgsqlTypes;
using XraySyslogSink.Core;

namespace XraySyslogSink.Storage;

/// <summary>Binary COPY of <c>logs</c> rows into one day's partition, and of dead letters.</summary>
internal sealed class LogCopier
{
    private const string DeadLetterCopySql = "COPY dead_letters (received_at, peer, reason, raw) FROM STDIN (FORMAT BINARY)";

    private const string RowColumns =
        " (\"timestamp\", source_ip, source_port, action, protocol_id, destination_id, destination_port, inbound_tag_id, outbound_tag_id, user_id)";

    private const string RowColumnsWithNode =
        " (\"timestamp\", source_ip, source_port, action, protocol_id, destination_id, destination_port, inbound_tag_id, outbound_tag_id, user_id, node_id)";

    private readonly SourceAddressCache _addresses = new();

    /// <summary>
    /// Copies <paramref name="rows"/> into <paramref name="table"/>, normally the day's own partition: skipping
    /// tuple routing through the parent is faster, and the partition inherited the parent's <c>id</c> default.
    /// </summary>
    public async Task CopyRowsAsync(
        NpgsqlConnection connection,
        string table,
        IReadOnlyList<RecordChunk> chunks,
        ArraySegment<RowRef> rows,
        bool nodes,
        CancellationToken cancellationToken)
    {
        // The table name comes from PartitionManager (built from a date), never from input.
        string sql = "COPY " + table
            + (nodes ? RowColumnsWithNode : RowColumns) + " FROM STDIN (FORMAT BINARY)";

        await using NpgsqlBinaryImporter importer = await connection.BeginBinaryImportAsync(sql, cancellationToken);
        foreach (RowRef row in rows)
        {
            AccessRecord record = chunks[row.Chunk].Records[row.Index];
            await importer.StartRowAsync(cancellationToken);
            await importer.WriteAsync(PostgresLogStore.AsUtc(record.TimestampUtc), NpgsqlDbType.TimestampTz, cancellationToken);
            if (record.SourceIp.HasValue)
            {
                await importer.WriteAsync(_addresses.Get(record.SourceIp), NpgsqlDbType.Inet, cancellationToken);
            }
            else
            {
                // NOT NULL column: the server rejects the row and it becomes a dead letter.
                await importer.WriteNullAsync(cancellationToken);
            }

            await importer.WriteAsync(record.SourcePort, NpgsqlDbType.Integer, cancellationToken);
            await WriteTextAsync(importer, PostgresLogStore.ActionText(record.Action), cancellationToken);
            await WriteIdAsync(importer, record.Protocol, cancellationToken);
            await WriteIdAsync(importer, record.Destination, cancellationToken);
            if (record.DestinationPort < 0)
            {
                await importer.WriteNullAsync(cancellationToken);
            }
            else
            {
                await importer.WriteAsync(record.DestinationPort, NpgsqlDbType.Integer, cancellationToken);
            }

            await WriteIdAsync(importer, record.InboundTag, cancellationToken);
            await WriteIdAsync(importer, record.OutboundTag, cancellationToken);
            await WriteIdAsync(importer, record.User, cancellationToken);
            if (nodes)
            {
                await WriteIdAsync(importer, record.Node, cancellationToken);
            }
        }

        await importer.CompleteAsync(cancellationToken);
    }

    public static async Task CopyDeadLettersAsync(NpgsqlConnection connection, IEnumerable<DeadLetter> deadLetters, CancellationToken cancellationToken)
    {
        await using NpgsqlBinaryImporter importer = await connection.BeginBinaryImportAsync(DeadLetterCopySql, cancellationToken);
        foreach (DeadLetter deadLetter in deadLetters)
        {
            await importer.StartRowAsync(cancellationToken);

            // Npgsql writes timestamptz only from UTC values.
            await importer.WriteAsync(deadLetter.ReceivedAt.UtcDateTime, NpgsqlDbType.TimestampTz, cancellationToken);
            if (deadLetter.Peer.HasValue)
            {
                await importer.WriteAsync(new NpgsqlInet(deadLetter.Peer.ToIPAddress(), deadLetter.Peer.PrefixLength), NpgsqlDbType.Inet, cancellationToken);
            }
            else
            {
                await importer.WriteNullAsync(cancellationToken);
            }

            // A dead letter must always be storable, or it would block the batch forever.
            await importer.WriteAsync(TextSanitizer.ForText(deadLetter.Reason ?? string.Empty), NpgsqlDbType.Text, cancellationToken);
            await importer.WriteAsync(TextSanitizer.ForText(deadLetter.Raw ?? string.Empty), NpgsqlDbType.Text, cancellationToken);
        }

        await importer.CompleteAsync(cancellationToken);
    }

    private static Task WriteIdAsync(NpgsqlBinaryImporter importer, DimensionValue value, CancellationToken cancellationToken)
    {
        if (value.IsResolved)
        {
            return importer.WriteAsync(value.Id, NpgsqlDbType.Integer, cancellationToken);
        }

        // Unresolved texts never get here (they are rejected first), so this is a NULL.
        return importer.WriteNullAsync(cancellationToken);
    }

    private static Task WriteTextAsync(NpgsqlBinaryImporter importer, string? value, CancellationToken cancellationToken) =>
        value is null
            ? importer.WriteNullAsync(cancellationToken)
            : importer.WriteAsync(value, NpgsqlDbType.Varchar, cancellationToken);
}
