using Npgsql;

namespace XraySyslogSink.Storage;

/// <summary>
/// A high-water mark committed in the same transaction as a batch's rows, so that a batch is stored exactly once:
/// the spool's sequence number of a collector (<see cref="SpoolCheckpoint"/>) or the lines of an imported file.
/// </summary>
internal interface IBatchCheckpoint
{
    /// <summary>Moves the mark to <paramref name="sequence"/>; false when it was already there or beyond (nothing to write).</summary>
    Task<bool> AdvanceAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, long sequence, CancellationToken cancellationToken);
}

/// <summary>The <c>spool_checkpoints</c> row of one collector.</summary>
internal sealed class SpoolCheckpoint(string collectorId) : IBatchCheckpoint
{
    public string CollectorId { get; } = collectorId;

    public Task<bool> AdvanceAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, long sequence, CancellationToken cancellationToken) =>
        SpoolCheckpoints.AdvanceAsync(connection, transaction, CollectorId, sequence, cancellationToken);
}
