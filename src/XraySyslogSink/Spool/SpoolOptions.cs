using System.ComponentModel.DataAnnotations;

namespace XraySyslogSink.Spool;

/// <summary>
/// Options section <c>Spool</c>: the on-disk write-ahead log every received message enters before it is
/// parsed, so that database outages and crashes lose nothing that was made durable.
/// </summary>
internal sealed class SpoolOptions
{
    public const string SectionName = "Spool";

    public const long MiB = 1024 * 1024;

    /// <summary>Directory of the segment files (default <c>/var/lib/xraysink/spool</c>); created when missing. One daemon per directory.</summary>
    public string Directory { get; set; } = "/var/lib/xraysink/spool";

    /// <summary>
    /// Disk the spool may use (default 1 GiB). When it is full, TCP connections stop being read (backpressure)
    /// and UDP datagrams are dropped and counted as <c>xraysink.udp.dropped{reason=spool_full}</c>.
    /// </summary>
    [Range(MiB, long.MaxValue)]
    public long MaxBytes { get; set; } = 1024 * MiB;

    /// <summary>
    /// The part of <see cref="MaxBytes"/> UDP may fill (default 0.5). UDP authenticates no one and its source
    /// addresses can be spoofed, so a flood of it must not fill the spool and hold back the stream senders (TCP,
    /// TLS, RELP), which keep the rest; beyond its share UDP datagrams are dropped and counted as <c>spool_full</c>.
    /// </summary>
    [Range(0.05, 1.0)]
    public double UdpShare { get; set; } = 0.5;

    /// <summary>Size at which a segment file is closed and a new one begun (default 64 MiB; at most a quarter of <see cref="MaxBytes"/> is used).</summary>
    [Range(64 * 1024, 4096 * MiB)]
    public long SegmentBytes { get; set; } = 64 * MiB;

    /// <summary>
    /// How often appended messages are synced to disk (default 200 ms). A plain TCP or UDP line received less
    /// than this long before a power loss or kernel crash may be lost; RELP acknowledges only synced messages.
    /// </summary>
    public TimeSpan SyncInterval { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>
    /// Whether spool files give their pages back to the kernel once synced or read (default true): the spool reads
    /// each byte at most once, so cached spool pages would only take memory from PostgreSQL's cache. Off keeps them
    /// cached, so that a replay reads from memory instead of the disk, at the price of up to <see cref="MaxBytes"/>
    /// of page cache.
    /// </summary>
    public bool ReleasePageCache { get; set; } = true;

    /// <summary>
    /// This collector's name in <c>spool_checkpoints</c> (default: the host name). Must differ between
    /// collectors that share a database, since each row records how far that collector's spool is committed.
    /// </summary>
    public string CollectorId { get; set; } = Environment.MachineName;

    /// <summary>
    /// The record format new segments are written in: always <see cref="SpoolSegment.CurrentVersion"/> in the daemon
    /// (not a setting: internal, so configuration cannot bind it). Tests write an earlier keyed format with it, to
    /// hold that format's replay to the same property tests as the current one's.
    /// </summary>
    internal int SegmentFormat { get; init; } = SpoolSegment.CurrentVersion;

    /// <summary>The segment size in effect: small spools get segments small enough that committed ones can be freed.</summary>
    public long EffectiveSegmentBytes => Math.Min(SegmentBytes, Math.Max(64 * 1024, MaxBytes / 4));
}
