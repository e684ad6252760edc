namespace XraySyslogSink.Core;

/// <summary>A message that cannot be stored as a <c>logs</c> row, kept with the reason for <c>dead_letters</c>.</summary>
/// <param name="ReceivedAt">When the collector received the message.</param>
/// <param name="Peer">The sending socket's address (not the syslog HOSTNAME).</param>
/// <param name="Reason">A short, stable reason such as <c>source is not an address</c>.</param>
/// <param name="Raw">The message text (invalid UTF-8 replaced, NUL escaped, bounded in length).</param>
internal sealed record DeadLetter(DateTimeOffset ReceivedAt, InetValue Peer, string Reason, string Raw);
