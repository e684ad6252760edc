using System.Buffers.Binary;
using XraySyslogSink.Core;

namespace XraySyslogSink.Spool;

/// <summary>What a spool record holds.</summary>
internal enum SpoolRecordKind : byte
{
    /// <summary>First record of every segment: its first sequence number and when it was created.</summary>
    SegmentStart = 1,

    /// <summary>One received message.</summary>
    Message = 2,
}

/// <summary>
/// The keyed record format (version 2), little-endian:
/// <code>
///  0 magic "XSR2"        4    28 sequence            8
///  4 header length       2    36 received-at ticks   8
///  6 kind                1    44 transport           1
///  7 flags (0)           1    45 peer               18
///  8 payload length      4    63 reserved (0)        1
/// 12 MAC                16    64 payload
/// </code>
/// The MAC is HMAC-SHA256 under the spool's key (<see cref="SpoolKey"/>) over every byte of the record but the
/// MAC itself, truncated to 16 bytes: a torn or flipped record fails it, and so does any record-shaped
/// sequence of bytes a sender put in a payload. The header length lets a later version add fields after
/// <c>reserved</c> without moving the payload of records written before (a reader takes the fields it knows
/// and skips to the payload); the kind byte lets it add records of a new kind.
/// </summary>
internal static class SpoolRecord
{
    /// <summary>"XSR2" read as a little-endian integer.</summary>
    public const uint Magic = 0x3252_5358;

    /// <summary>Header length of the records this version writes.</summary>
    public const int HeaderLength = 64;

    /// <summary>Largest payload accepted on replay; anything longer is taken for corruption.</summary>
    public const int MaxPayloadLength = 16 * 1024 * 1024;

    /// <summary>Longest header a later version may write; anything longer is taken for corruption.</summary>
    private const int MaxHeaderLength = 4096;

    private const int MacOffset = 12;
    private const int MacEnd = MacOffset + RecordMac.Length;

    public static int SizeOf(int payloadLength) => HeaderLength + payloadLength;

    /// <summary>Writes the record of <paramref name="message"/> into <paramref name="destination"/> (at least <see cref="SizeOf"/> bytes).</summary>
    public static int WriteMessage(Span<byte> destination, long sequence, in ReceivedMessage message, RecordMac mac)
    {
        ReadOnlySpan<byte> payload = message.Bytes;
        int size = WriteHeader(destination, SpoolRecordKind.Message, payload.Length, sequence, message.ReceivedAt.UtcTicks, message.Transport, message.Peer);
        payload.CopyTo(destination[HeaderLength..]);
        Seal(destination[..size], mac);
        return size;
    }

    /// <summary>Writes the segment-start record (<see cref="HeaderLength"/> bytes).</summary>
    public static int WriteSegmentStart(Span<byte> destination, long firstSequence, DateTimeOffset createdAt, RecordMac mac)
    {
        int size = WriteHeader(destination, SpoolRecordKind.SegmentStart, 0, firstSequence, createdAt.UtcTicks, default, default);
        Seal(destination[..size], mac);
        return size;
    }

    /// <summary>Checks the record at the start of <paramref name="source"/>, MAC included.</summary>
    public static RecordStatus TryRead(ReadOnlySpan<byte> source, RecordMac mac, out SpoolRecordView record)
    {
        record = default;
        if (source.Length < 4)
        {
            return source.SequenceEqual(MagicBytes[..source.Length]) ? RecordStatus.Incomplete : RecordStatus.Corrupt;
        }

        if (BinaryPrimitives.ReadUInt32LittleEndian(source) != Magic)
        {
            return RecordStatus.Corrupt;
        }

        if (source.Length < HeaderLength)
        {
            return RecordStatus.Incomplete;
        }

        int headerLength = BinaryPrimitives.ReadUInt16LittleEndian(source[4..]);
        int length = BinaryPrimitives.ReadInt32LittleEndian(source[8..]);
        if (headerLength is < HeaderLength or > MaxHeaderLength || length is < 0 or > MaxPayloadLength)
        {
            return RecordStatus.Corrupt;
        }

        int size = headerLength + length;
        if (source.Length < size)
        {
            return RecordStatus.Incomplete;
        }

        if (!mac.Verify(source[..MacOffset], source[MacEnd..size], source[MacOffset..MacEnd]))
        {
            return RecordStatus.Corrupt;
        }

        long sequence = BinaryPrimitives.ReadInt64LittleEndian(source[28..]);
        if (sequence <= 0)
        {
            return RecordStatus.Corrupt;
        }

        record = new SpoolRecordView(
            (SpoolRecordKind)source[6],
            size,
            sequence,
            BinaryPrimitives.ReadInt64LittleEndian(source[36..]),
            (Transport)source[44],
            InetValue.ReadFrom(source[45..]),
            source.Slice(headerLength, length));
        return RecordStatus.Valid;
    }

