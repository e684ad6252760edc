namespace XraySyslogSink.Tests;

/// <summary>
/// The bytes a warm path allocates on the test's thread. Under load the runtime occasionally allocated a few
/// hundred bytes on that thread in the middle of a measured loop (seen in the parser's and the record builder's
/// tests, which passed alone); a per-call allocation shows in every round, so the least of a few rounds tells the
/// path's own allocation apart from such a one-off.
/// </summary>
internal static class SteadyStateAllocation
{
    /// <summary>How many times <see cref="Measure"/> calls its round after the warm-up.</summary>
    public const int Rounds = 3;

    /// <summary>Calls <paramref name="round"/> once to warm up, then <see cref="Rounds"/> times measured; the least bytes of one round.</summary>
    public static long Measure(Action round)
    {
        round();
        long least = long.MaxValue;
        for (int i = 0; i < Rounds; i++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            round();
            least = Math.Min(least, GC.GetAllocatedBytesForCurrentThread() - before);
        }

        return least;
    }
}
