using System.ComponentModel.DataAnnotations;
using XraySyslogSink.Core;

namespace XraySyslogSink.Pipeline;

/// <summary>Options section <c>Pipeline</c>: queue sizes and parallelism between the stages.</summary>
internal sealed class PipelineOptions
{
    public const string SectionName = "Pipeline";

    /// <summary>What one parsed record may take in memory at most, for the start-up check of the queues' worst case.</summary>
    public const long RecordBytesBound = 1024;

    private const long MiB = 1024 * 1024;

    /// <summary>Parser workers running in parallel; 0 (default) means one per core.</summary>
    [Range(0, 256)]
    public int ParserWorkers { get; set; }

    /// <summary>
    /// Received messages waiting for a parser (default 65,536). When full, UDP datagrams are dropped and
    /// counted and TCP connections stop being read (backpressure).
    /// </summary>
    [Range(16, 16 * 1024 * 1024)]
    public int MessageQueueCapacity { get; set; } = 65_536;

    /// <summary>
    /// Bytes of received messages held in memory for the parsers (default 64 MiB), whatever their sizes. Beyond it
    /// messages wait in the spool on disk and are replayed from there, so memory stays bounded however long the
    /// database is down and however large the messages.
    /// </summary>
    [Range(MiB, 16 * 1024 * MiB)]
    public long MessageQueueBytes { get; set; } = 64 * MiB;

    /// <summary>
    /// The most memory the queues between the stages may be configured to hold (default 512 MiB): at start, the
    /// message queue's bytes plus the record queue's and the writer batch's worst case must stay below it, or the
    /// daemon refuses to start naming the keys.
    /// </summary>
    [Range(16 * MiB, 1024 * 1024 * MiB)]
    public long QueueMemoryLimit { get; set; } = 512 * MiB;

    /// <summary>Parsed chunks (up to 512 records each) waiting for the writer (default 256).</summary>
    [Range(2, 1_000_000)]
    public int RecordQueueCapacity { get; set; } = 256;

    /// <summary>
    /// Dead letters stored per second at most, from all sources together (default 1000), so a sender of garbage cannot
    /// fill the database; the excess is counted as <c>xraysink.dead_letters.suppressed{limit="rate"}</c>.
    /// </summary>
    [Range(0, 1_000_000)]
    public int DeadLettersPerSecond { get; set; } = 1000;

    /// <summary>
    /// Bytes of dead letters stored per UTC day at most, from all sources together (default 1 GiB): the volume bound
    /// (with <c>Retention:DeadLetterDays</c>, the disk bound); the excess is counted (<c>limit="volume"</c>).
    /// </summary>
    [Range(0, 1024 * 1024 * MiB)]
    public long DeadLetterBytesPerDay { get; set; } = 1024 * MiB;

    /// <summary>
    /// What one source (its /24 or /64) may take of <see cref="DeadLettersPerSecond"/> and of
    /// <see cref="DeadLetterBytesPerDay"/>, in percent (default 10), so one sender of garbage cannot crowd out the
    /// dead letters of the others; its excess is counted (<c>limit="source_rate"</c> or <c>"source_volume"</c>).
    /// </summary>
    [Range(1, 100)]
    public int DeadLetterSourceSharePercent { get; set; } = 10;

    /// <summary>Bytes of the raw message kept in a dead letter (default 8192).</summary>
    [Range(64, 1024 * 1024)]
    public int DeadLetterMaxRawBytes { get; set; } = 8192;

    /// <summary>Memory the queues may hold at most: the message queue's bytes and a full record queue.</summary>
    public long QueueMemoryBound => MessageQueueBytes + ((long)RecordQueueCapacity * RecordChunk.DefaultCapacity * RecordBytesBound);

    public int EffectiveParserWorkers => ParserWorkers > 0 ? ParserWorkers : Environment.ProcessorCount;
}
