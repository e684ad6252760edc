namespace XraySyslogSink.Storage;

/// <summary>
/// The <see cref="DayRows"/> of committed batches, kept for the next ones: the writer holds one batch committing and one
/// prepared, each with a list per day it spans, so a few lists serve every batch.
/// </summary>
internal sealed class DayRowsPool
{
    /// <summary>More than two batches spanning a UTC midnight need; a list beyond it is left to the collector.</summary>
    private const int MaxIdle = 8;

    private readonly Stack<DayRows> _idle = new();

    public DayRows Rent()
    {
        lock (_idle)
        {
            return _idle.TryPop(out DayRows? rows) ? rows : new DayRows();
        }
    }

    /// <summary>Takes back a list of a batch that is done; it must not be used afterwards.</summary>
    public void Return(DayRows rows)
    {
        rows.Clear();
        lock (_idle)
        {
            if (_idle.Count < MaxIdle)
            {
                _idle.Push(rows);
            }
        }
    }
}
