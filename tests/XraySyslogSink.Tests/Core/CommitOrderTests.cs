using System.Runtime.CompilerServices;
using XraySyslogSink.Core;

namespace XraySyslogSink.Tests.Core;

/// <summary>
/// The rules by which two batches' commits overlap, played out by hand in the roles the writer (begin, committed,
/// failed) and the store (rows written, wait for the predecessor) take.
/// </summary>
public sealed class CommitOrderTests
{
    private static readonly TimeSpan Settle = TimeSpan.FromMilliseconds(50);
    private readonly CancellationToken _token = new CancellationTokenSource(TimeSpan.FromSeconds(30)).Token;

    [Fact]
    public async Task The_next_batch_begins_once_the_previous_has_written_its_rows_and_commits_after_it()
    {
        var order = new CommitOrder();
        CommitTurn first = order.Next();
        CommitTurn second = order.Next();
        await first.BeginAttemptAsync(_token);

        Task ready = second.ReadyAsync(_token);
        await AssertWaitingAsync(ready);
        first.RowsWritten();
        await ready;

        await second.BeginAttemptAsync(_token);
        second.RowsWritten();
        Task mayCommit = second.PredecessorCommittedAsync(_token);
        await AssertWaitingAsync(mayCommit);
        first.Committed();
        await mayCommit;
        second.Committed();
    }

    [Fact]
    public async Task The_first_batch_and_a_batch_after_a_committed_one_wait_for_nothing()
    {
        var order = new CommitOrder();
        CommitTurn first = order.Next();
        await first.ReadyAsync(_token);
        await first.BeginAttemptAsync(_token);
        first.RowsWritten();
        await first.PredecessorCommittedAsync(_token);
        first.Committed();

        CommitTurn second = order.Next();
        await second.BeginAttemptAsync(_token);
        await second.PredecessorCommittedAsync(_token);
    }

    [Fact]
    public async Task A_failure_makes_the_waiting_successor_roll_back_before_the_retry_and_wait_for_the_commit()
    {
        (CommitTurn first, CommitTurn second) = await OverlappedAsync(secondWroteRows: true);
        Task mayCommit = second.PredecessorCommittedAsync(_token);

        first.Failed();
        await Assert.ThrowsAsync<PredecessorFailedException>(() => mayCommit);

        // The retry waits until the successor has rolled back (the writer marks its attempt failed).
        Task retry = first.BeginAttemptAsync(_token);
        await AssertWaitingAsync(retry);
        second.Failed();
        await retry;

        // After a failure the two no longer overlap: the successor begins only once the batch has committed.
        Task secondAgain = second.BeginAttemptAsync(_token);
        first.RowsWritten();
        await AssertWaitingAsync(secondAgain);
        first.Committed();
        await secondAgain;
        await second.PredecessorCommittedAsync(_token);
    }

    [Fact]
    public async Task A_successor_still_writing_when_the_batch_fails_finds_out_at_its_commit_and_holds_up_the_retry_until_then()
    {
        (CommitTurn first, CommitTurn second) = await OverlappedAsync(secondWroteRows: false);

        first.Failed();
        Task retry = first.BeginAttemptAsync(_token);
        await AssertWaitingAsync(retry);

        second.RowsWritten();
        await Assert.ThrowsAsync<PredecessorFailedException>(() => second.PredecessorCommittedAsync(_token));
        second.Failed();
        await retry;
    }

    [Fact]
    public async Task A_batch_that_has_not_begun_does_not_hold_up_its_predecessors_retry()
    {
        var order = new CommitOrder();
        CommitTurn first = order.Next();
        CommitTurn second = order.Next();
        await first.BeginAttemptAsync(_token);
        first.Failed();

        await first.BeginAttemptAsync(_token);
        Task secondBegins = second.BeginAttemptAsync(_token);
        first.RowsWritten();
        await AssertWaitingAsync(secondBegins);
        first.Committed();
        await secondBegins;
    }

    [Fact]
    public async Task A_third_batch_waits_while_the_second_waits_out_a_failure()
    {
        var order = new CommitOrder();
        CommitTurn first = order.Next();
        CommitTurn second = order.Next();
        CommitTurn third = order.Next();
        await first.BeginAttemptAsync(_token);
        first.RowsWritten();
        await second.BeginAttemptAsync(_token);
        second.RowsWritten();
        first.Failed();
        await Assert.ThrowsAsync<PredecessorFailedException>(() => second.PredecessorCommittedAsync(_token));
        second.Failed();

        Task thirdReady = third.ReadyAsync(_token);
        await first.BeginAttemptAsync(_token);
        first.RowsWritten();
        first.Committed();
        await second.BeginAttemptAsync(_token);
        await AssertWaitingAsync(thirdReady);
        second.RowsWritten();
        await AssertWaitingAsync(thirdReady);
        await second.PredecessorCommittedAsync(_token);
        second.Committed();
        await thirdReady;
    }

    [Fact]
    public async Task Waiting_ends_when_the_writer_gives_up()
    {
        var order = new CommitOrder();
        CommitTurn first = order.Next();
        CommitTurn second = order.Next();
        await first.BeginAttemptAsync(_token);
        using var stop = new CancellationTokenSource();

        Task ready = second.ReadyAsync(stop.Token);
        await stop.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => ready);
    }

    [Fact]
    public async Task Committed_turns_are_not_kept_alive_by_later_ones()
    {
        var order = new CommitOrder();
        WeakReference committed = await CommitOneAsync(order);
        CommitTurn next = order.Next();

        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();

        Assert.False(committed.IsAlive);
        await next.BeginAttemptAsync(_token);
    }

    /// <summary>Two turns: the first has written its rows and waits to commit, the second has begun (and, if asked, written its rows).</summary>
    private async Task<(CommitTurn First, CommitTurn Second)> OverlappedAsync(bool secondWroteRows)
    {
        var order = new CommitOrder();
        CommitTurn first = order.Next();
        CommitTurn second = order.Next();
        await first.BeginAttemptAsync(_token);
        first.RowsWritten();
        await second.BeginAttemptAsync(_token);
        if (secondWroteRows)
        {
            second.RowsWritten();
        }

        return (first, second);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private async Task<WeakReference> CommitOneAsync(CommitOrder order)
    {
        CommitTurn turn = order.Next();
        CommitTurn follower = order.Next();
        await turn.BeginAttemptAsync(_token);
        turn.RowsWritten();
        turn.Committed();
        await follower.BeginAttemptAsync(_token);
        follower.RowsWritten();
        await follower.PredecessorCommittedAsync(_token);
        follower.Committed();
        return new WeakReference(turn);
    }

    private static async Task AssertWaitingAsync(Task task)
    {
        await Task.WhenAny(task, Task.Delay(Settle));
        Assert.False(task.IsCompleted, "expected the call to wait");
    }
}
