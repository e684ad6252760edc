using System.Buffers.Binary;
using System.Numerics;
using XraySyslogSink.Core;

namespace XraySyslogSink.Spool;

/// <summary>
/// The layout of one message in a segment file (little-endian):
/// magic(4) payload-length(4) crc32c(4) sequence(8) received-at-ticks(8) transport(1) peer(18) payload.
/// The CRC-32C covers everything after itself, so a torn or flipped record is recognised on replay.
/// </summary>
internal static class SpoolRecord
{
    /// <summary>"XSR1" read as a little-endian integer.</summary>
    public const uint Magic = 0x3152_5358;

    public const int HeaderLength = 4 + 4 + 4 + 8 + 8 + 1 + InetValue.SerializedLength;

    /// <summary>Largest payload accepted on replay; anything longer is taken for corruption.</summary>
    public const int MaxPayloadLength = 16 * 1024 * 1024;

    private const int CrcStart = 12;

    public static int SizeOf(int payloadLength) => HeaderLength + payloadLength;

    /// <summary>Writes the record for <paramref name="message"/> into <paramref name="destination"/> (at least <see cref="SizeOf"/> bytes).</summary>
    public static void Write(Span<byte> destination, long sequence, in ReceivedMessage message)
    {
        ReadOnlySpan<byte> payload = message.Bytes;
        BinaryPrimitives.WriteUInt32LittleEndian(destination, Magic);
        BinaryPrimitives.WriteInt32LittleEndian(destination[4..], payload.Length);
        BinaryPrimitives.WriteInt64LittleEndian(destination[12..], sequence);
        BinaryPrimitives.WriteInt64LittleEndian(destination[20..], message.ReceivedAt.UtcTicks);
        destination[28] = (byte)message.Transport;
        message.Peer.WriteTo(destination[29..]);
        payload.CopyTo(destination[HeaderLength..]);
        int size = SizeOf(payload.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[8..], Crc32C(destination[CrcStart..size]));
    }

    /// <summary>Outcome of <see cref="TryRead"/>.</summary>
    public enum Status
    {
        Valid,

        /// <summary>The bytes so far are a plausible start; more are needed to decide.</summary>
        Incomplete,
        Corrupt,
    }

    /// <summary>Checks the record at the start of <paramref name="source"/>; on success returns its size and fields.</summary>
    public static Status TryRead(ReadOnlySpan<byte> source, out int size, out long sequence)
    {
        size = 0;
        sequence = 0;
        if (source.Length < 8)
        {
            return source.Length >= 4 && BinaryPrimitives.ReadUInt32LittleEndian(source) != Magic ? Status.Corrupt : Status.Incomplete;
        }

        if (BinaryPrimitives.ReadUInt32LittleEndian(source) != Magic)
        {
            return Status.Corrupt;
        }

        int length = BinaryPrimitives.ReadInt32LittleEndian(source[4..]);
        if (length is < 0 or > MaxPayloadLength)
        {
            return Status.Corrupt;
        }

        int total = SizeOf(length);
        if (source.Length < total)
        {
            return Status.Incomplete;
        }

        if (BinaryPrimitives.ReadUInt32LittleEndian(source[8..]) != Crc32C(source[CrcStart..total]))
        {
            return Status.Corrupt;
        }

        size = total;
        sequence = BinaryPrimitives.ReadInt64LittleEndian(source[12..]);
        return sequence > 0 ? Status.Valid : Status.Corrupt;
    }

    /// <summary>Copies a valid record (checked by <see cref="TryRead"/>) into a pooled message.</summary>
    public static ReceivedMessage ToMessage(ReadOnlySpan<byte> record, long firstSequence)
    {
        int length = BinaryPrimitives.ReadInt32LittleEndian(record[4..]);
        long sequence = BinaryPrimitives.ReadInt64LittleEndian(record[12..]);
        var receivedAt = new DateTimeOffset(BinaryPrimitives.ReadInt64LittleEndian(record[20..]), TimeSpan.Zero);
        var transport = (Transport)record[28];
        InetValue peer = InetValue.ReadFrom(record[29..]);
        return ReceivedMessage.Copy(record.Slice(HeaderLength, length), peer, transport, receivedAt).WithSequence(firstSequence, sequence);
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