    /// <summary>The size the record at the start of <paramref name="source"/> claims to have, or -1 when its header is implausible.</summary>
    public static int ClaimedSize(ReadOnlySpan<byte> source)
    {
        if (source.Length < HeaderLength || BinaryPrimitives.ReadUInt32LittleEndian(source) != Magic)
        {
            return -1;
        }

        int headerLength = BinaryPrimitives.ReadUInt16LittleEndian(source[4..]);
        int length = BinaryPrimitives.ReadInt32LittleEndian(source[8..]);
        return headerLength is < HeaderLength or > MaxHeaderLength || length is < 0 or > MaxPayloadLength ? -1 : headerLength + length;
    }

    private static ReadOnlySpan<byte> MagicBytes => "XSR2"u8;

    private static int WriteHeader(Span<byte> destination, SpoolRecordKind kind, int payloadLength, long sequence, long ticks, Transport transport, InetValue peer)
    {
        destination[..HeaderLength].Clear();
        BinaryPrimitives.WriteUInt32LittleEndian(destination, Magic);
        BinaryPrimitives.WriteUInt16LittleEndian(destination[4..], HeaderLength);
        destination[6] = (byte)kind;
        BinaryPrimitives.WriteInt32LittleEndian(destination[8..], payloadLength);
        BinaryPrimitives.WriteInt64LittleEndian(destination[28..], sequence);
        BinaryPrimitives.WriteInt64LittleEndian(destination[36..], ticks);
        destination[44] = (byte)transport;
        peer.WriteTo(destination[45..]);
        return HeaderLength + payloadLength;
    }

    private static void Seal(Span<byte> record, RecordMac mac) =>
        mac.Compute(record[..MacOffset], record[MacEnd..], record[MacOffset..MacEnd]);
}

/// <summary>Outcome of reading a record.</summary>
internal enum RecordStatus
{
    Valid,

    /// <summary>The bytes so far are a plausible start; more are needed to decide.</summary>
    Incomplete,
    Corrupt,
}

/// <summary>The fields of a record that passed its check; valid while the bytes it was read from are.</summary>
internal readonly ref struct SpoolRecordView(SpoolRecordKind kind, int size, long sequence, long receivedAtTicks, Transport transport, InetValue peer, ReadOnlySpan<byte> payload)
{
    public SpoolRecordKind Kind { get; } = kind;

    /// <summary>Bytes the whole record takes in the file.</summary>
    public int Size { get; } = size;

    public long Sequence { get; } = sequence;

    public long ReceivedAtTicks { get; } = receivedAtTicks;

    public Transport Transport { get; } = transport;

    public InetValue Peer { get; } = peer;

    public ReadOnlySpan<byte> Payload { get; } = payload;

    /// <summary>A pooled copy of the message, numbered for the writer (see <see cref="ReceivedMessage.FirstSequence"/>).</summary>
    public ReceivedMessage ToMessage(long firstSequence, DateTimeOffset receivedAt) =>
        ReceivedMessage.Copy(Payload, Peer, Transport, receivedAt).WithSequence(firstSequence, Sequence);
}
