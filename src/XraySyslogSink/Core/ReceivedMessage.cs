using System.Buffers;

namespace XraySyslogSink.Core;

/// <summary>
/// One syslog message as the listener received it: its bytes in a buffer rented from
/// <see cref="MessageBufferPool.Shared"/> (the consumer returns it with <see cref="Release"/>),
/// the sending peer, the node identity the listener established for it, and when it arrived.
/// </summary>
internal readonly struct ReceivedMessage
{
    private readonly byte[] _buffer;

    private ReceivedMessage(byte[] buffer, int length, InetValue peer, Transport transport, DateTimeOffset receivedAt, NodeIdentity node, long firstSequence = 0, long sequence = 0)
    {
        Node = node;
        _buffer = buffer;
        Length = length;
        Peer = peer;
        Transport = transport;
        ReceivedAt = receivedAt;
        FirstSequence = firstSequence;
        Sequence = sequence;
    }

    /// <summary>The spool's sequence number for this message (0 before the spool has taken it).</summary>
    public long Sequence { get; }

    /// <summary>
    /// The first sequence number this message accounts for: its own, or, when the spool skipped a corrupt
    /// stretch just before it, the first number lost there, so the writer's committed range stays contiguous.
    /// </summary>
    public long FirstSequence { get; }

    public int Length { get; }

    public InetValue Peer { get; }

    public Transport Transport { get; }

    public DateTimeOffset ReceivedAt { get; }

    /// <summary>
    /// What the listener vouched for when it accepted the message (a certificate's or a mapped network's node), or
    /// <c>default</c>; kept in the spool with the message, so a crash or a reload cannot change it.
    /// </summary>
    public NodeIdentity Node { get; }

    public ReadOnlySpan<byte> Bytes => _buffer.AsSpan(0, Length);

    /// <summary>The message's peer, transport, receipt time and node together.</summary>
    public MessageOrigin Origin => new(Peer, Transport, ReceivedAt, Node);

    /// <summary>Copies <paramref name="bytes"/> into a pooled buffer.</summary>
    public static ReceivedMessage Copy(ReadOnlySpan<byte> bytes, in MessageOrigin origin) =>
        Copy(bytes, origin.Peer, origin.Transport, origin.ReceivedAt, origin.Node);

    /// <summary>Copies <paramref name="bytes"/> into a pooled buffer.</summary>
    public static ReceivedMessage Copy(ReadOnlySpan<byte> bytes, InetValue peer, Transport transport, DateTimeOffset receivedAt, NodeIdentity node = default)
    {
        byte[] buffer = MessageBufferPool.Shared.Rent(bytes.Length);
        bytes.CopyTo(buffer);
        return new ReceivedMessage(buffer, bytes.Length, peer, transport, receivedAt, node);
    }

    /// <summary>Copies a possibly multi-segment frame into a pooled buffer.</summary>
    public static ReceivedMessage Copy(in ReadOnlySequence<byte> bytes, InetValue peer, Transport transport, DateTimeOffset receivedAt, NodeIdentity node = default)
    {
        int length = checked((int)bytes.Length);
        byte[] buffer = MessageBufferPool.Shared.Rent(length);
        bytes.CopyTo(buffer);
        return new ReceivedMessage(buffer, length, peer, transport, receivedAt, node);
    }

    /// <summary>The same message (same buffer) numbered by the spool.</summary>
    public ReceivedMessage WithSequence(long firstSequence, long sequence) =>
        new(_buffer, Length, Peer, Transport, ReceivedAt, Node, firstSequence, sequence);

    /// <summary>
    /// Returns the buffers of <paramref name="messages"/> to the pool at once (one lock for all) and clears them;
    /// none of them must be read afterwards.
    /// </summary>
    public static void ReleaseAll(Span<ReceivedMessage> messages)
    {
        MessageBufferPool.Shared.ReturnAll(messages);
        messages.Clear();
    }

    /// <summary>The buffer the message's bytes are in, for <see cref="MessageBufferPool.ReturnAll"/>.</summary>
    internal byte[]? Buffer => _buffer;

    /// <summary>Returns the buffer to the pool; the message must not be read afterwards.</summary>
    public void Release()
    {
        if (_buffer is not null)
        {
            MessageBufferPool.Shared.Return(_buffer);
        }
    }
}
