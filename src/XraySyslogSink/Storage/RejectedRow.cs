namespace XraySyslogSink.Storage;

/// <summary>A record the database refused, with the reason that goes to <c>dead_letters</c>.</summary>
internal readonly record struct RejectedRow(RowRef Row, string Reason);
