namespace XraySyslogSink.Spool;

/// <summary>What the writer tells the spool: how far the database has committed, so older segments can go.</summary>
internal interface ISpoolProgress
{
    /// <summary>The highest sequence number committed to the database when the spool opened, or since.</summary>
    long CommittedSequence { get; }

    /// <summary>Every message up to <paramref name="sequence"/> is committed (with the checkpoint, in one transaction).</summary>
    void Committed(long sequence);
}
