using XraySyslogSink.Core;

namespace XraySyslogSink.Spool;

/// <summary>One message among several in a caller's buffer: where its bytes are and where it came from (see <see cref="IMessageSpool.TryAppend(ReadOnlySpan{byte}, ReadOnlySpan{MessageSlice})"/>).</summary>
internal readonly record struct MessageSlice(int Offset, int Length, MessageOrigin Origin);
