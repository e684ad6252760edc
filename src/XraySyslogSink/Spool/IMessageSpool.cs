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
    /// Appends without waiting; false (and the message released) when the spool is full. For UDP, whose
    /// receive loop must never block.
    /// </summary>
    bool TryAppend(ReceivedMessage message, out long sequence);

    /// <summary>Completes once every message up to <paramref name="sequence"/> is synced to disk (RELP acknowledges only then).</summary>
    ValueTask WaitDurableAsync(long sequence, CancellationToken cancellationToken);
}
