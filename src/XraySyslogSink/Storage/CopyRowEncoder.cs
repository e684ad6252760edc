using System.Buffers.Binary;
using XraySyslogSink.Core;

namespace XraySyslogSink.Storage;

/// <summary>
/// Writes <c>logs</c> rows in PostgreSQL's binary COPY format (signature and header, one tuple per row, trailer)
/// into a buffer it reuses, for a raw binary COPY. Npgsql's row importer costs an awaited call and a type lookup per
/// field, ten per row, which the profile showed as the largest part of the daemon's CPU per row
/// (docs/performance.md); these ten fields have fixed types, so they are written straight as bytes.
/// </summary>
/// <remarks>
/// Values are written as Npgsql writes them: <c>timestamptz</c> as microseconds since 2000-01-01 UTC with
/// <see cref="DateTime.MinValue"/> and <see cref="DateTime.MaxValue"/> as -infinity and infinity, <c>inet</c> as
/// family, prefix length, "is cidr" (0) and the address bytes, integers big-endian, text as UTF-8.
/// Not thread-safe: one per writer.
/// </remarks>
internal sealed class CopyRowEncoder
{
    /// <summary>Bytes one row takes at most: field count, then eleven fields of a length and at most 20 bytes (inet).</summary>
    public const int MaxRowBytes = 2 + (4 + 8) + (4 + 20) + (4 + 4) + (4 + 8) + (4 + 4) + (4 + 4) + (4 + 4) + (4 + 4) + (4 + 4) + (4 + 4) + (4 + 4);

    private const string Columns = " (\"timestamp\", source_ip, source_port, action, protocol_id, destination_id, destination_port, inbound_tag_id, outbound_tag_id, user_id";

    // 2000-01-01T00:00:00Z in .NET ticks: PostgreSQL's epoch for timestamps.
    private const long PostgresEpochTicks = 630_822_816_000_000_000;

    // PostgreSQL's own address family numbers in the inet wire format (not the operating system's).
    private const byte PostgresInet4 = 2;
    private const byte PostgresInet6 = 3;

    private readonly byte[] _buffer;
    private int _length;

