namespace XraySyslogSink.Core;

/// <summary>One batch's place in its <see cref="CommitOrder"/>: what the writer and the store tell each other about it.</summary>
internal sealed class CommitTurn
{
    private readonly CommitOrder _order;
    private CommitTurn? _previous;
    private CommitTurn? _next;
    private bool _inAttempt;
    private bool _rowsWritten;
    private bool _failed;

    internal CommitTurn(CommitOrder order, CommitTurn? previous)
    {
        _order = order;
        _previous = previous;
        if (previous is not null)
        {
            previous._next = this;
        }
    }

    /// <summary>Whether the batch has committed (read under the order's lock).</summary>
    internal bool IsCommitted { get; private set; }

    /// <summary>
    /// Waits until this batch may begin writing its rows: its predecessor has committed, or has written its rows
    /// on its first attempt and waits only for its own commit. The writer waits for this before collecting a further batch, which bounds the batches
    /// in memory.
    /// </summary>
    public Task ReadyAsync(CancellationToken cancellationToken) => _order.WaitUntilAsync(MayBegin, null, cancellationToken);

    /// <summary>
    /// Waits until this batch may begin an attempt (<see cref="ReadyAsync"/>; and after a failure of its own, until
    /// its successor holds no rows written), then marks it as writing. The writer calls it before each attempt.
    /// </summary>
    public Task BeginAttemptAsync(CancellationToken cancellationToken) =>
        _order.WaitUntilAsync(
            () => MayBegin() && (!_failed || _next is not { _inAttempt: true }),
            () =>
            {
                _inAttempt = true;
                _rowsWritten = false;
            },
            cancellationToken);

    /// <summary>The store has written this batch's rows; the successor may begin writing its own (the store calls it).</summary>
    public void RowsWritten() => _order.Change(() => _rowsWritten = true);

    /// <summary>
    /// Waits until the predecessor has committed (the store calls it before it advances the checkpoint); throws
    /// <see cref="PredecessorFailedException"/> when the predecessor failed first, so that the store rolls back.
    /// </summary>
    public async Task PredecessorCommittedAsync(CancellationToken cancellationToken)
    {
        bool failed = false;
        await _order.WaitUntilAsync(
            () =>
            {
                failed = _previous is { IsCommitted: false, _failed: true };
                return failed || _previous is null || _previous.IsCommitted;
            },
            null,
            cancellationToken);
        if (failed)
        {
            throw new PredecessorFailedException();
        }
    }

    /// <summary>The attempt committed (the writer calls it); the predecessor is forgotten, so turns do not chain up.</summary>
    public void Committed() => _order.Change(() =>
    {
        IsCommitted = true;
        _inAttempt = false;
        _previous = null;
        if (_next is not null)
        {
            _next._previous = null;
            _next = null;
        }
    });

    /// <summary>The attempt failed or was given up (the writer calls it): from now on this batch and its successor do not overlap.</summary>
    public void Failed() => _order.Change(() =>
    {
        _failed = true;
        _inAttempt = false;
    });

    // At most two batches hold a transaction: the predecessor may be overlapped only while it waits for nothing but its
    // own commit (its own predecessor has committed, which unlinked it).
    private bool MayBegin() =>
        _previous is null || _previous.IsCommitted || (_previous is { _rowsWritten: true, _failed: false, _previous: null });
}
