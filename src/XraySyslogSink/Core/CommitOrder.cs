namespace XraySyslogSink.Core;

/// <summary>
/// The order in which the writer's batches commit, with one overlap allowed: batch N+1 may write its rows while batch
/// N commits, so that the database copies rows while it waits for N's commit to reach the disk. N+1 still advances
/// the checkpoint and commits only after N has committed (<see cref="CommitTurn"/>), so every commit covers a
/// contiguous range and a checkpoint never passes rows that are not stored.
/// </summary>
/// <remarks>
/// The overlap is only for the way without failures. Once a batch fails, its successor gives up the rows it wrote
/// (the store rolls back) before the batch tries again, and begins again only after the batch has committed: a retry
/// may create a dropped partition, whose lock would wait for the successor's open transaction, which waits for the
/// retry. All turns share one lock, so a turn's state and its neighbour's are read and changed together.
/// </remarks>
internal sealed class CommitOrder
{
    private readonly Lock _gate = new();
    private TaskCompletionSource _changed = NewSignal();
    private CommitTurn? _last;

    /// <summary>The turn of the next batch, after every turn handed out before.</summary>
    public CommitTurn Next()
    {
        lock (_gate)
        {
            var turn = new CommitTurn(this, _last is { IsCommitted: false } ? _last : null);
            _last = turn;
            return turn;
        }
    }

    /// <summary>Changes state under the shared lock and wakes every waiter to look again.</summary>
    internal void Change(Action change)
    {
        TaskCompletionSource changed;
        lock (_gate)
        {
            change();
            changed = _changed;
            _changed = NewSignal();
        }

        changed.TrySetResult();
    }

    /// <summary>Waits until <paramref name="condition"/> holds (read under the shared lock), then runs <paramref name="then"/> under it.</summary>
    internal async Task WaitUntilAsync(Func<bool> condition, Action? then, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task changed;
            lock (_gate)
            {
                if (condition())
                {
                    then?.Invoke();
                    break;
                }

                changed = _changed.Task;
            }

            await changed.WaitAsync(cancellationToken);
        }
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
