namespace XraySyslogSink.Core;

/// <param name="RowsWritten">Rows committed to <c>logs</c>.</param>
/// <param name="DeadLettersWritten">Rows committed to <c>dead_letters</c>, including rows the database rejected.</param>
/// <param name="RowsRejected">Records the database refused (moved to dead letters).</param>
internal sealed record FlushResult(int RowsWritten, int DeadLettersWritten, int RowsRejected);
