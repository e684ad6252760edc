using System.ComponentModel.DataAnnotations;

namespace XraySyslogSink.Storage;

/// <summary>Options section <c>Retention</c>: how long the daemon keeps daily partitions.</summary>
internal sealed class RetentionOptions
{
    public const string SectionName = "Retention";

    /// <summary>
    /// Days of <c>logs</c> kept: a daily partition whose whole range is older than this many days is detached and
    /// dropped (checked at start and every <see cref="CheckInterval"/>). Default <c>0</c>: keep forever.
    /// </summary>
    [Range(0, 36_500)]
    public int Days { get; set; }

    /// <summary>
    /// Days of <c>dead_letters</c> kept (default <c>30</c>): a daily dead-letter partition whose whole range is older is
    /// dropped, and older rows of the catch-all partition deleted, by the same maintenance (the writer role only above the
    /// floor the schema owner stored). <c>0</c>: keep forever.
    /// </summary>
    [Range(0, 36_500)]
    public int DeadLetterDays { get; set; } = 30;

    /// <summary>How often partitions are pre-created and retention is applied (default <c>01:00:00</c>).</summary>
    public TimeSpan CheckInterval { get; set; } = TimeSpan.FromHours(1);
}
