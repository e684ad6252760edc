using System.Buffers.Binary;
using System.Text;
using System.Text.Unicode;
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
/// The keyed record formats (versions 2 and 3), little-endian:
/// <code>
///  0 magic "XSR2"/"XSR3" 4    28 sequence            8
///  4 header length       2    36 received-at ticks   8
///  6 kind                1    44 transport           1
///  7 flags               1    45 peer               18
///  8 payload length      4    63 reserved (0)        1
/// 12 MAC                16    64 extensions, then the payload
/// </code>
/// Extensions follow the fixed header in the order of their flag bits, each present only when its bit is set:
/// <see cref="NodeFlag"/> (bit 0) is the node identity the listener established when it accepted the message
/// (<see cref="ReceivedMessage.Node"/>): source 1, name length 2, name (UTF-8). A record without extensions is
/// exactly the record of earlier versions (header length 64, flags 0), so their segments replay unchanged; an
/// earlier reader skips the extension by the header length and replays the message without its node.
/// The MAC covers every byte of the record but the MAC itself, truncated to 16 bytes: a torn or flipped record
/// fails it, and so does any record-shaped sequence of bytes a sender put in a payload. The two versions differ in
/// the MAC alone (and the magic that names it): version 2's is HMAC-SHA256 under the spool's key
/// (<see cref="HmacRecordMac"/>), version 3's keyed BLAKE3 under a key derived from it (<see cref="Blake3RecordMac"/>).
/// The <see cref="RecordMac"/> a caller passes says which version it reads or writes. The kind byte lets a later
/// version add records of a new kind.
/// </summary>
internal static class SpoolRecord
{
    /// <summary>"XSR2" read as a little-endian integer: a record of format 2 (HMAC-SHA256).</summary>
    public const uint HmacMagic = 0x3252_5358;

    /// <summary>"XSR3" read as a little-endian integer: a record of format 3 (keyed BLAKE3).</summary>
    public const uint Blake3Magic = 0x3352_5358;

    /// <summary>Length of the fixed header: every record's header, without extensions.</summary>
    public const int HeaderLength = 64;

    /// <summary>Flag bit: the node identity extension follows the fixed header.</summary>
    public const byte NodeFlag = 0x01;

    /// <summary>Source byte and name length of the node identity extension, before its name.</summary>
    private const int NodeFieldsLength = 3;

    /// <summary>Largest payload accepted on replay; anything longer is taken for corruption.</summary>
    public const int MaxPayloadLength = 16 * 1024 * 1024;

    /// <summary>Longest header a later version may write; anything longer is taken for corruption.</summary>
    private const int MaxHeaderLength = 4096;

    private const int MacOffset = 12;
    private const int MacEnd = MacOffset + RecordMac.Length;

    /// <summary>The size of a record without extensions.</summary>
    public static int SizeOf(int payloadLength) => HeaderLength + payloadLength;

    /// <summary>The size of the record of <paramref name="message"/>, its node identity included.</summary>
    public static int SizeOf(in ReceivedMessage message) => SizeOf(message.Length, message.Node);

    /// <summary>The size of the record of a message of <paramref name="payloadLength"/> bytes from <paramref name="node"/>.</summary>
    public static int SizeOf(int payloadLength, in NodeIdentity node) => HeaderLength + NodeExtensionLength(node) + payloadLength;

    /// <summary>Writes the record of <paramref name="message"/> into <paramref name="destination"/> (at least <see cref="SizeOf(in ReceivedMessage)"/> bytes).</summary>
    public static int WriteMessage(Span<byte> destination, long sequence, in ReceivedMessage message, RecordMac mac) =>
        WriteMessage(destination, sequence, message.Bytes, message.Origin, mac);

    /// <summary>Writes the record of the message <paramref name="payload"/> from <paramref name="origin"/> into <paramref name="destination"/> (at least <see cref="SizeOf(int, in NodeIdentity)"/> bytes).</summary>
    public static int WriteMessage(Span<byte> destination, long sequence, ReadOnlySpan<byte> payload, in MessageOrigin origin, RecordMac mac)
    {
        int size = WriteUnsealedMessage(destination, sequence, payload, origin, mac.Version);
        Seal(destination[..size], mac);
        return size;
    }

