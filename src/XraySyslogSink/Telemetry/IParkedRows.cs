namespace XraySyslogSink.Telemetry;

/// <summary>
/// What the metrics read from the daemon's cap on new dimension values (<c>xraysink.dimension_values.parked*</c>).
/// The cap implements it and the host registers it with <see cref="SinkMetrics.TrackNewValues"/>.
/// </summary>
internal interface IParkedRows
{
    /// <summary>Dead letters of parked rows over the dead-letter rate: counted, not stored.</summary>
    long SuppressedDeadLetters { get; }

    /// <summary>Rows stored with a new value set NULL, by dimension table name.</summary>
    IEnumerable<KeyValuePair<string, long>> ParkedRows();
}
