using Npgsql;
using NpgsqlTypes;
using XraySyslogSink.Core;

namespace XraySyslogSink.Storage;

/// <summary>Binary COPY of <c>logs</c> rows into one day's partition, and of dead letters.</summary>
internal sealed class LogCopier
{
    private const string DeadLetterCopySql = "COPY dead_letters (received_at, peer, reason, raw) FROM STDIN (FORMAT BINARY)";

    private readonly CopyRowEncoder _encoder = new();

    /// <summary>
    /// Copies <paramref name="rows"/> into <paramref name="table"/>, normally the day's own partition: skipping
    /// tuple routing through the parent is faster, and the partition inherited the parent's <c>id</c> default.
    /// The rows are encoded by <see cref="CopyRowEncoder"/> and sent in pieces of its buffer; a row the server
    /// refuses surfaces as a <see cref="PostgresException"/> when the COPY completes. <paramref name="nodes"/>:
    /// the rows carry <c>node_id</c> too.
    /// </summary>
    public async Task CopyRowsAsync(
        NpgsqlConnection connection,
        string table,
        IReadOnlyList<RecordChunk> chunks,
        ArraySegment<RowRef> rows,
        bool nodes,
        CancellationToken cancellationToken)
    {
        _encoder.Clear();
        await using NpgsqlRawCopyStream copy = await connection.BeginRawBinaryCopyAsync(CopyRowEncoder.CopyRowsSql(table, nodes), cancellationToken);
        try
        {
            _encoder.WriteHeader();
            foreach (RowRef row in rows)
            {
                if (!_encoder.HasRoomForRow)
                {
                    await copy.WriteAsync(_encoder.Written, cancellationToken);
                    _encoder.Clear();
                }

                _encoder.WriteRow(in chunks[row.Chunk].Records[row.Index], nodes);
            }

            _encoder.WriteTrailer();
            await copy.WriteAsync(_encoder.Written, cancellationToken);
            _encoder.Clear();
        }
        catch
        {
            // Nothing of a COPY cut short may complete; the transaction around it rolls back as well.
            _encoder.Clear();
            await CancelQuietlyAsync(copy);
            throw;
        }
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

    private static async Task CancelQuietlyAsync(NpgsqlRawCopyStream copy)
    {
        try
        {
            await copy.CancelAsync();
        }
        catch (Exception ex) when (ex is NpgsqlException or IOException or ObjectDisposedException or InvalidOperationException)
        {
            // The connection is broken or the server already refused the COPY: the caller's exception says why.
        }
    }
}
