namespace XraySyslogSink.Telemetry;

/// <summary>
/// What the metrics read from the spool (<c>xraysink.spool.*</c>). The spool implements it and registers itself
/// with <see cref="SinkMetrics.TrackSpool"/>, so telemetry observes the spool without depending on it.
/// </summary>
internal interface ISpoolGauges
{
    /// <summary>Bytes of segment files not yet freed.</summary>
    long Bytes { get; }

    /// <summary>Spool:MaxBytes, the size at which appends wait (TCP, RELP) or drop (UDP).</summary>
    long MaxBytes { get; }

    /// <summary>Messages appended since start.</summary>
    long Appended { get; }

    /// <summary>Messages forwarded to the parsers from disk since start.</summary>
    long Replayed { get; }

    /// <summary>Bytes skipped on replay because no trusted record started there (damage).</summary>
    long CorruptBytes { get; }

    /// <summary>Records that passed their check but broke the sequence rules on replay (not replayed).</summary>
    long RejectedRecords { get; }

    /// <summary>Replayed received-at times clamped into the plausible window.</summary>
    long ClampedTimes { get; }
}
