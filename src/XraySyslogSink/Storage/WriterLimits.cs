namespace XraySyslogSink.Storage;

/// <summary>
/// What the schema owner lets the writer role do to history, stored by the owner's migration in
/// <c>xraysink_writer_limits</c> and enforced by the partition functions for every caller that is not the owner.
/// </summary>
/// <param name="RetentionFloorDays">The writer may drop only days that ended this many days ago or more; null: nothing.</param>
/// <param name="CreateDaysBack">The writer may create partitions for days from today (UTC) minus this many days…</param>
/// <param name="CreateDaysAhead">…to today plus this many days.</param>
/// <param name="DeadLetterFloorDays">The writer may expire only dead letters of days that ended this many days ago or more; null: none.</param>
internal sealed record WriterLimits(int? RetentionFloorDays, int CreateDaysBack, int CreateDaysAhead, int? DeadLetterFloorDays = null)
{
    /// <summary>
    /// The limits matching a daemon's settings: retention as <c>Retention:Days</c> and <c>Retention:DeadLetterDays</c>
    /// (0: the writer drops nothing), creation
    /// over the accept window (<c>Xray:AcceptWindowBack</c>/<c>Ahead</c>, each rounded up to whole days, plus the day a
    /// UTC day boundary can add) and at least <c>Schema:PrecreateDays</c> ahead.
    /// </summary>
    public static WriterLimits For(int retentionDays, TimeSpan acceptWindowBack, TimeSpan acceptWindowAhead, int precreateDays, int deadLetterDays = 0) => new(
        retentionDays > 0 ? retentionDays : null,
        WholeDays(acceptWindowBack) + 1,
        Math.Max(WholeDays(acceptWindowAhead) + 1, precreateDays),
        deadLetterDays > 0 ? deadLetterDays : null);

    private static int WholeDays(TimeSpan span) => (int)Math.Min(Math.Ceiling(Math.Max(span.TotalDays, 0)), 36_500);
}
