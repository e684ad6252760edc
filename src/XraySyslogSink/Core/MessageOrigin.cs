namespace XraySyslogSink.Core;

/// <summary>
/// Everything a listener knows of a message besides its bytes: who sent it, over what, when it arrived and the node
/// identity established at accept time. The spool records it with the bytes it is handed, so a listener need not
/// copy a message into a <see cref="ReceivedMessage"/> before the spool has taken it.
/// </summary>
internal readonly record struct MessageOrigin(InetValue Peer, Transport Transport, DateTimeOffset ReceivedAt, NodeIdentity Node = default);
