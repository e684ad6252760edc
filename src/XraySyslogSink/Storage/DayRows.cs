namespace XraySyslogSink.Storage;

/// <summary>
/// The rows of a batch bound for one day's partition, as references into the batch's chunks, in an array kept from
/// batch to batch (<see cref="DayRowsPool"/>): a list per day grown to 25,000 rows and copied to an array for the COPY
/// allocated about 30 bytes per row, in the large object heap.
/// </summary>
internal sealed class DayRows
{
    private const int InitialRows = Core.RecordChunk.DefaultCapacity;

    private RowRef[] _rows = [];

    public int Count { get; private set; }

    /// <summary>The rows in order, for the COPY and its bisection.</summary>
    public ArraySegment<RowRef> Segment => new(_rows, 0, Count);

    public void Add(RowRef row)
    {
        if (Count == _rows.Length)
        {
            Array.Resize(ref _rows, Math.Max(InitialRows, _rows.Length * 2));
        }

        _rows[Count++] = row;
    }

    public void Clear() => Count = 0;
}