    /// <summary>
    /// Writes the record of <paramref name="payload"/> as <see cref="WriteMessage(Span{byte}, long, ReadOnlySpan{byte}, in MessageOrigin, RecordMac)"/>
    /// does, in the keyed format <paramref name="version"/>, but with its MAC field left zero: a record that fails its
    /// check until <see cref="Seal"/> has computed the MAC (the spool's appenders seal after they let its lock go).
    /// </summary>
    public static int WriteUnsealedMessage(Span<byte> destination, long sequence, ReadOnlySpan<byte> payload, in MessageOrigin origin, int version)
    {
        int extension = NodeExtensionLength(origin.Node);
        int headerLength = HeaderLength + extension;
        int size = WriteHeader(destination, MagicOf(version), SpoolRecordKind.Message, headerLength, payload.Length, sequence, origin.ReceivedAt.UtcTicks, origin.Transport, origin.Peer);
        if (extension > 0)
        {
            destination[7] = NodeFlag;
            Span<byte> node = destination[HeaderLength..headerLength];
            node[0] = (byte)origin.Node.Source;
            int nameLength = Encoding.UTF8.GetBytes(origin.Node.Name!, node[NodeFieldsLength..]);
            BinaryPrimitives.WriteUInt16LittleEndian(node[1..], checked((ushort)nameLength));
        }

        payload.CopyTo(destination[headerLength..]);
        return size;
    }

    /// <summary>Writes the segment-start record (<see cref="HeaderLength"/> bytes).</summary>
    public static int WriteSegmentStart(Span<byte> destination, long firstSequence, DateTimeOffset createdAt, RecordMac mac)
    {
        int size = WriteHeader(destination, MagicOf(mac.Version), SpoolRecordKind.SegmentStart, HeaderLength, 0, firstSequence, createdAt.UtcTicks, default, default);
        Seal(destination[..size], mac);
        return size;
    }