    /// <param name="capacity">Bytes encoded before the caller should hand them on (at least one row and the header).</param>
    public CopyRowEncoder(int capacity = 64 * 1024)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, MaxRowBytes + Signature.Length + 8);
        _buffer = new byte[capacity];
    }

    /// <summary>The bytes encoded since the last <see cref="Clear"/>.</summary>
    public ReadOnlyMemory<byte> Written => _buffer.AsMemory(0, _length);

    /// <summary>Whether one more row (and the trailer) fits; otherwise hand <see cref="Written"/> on and <see cref="Clear"/>.</summary>
    public bool HasRoomForRow => _buffer.Length - _length >= MaxRowBytes + 2;

    /// <summary>
    /// The COPY command a stream of these rows answers, into <paramref name="table"/> (a partition name from
    /// <see cref="PartitionManager"/>, never input); <paramref name="nodes"/>: with <c>node_id</c> as the last column.
    /// </summary>
    public static string CopyRowsSql(string table, bool nodes) =>
        "COPY " + table + Columns + (nodes ? ", node_id)" : ")") + " FROM STDIN (FORMAT BINARY)";

    /// <summary>Starts a COPY stream: the signature, no flags and no header extension.</summary>
    public void WriteHeader()
    {
        Span<byte> destination = _buffer.AsSpan(_length);
        Signature.CopyTo(destination);
        BinaryPrimitives.WriteInt32BigEndian(destination[Signature.Length..], 0);
        BinaryPrimitives.WriteInt32BigEndian(destination[(Signature.Length + 4)..], 0);
        _length += Signature.Length + 8;
    }

    /// <summary>Ends a COPY stream.</summary>
    public void WriteTrailer()
    {
        BinaryPrimitives.WriteInt16BigEndian(_buffer.AsSpan(_length), -1);
        _length += 2;
    }

    /// <summary>Appends one row (with its node when <paramref name="nodes"/>); call only while <see cref="HasRoomForRow"/>.</summary>
    public void WriteRow(in AccessRecord record, bool nodes)
    {
        Span<byte> row = _buffer.AsSpan(_length, MaxRowBytes);
        BinaryPrimitives.WriteInt16BigEndian(row, nodes ? (short)11 : (short)10);
        int at = 2;
        at += WriteTimestamp(row[at..], PostgresLogStore.AsUtc(record.TimestampUtc));

        // NOT NULL column: a missing address makes the server reject the row, which then becomes a dead letter.
        at += record.SourceIp.HasValue ? WriteInet(row[at..], record.SourceIp) : WriteNull(row[at..]);
        at += WriteInt32(row[at..], record.SourcePort);
        at += WriteAction(row[at..], record.Action);
        at += WriteId(row[at..], record.Protocol);
        at += WriteId(row[at..], record.Destination);
        at += record.DestinationPort < 0 ? WriteNull(row[at..]) : WriteInt32(row[at..], record.DestinationPort);
        at += WriteId(row[at..], record.InboundTag);
        at += WriteId(row[at..], record.OutboundTag);
        at += WriteId(row[at..], record.User);
        if (nodes)
        {
            at += WriteId(row[at..], record.Node);
        }

        _length += at;
    }

    /// <summary>Forgets what was written (after it was handed on).</summary>
    public void Clear() => _length = 0;

    /// <summary>"PGCOPY\n\377\r\n\0": the binary COPY signature.</summary>
    private static ReadOnlySpan<byte> Signature => [(byte)'P', (byte)'G', (byte)'C', (byte)'O', (byte)'P', (byte)'Y', (byte)'\n', 0xFF, (byte)'\r', (byte)'\n', 0];

    private static ReadOnlySpan<byte> Accepted => "accepted"u8;

    private static ReadOnlySpan<byte> Rejected => "rejected"u8;

    private static int WriteNull(Span<byte> destination)
    {
        BinaryPrimitives.WriteInt32BigEndian(destination, -1);
        return 4;
    }

    private static int WriteInt32(Span<byte> destination, int value)
    {
        BinaryPrimitives.WriteInt32BigEndian(destination, 4);
        BinaryPrimitives.WriteInt32BigEndian(destination[4..], value);
        return 8;
    }

    private static int WriteId(Span<byte> destination, DimensionValue value) =>
        // Unresolved texts never get here (they are rejected first), so an id of 0 is a NULL.
        value.IsResolved ? WriteInt32(destination, value.Id) : WriteNull(destination);

    private static int WriteTimestamp(Span<byte> destination, DateTime utc)
    {
        long microseconds = utc == DateTime.MaxValue ? long.MaxValue
            : utc == DateTime.MinValue ? long.MinValue
            : (utc.Ticks - PostgresEpochTicks) / TimeSpan.TicksPerMicrosecond;
        BinaryPrimitives.WriteInt32BigEndian(destination, 8);
        BinaryPrimitives.WriteInt64BigEndian(destination[4..], microseconds);
        return 12;
    }

    private static int WriteInet(Span<byte> destination, InetValue address)
    {
        int addressBytes = address.IsIPv6 ? 16 : 4;
        BinaryPrimitives.WriteInt32BigEndian(destination, 4 + addressBytes);
        destination[4] = address.IsIPv6 ? PostgresInet6 : PostgresInet4;
        destination[5] = address.PrefixLength;
        destination[6] = 0;
        destination[7] = (byte)addressBytes;
        if (address.IsIPv6)
        {
            BinaryPrimitives.WriteUInt64BigEndian(destination[8..], address.High);
            BinaryPrimitives.WriteUInt64BigEndian(destination[16..], address.Low);
        }
        else
        {
            BinaryPrimitives.WriteUInt32BigEndian(destination[8..], (uint)address.Low);
        }

        return 8 + addressBytes;
    }

    private static int WriteAction(Span<byte> destination, AccessAction action)
    {
        ReadOnlySpan<byte> text = action switch
        {
            AccessAction.Accepted => Accepted,
            AccessAction.Rejected => Rejected,
            _ => default,
        };
        if (text.IsEmpty)
        {
            return WriteNull(destination);
        }

        BinaryPrimitives.WriteInt32BigEndian(destination, text.Length);
        text.CopyTo(destination[4..]);
        return 4 + text.Length;
    }
}
