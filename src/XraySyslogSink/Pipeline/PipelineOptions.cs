using System.ComponentModel.DataAnnotations;

namespace XraySyslogSink.Pipeline;

/// <summary>Options section <c>Pipeline</c>: queue sizes and parallelism between the stages.</summary>
public sealed class PipelineOptions
{
    public const string SectionName = "Pipeline";

    /// <summary>Parser workers running in parallel; 0 (default) means one per core.</summary>
    [Range(0, 256)]
    public int ParserWorkers { get; set; }

    /// <summary>
    /// Received messages waiting for a parser (default 65,536). When full, UDP datagrams are dropped and
    /// counted and TCP connections stop being read (backpressure).
    /// </summary>
    [Range(16, 16 * 1024 * 1024)]
    public int MessageQueueCapacity { get; set; } = 65_536;

    /// <summary>Parsed chunks (up to 512 records each) waiting for the writer (default 256).</summary>
    [Range(2, 1_000_000)]
    public int RecordQueueCapacity { get; set; } = 256;

    /// <summary>
    /// Dead letters stored per second at most (default 1000), so a sender of garbage cannot fill the
    /// database; the excess is counted as <c>xraysink.dead_letters.suppressed</c>.
    /// </summary>
    [Range(0, 1_000_000)]
    public int DeadLettersPerSecond { get; set; } = 1000;

    /// <summary>Bytes of the raw message kept in a dead letter (default 8192).</summary>
    [Range(64, 1024 * 1024)]
    public int DeadLetterMaxRawBytes { get; set; } = 8192;

    public int EffectiveParserWorkers => ParserWorkers > 0 ? ParserWorkers : Environment.ProcessorCount;
}
