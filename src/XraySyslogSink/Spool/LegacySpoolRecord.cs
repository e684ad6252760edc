using System.Buffers.Binary;
using System.Numerics;
using XraySyslogSink.Core;

namespace XraySyslogSink.Spool;

/// <summary>
/// The unkeyed record format of earlier versions (segments named <c>N.seg</c>), read so that an upgrade with a
/// non-empty spool loses nothing; nothing is written in it any more. Little-endian:
/// magic "XSR1"(4) payload-length(4) crc32c(4) sequence(8) received-at-ticks(8) transport(1) peer(18) payload.
/// Its CRC-32C guards against damage, not against a sender: <see cref="SegmentReader"/> holds records found by
/// a resync in such a segment to a sequence bounded by the damaged bytes.
/// </summary>
internal static class LegacySpoolRecord
{
    /// <summary>"XSR1" read as a little-endian integer.</summary>
    public const uint Magic = 0x3152_5358;

    public const int HeaderLength = 4 + 4 + 4 + 8 + 8 + 1 + InetValue.SerializedLength;

    private const int CrcStart = 12;

    /// <summary>Writes a record in the old format: only tests make old spools.</summary>
    public static int Write(Span<byte> destination, long sequence, in ReceivedMessage message)
    {
        ReadOnlySpan<byte> payload = message.Bytes;
        BinaryPrimitives.WriteUInt32LittleEndian(destination, Magic);
        BinaryPrimitives.WriteInt32LittleEndian(destination[4..], payload.Length);
        BinaryPrimitives.WriteInt64LittleEndian(destination[12..], sequence);
        BinaryPrimitives.WriteInt64LittleEndian(destination[20..], message.ReceivedAt.UtcTicks);
        destination[28] = (byte)message.Transport;
        message.Peer.WriteTo(destination[29..]);
        payload.CopyTo(destination[HeaderLength..]);
        int size = HeaderLength + payload.Length;
        BinaryPrimitives.WriteUInt32LittleEndian(destination[8..], Crc32C(destination[CrcStart..size]));
        return size;
    }

    public static RecordStatus TryRead(ReadOnlySpan<byte> source, out SpoolRecordView record)
    {
        record = default;
        if (source.Length < 8)
        {
            return source.Length >= 4 && BinaryPrimitives.ReadUInt32LittleEndian(source) != Magic ? RecordStatus.Corrupt : RecordStatus.Incomplete;
        }

        if (BinaryPrimitives.ReadUInt32LittleEndian(source) != Magic)
        {
            return RecordStatus.Corrupt;
        }

        int length = BinaryPrimitives.ReadInt32LittleEndian(source[4..]);
        if (length is < 0 or > SpoolRecord.MaxPayloadLength)
        {
            return RecordStatus.Corrupt;
        }

        int size = HeaderLength + length;
        if (source.Length < size)
        {
            return RecordStatus.Incomplete;
        }

        long sequence = BinaryPrimitives.ReadInt64LittleEndian(source[12..]);
        if (BinaryPrimitives.ReadUInt32LittleEndian(source[8..]) != Crc32C(source[CrcStart..size]) || sequence <= 0)
        {
            return RecordStatus.Corrupt;
        }

        record = new SpoolRecordView(
            SpoolRecordKind.Message,
            size,
            sequence,
            BinaryPrimitives.ReadInt64LittleEndian(source[20..]),
            (Transport)source[28],
            InetValue.ReadFrom(source[29..]),
            source.Slice(HeaderLength, length));
        return RecordStatus.Valid;
    }

    /// <summary>The size the record at the start of <paramref name="source"/> claims to have, or -1 when its header is implausible.</summary>
    public static int ClaimedSize(ReadOnlySpan<byte> source)
    {
        if (source.Length < 8 || BinaryPrimitives.ReadUInt32LittleEndian(source) != Magic)
        {
            return -1;
        }

        int length = BinaryPrimitives.ReadInt32LittleEndian(source[4..]);
        return length is < 0 or > SpoolRecord.MaxPayloadLength ? -1 : HeaderLength + length;
    }

    /// <summary>CRC-32C (Castagnoli), with the SSE4.2/ARMv8 instruction where the CPU has one.</summary>
    public static uint Crc32C(ReadOnlySpan<byte> data)
    {
        uint crc = uint.MaxValue;
        while (data.Length >= 8)
        {
            crc = BitOperations.Crc32C(crc, BinaryPrimitives.ReadUInt64LittleEndian(data));
            data = data[8..];
        }

        foreach (byte b in data)
        {
            crc = BitOperations.Crc32C(crc, b);
        }

        return ~crc;
    }
}
