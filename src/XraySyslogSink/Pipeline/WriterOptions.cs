using System.ComponentModel.DataAnnotations;

namespace XraySyslogSink.Pipeline;

/// <summary>Options section <c>Writer</c>: when batches are flushed to PostgreSQL and how failures are retried.</summary>
internal sealed class WriterOptions
{
    public const string SectionName = "Writer";

    /// <summary>
    /// Rows that trigger a flush (default 25000). Larger batches mean fewer transactions; with the seed schema's
    /// foreign keys each transaction re-takes a key-share lock on every referenced dimension row it uses, so
    /// 25000 cost PostgreSQL markedly less CPU per row than 5000 (docs/performance.md).
    /// </summary>
    [Range(1, 1_000_000)]
    public int BatchSize { get; set; } = 25_000;

    /// <summary>
    /// About how long after its receipt a row is committed (default 1 s) while the database keeps up: a batch is cut
    /// when its oldest row's age plus the time recent batches took from cut to commit reaches it
    /// (<see cref="BatchCutPolicy"/>), or earlier at <see cref="BatchSize"/> rows.
    /// </summary>
    public TimeSpan FlushInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>First delay before retrying a failed flush (default 250 ms); doubles up to <see cref="RetryMaxDelay"/>.</summary>
    public TimeSpan RetryInitialDelay { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>Longest delay between retries of a failed flush (default 30 s). A batch is retried until it commits.</summary>
    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromSeconds(30);
}
