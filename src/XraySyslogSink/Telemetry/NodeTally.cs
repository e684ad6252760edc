namespace XraySyslogSink.Telemetry;

/// <summary>
/// One stage's per-node counts since its last <see cref="ReportTo"/>: plain arrays indexed by the
/// <see cref="NodeSeries"/> slot, so counting a line costs no synchronisation; reported once per chunk or batch.
/// Not thread-safe: each parser worker and the writer own one.
/// </summary>
internal sealed class NodeTally
{
    private readonly long[] _lines;
    private readonly long[] _rows;
    private readonly long[] _deadLetters;
    private readonly long[] _lastSeen;
    private readonly List<int> _touched = [];
    private readonly bool[] _isTouched;

    public NodeTally(NodeSeries series)
    {
        ArgumentNullException.ThrowIfNull(series);
        int slots = series.SlotCount;
        _lines = new long[slots];
        _rows = new long[slots];
        _deadLetters = new long[slots];
        _lastSeen = new long[slots];
        _isTouched = new bool[slots];
    }

    public void Line(int slot, long unixSeconds)
    {
        Touch(slot);
        _lines[slot]++;
        if (unixSeconds > _lastSeen[slot])
        {
            _lastSeen[slot] = unixSeconds;
        }
    }

    public void Rows(int slot, long rows)
    {
        Touch(slot);
        _rows[slot] += rows;
    }

    public void DeadLetter(int slot)
    {
        Touch(slot);
        _deadLetters[slot]++;
    }

    /// <summary>Adds the counts to <paramref name="series"/> and starts over.</summary>
    public void ReportTo(NodeSeries series)
    {
        ArgumentNullException.ThrowIfNull(series);
        foreach (int slot in _touched)
        {
            if (_lines[slot] > 0)
            {
                series.AddLines(slot, _lines[slot]);
            }

            if (_rows[slot] > 0)
            {
                series.AddRows(slot, _rows[slot]);
            }

            if (_deadLetters[slot] > 0)
            {
                series.AddDeadLetters(slot, _deadLetters[slot]);
            }

            if (_lastSeen[slot] > 0)
            {
                series.Seen(slot, _lastSeen[slot]);
            }

            _lines[slot] = _rows[slot] = _deadLetters[slot] = _lastSeen[slot] = 0;
            _isTouched[slot] = false;
        }

        _touched.Clear();
    }

    private void Touch(int slot)
    {
        if (!_isTouched[slot])
        {
            _isTouched[slot] = true;
            _touched.Add(slot);
        }
    }
}