    /// <summary>
    /// Checks the record at the start of <paramref name="source"/>, MAC included; when <paramref name="digests"/>
    /// holds the digest of the record appended under its number at <paramref name="offset"/> (a file offset) and
    /// the bytes match it, that stands for the MAC (see <see cref="RecentRecordDigests"/>).
    /// </summary>
    public static RecordStatus TryRead(ReadOnlySpan<byte> source, RecordMac mac, out SpoolRecordView record, RecentRecordDigests? digests = null, long offset = 0)
    {
        record = default;
        uint magic = MagicOf(mac.Version);
        if (source.Length < 4)
        {
            Span<byte> magicBytes = stackalloc byte[4];
            BinaryPrimitives.WriteUInt32LittleEndian(magicBytes, magic);
            return source.SequenceEqual(magicBytes[..source.Length]) ? RecordStatus.Incomplete : RecordStatus.Corrupt;
        }

        if (BinaryPrimitives.ReadUInt32LittleEndian(source) != magic)
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

        long sequence = BinaryPrimitives.ReadInt64LittleEndian(source[28..]);
        if (digests?.Matches(sequence, offset, source[..size]) != true && !mac.Verify(source[..MacOffset], source[MacEnd..size], source[MacOffset..MacEnd]))
        {
            return RecordStatus.Corrupt;
        }

        if (sequence <= 0 || !TryReadNode(source[7], source[HeaderLength..headerLength], out NodeIdentitySource nodeSource, out ReadOnlySpan<byte> nodeName))
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
            source.Slice(headerLength, length),
            nodeSource,
            nodeName);
        return RecordStatus.Valid;
    }

    /// <summary>
    /// The size the record of format <paramref name="version"/> at the start of <paramref name="source"/> claims to
    /// have, or -1 when its header is implausible.
    /// </summary>
    public static int ClaimedSize(ReadOnlySpan<byte> source, int version)
    {
        if (source.Length < HeaderLength || BinaryPrimitives.ReadUInt32LittleEndian(source) != MagicOf(version))
        {
            return -1;
        }

        int headerLength = BinaryPrimitives.ReadUInt16LittleEndian(source[4..]);
        int length = BinaryPrimitives.ReadInt32LittleEndian(source[8..]);
        return headerLength is < HeaderLength or > MaxHeaderLength || length is < 0 or > MaxPayloadLength ? -1 : headerLength + length;
    }

    /// <summary>The magic that starts every record of the keyed format <paramref name="version"/>.</summary>
    public static uint MagicOf(int version) => version switch
    {
        SpoolSegment.HmacVersion => HmacMagic,
        SpoolSegment.Blake3Version => Blake3Magic,
        _ => throw new ArgumentOutOfRangeException(nameof(version), version, "Not a keyed spool record format."),
    };

    /// <summary>Bytes the node identity extension of <paramref name="node"/> takes: none without an identity.</summary>
    private static int NodeExtensionLength(in NodeIdentity node) =>
        node.Name is { } name ? NodeFieldsLength + Encoding.UTF8.GetByteCount(name) : 0;

    /// <summary>
    /// Reads the node identity extension when <paramref name="flags"/> says there is one. False when it does not fit
    /// the header (a record this version cannot have written); a source or name it does not know is read as no
    /// identity, so the message is still replayed (the parser then names its node).
    /// </summary>
    private static bool TryReadNode(byte flags, ReadOnlySpan<byte> extensions, out NodeIdentitySource source, out ReadOnlySpan<byte> name)
    {
        source = NodeIdentitySource.None;
        name = default;
        if ((flags & NodeFlag) == 0)
        {
            return true;
        }

        if (extensions.Length < NodeFieldsLength)
        {
            return false;
        }

        int length = BinaryPrimitives.ReadUInt16LittleEndian(extensions[1..]);
        if (extensions.Length < NodeFieldsLength + length)
        {
            return false;
        }

        var claimed = (NodeIdentitySource)extensions[0];
        ReadOnlySpan<byte> text = extensions.Slice(NodeFieldsLength, length);
        if ((claimed is NodeIdentitySource.Certificate or NodeIdentitySource.Network or NodeIdentitySource.Assigned) && length > 0 && Utf8.IsValid(text))
        {
            source = claimed;
            name = text;
        }

        return true;
    }

    private static int WriteHeader(Span<byte> destination, uint magic, SpoolRecordKind kind, int headerLength, int payloadLength, long sequence, long ticks, Transport transport, InetValue peer)
    {
        destination[..headerLength].Clear();
        BinaryPrimitives.WriteUInt32LittleEndian(destination, magic);
        BinaryPrimitives.WriteUInt16LittleEndian(destination[4..], checked((ushort)headerLength));
        destination[6] = (byte)kind;
        BinaryPrimitives.WriteInt32LittleEndian(destination[8..], payloadLength);
        BinaryPrimitives.WriteInt64LittleEndian(destination[28..], sequence);
        BinaryPrimitives.WriteInt64LittleEndian(destination[36..], ticks);
        destination[44] = (byte)transport;
        peer.WriteTo(destination[45..]);
        return headerLength + payloadLength;
    }

    /// <summary>Computes the MAC of the whole <paramref name="record"/> into its MAC field (its other bytes written).</summary>
    public static void Seal(Span<byte> record, RecordMac mac) =>
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
internal readonly ref struct SpoolRecordView(
    SpoolRecordKind kind,
    int size,
    long sequence,
    long receivedAtTicks,
    Transport transport,
    InetValue peer,
    ReadOnlySpan<byte> payload,
    NodeIdentitySource nodeSource = NodeIdentitySource.None,
    ReadOnlySpan<byte> nodeName = default)
{
    public SpoolRecordKind Kind { get; } = kind;

    /// <summary>Bytes the whole record takes in the file.</summary>
    public int Size { get; } = size;

    public long Sequence { get; } = sequence;

    public long ReceivedAtTicks { get; } = receivedAtTicks;

    public Transport Transport { get; } = transport;

    public InetValue Peer { get; } = peer;

    public ReadOnlySpan<byte> Payload { get; } = payload;

    /// <summary>How the listener established the message's node (<see cref="NodeIdentitySource.None"/>: it did not).</summary>
    public NodeIdentitySource NodeSource { get; } = nodeSource;

    /// <summary>The established node's name, UTF-8; empty without one.</summary>
    public ReadOnlySpan<byte> NodeName { get; } = nodeName;

    /// <summary>
    /// A pooled copy of the message with the node identity it was accepted under, numbered for the writer (see
    /// <see cref="ReceivedMessage.FirstSequence"/>); <paramref name="names"/> turns the node's name into a string.
    /// </summary>
    public ReceivedMessage ToMessage(long firstSequence, DateTimeOffset receivedAt, SpoolNodeNames names)
    {
        NodeIdentity node = NodeSource == NodeIdentitySource.None ? default : names.Identity(NodeSource, NodeName);
        return ReceivedMessage.Copy(Payload, Peer, Transport, receivedAt, node).WithSequence(firstSequence, Sequence);
    }
}
