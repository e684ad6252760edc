using XraySyslogSink.Core;

namespace XraySyslogSink.Spool;

/// <summary>
/// The write-ahead spool every accepted message enters before it is parsed. It gives each message a
/// sequence number; a message is durable once the spool has synced the file holding it, and it is
/// forgotten only after the batch containing it has committed (the committed position is stored in
/// the same transaction as the rows, so a crash replays exactly what was not committed).
/// </summary>
internal interface IMessageSpool
{
    /// <summary>
    /// Appends <paramref name="message"/> (the spool takes ownership of its pooled buffer) and returns its
    /// sequence number. Waits while the spool is full, which is how TCP and RELP senders feel backpressure.
    /// </summary>
    ValueTask<long> AppendAsync(ReceivedMessage message, CancellationToken cancellationToken);

    /// <summary>
    /// Appends the message <paramref name="bytes"/> from <paramref name="origin"/> without waiting; false when the spool
    /// is full. The spool copies the bytes straight into its record, and into a pooled in-memory message only when it
    /// hands the message on in memory; the caller keeps its buffer. For UDP, whose receive loop must never block.
    /// </summary>
    bool TryAppend(ReadOnlySpan<byte> bytes, in MessageOrigin origin, out long sequence);

    /// <summary>
    /// Appends each of <paramref name="messages"/> (its bytes in <paramref name="buffer"/>) in order, as
    /// <see cref="TryAppend(ReadOnlySpan{byte}, in MessageOrigin, out long)"/> would one by one, but under one acquisition
    /// of the spool's lock; returns how many were appended (the others did not fit). For a UDP receive thread's batch.
    /// </summary>
    int TryAppend(ReadOnlySpan<byte> buffer, ReadOnlySpan<MessageSlice> messages);

    /// <summary>
    /// Appends <paramref name="messages"/>, all from <paramref name="origin"/>, in order under one acquisition of the
    /// spool's lock, stopping at the first one the spool refuses (full); returns how many were appended, a prefix. The
    /// spool copies the bytes as <see cref="TryAppend(ReadOnlySpan{byte}, in MessageOrigin, out long)"/> does. For a
    /// stream listener's frames of one read, whose order must hold and whose rest the listener then waits to append.
    /// </summary>
    int TryAppendInOrder(ReadOnlySpan<ReadOnlyMemory<byte>> messages, in MessageOrigin origin);

    /// <summary>Completes once every message up to <paramref name="sequence"/> is synced to disk (RELP acknowledges only then).</summary>
    ValueTask WaitDurableAsync(long sequence, CancellationToken cancellationToken);
}
