using CsCheck;
using XraySyslogSink.Core;

namespace XraySyslogSink.Tests.Spool;

/// <summary>
/// The spool against a model of what it promises, over random runs of appends (with and without the node identity
/// a listener established), syncs, parser reads, commits, and crashes that lose or damage unsynced bytes followed by
/// restarts, on the simulated file system. Every message arrives with the identity it was accepted under, from memory
/// or replayed from disk.
/// </summary>
public sealed class SpoolModelTests
{
    private abstract record Step;

    private sealed record Append(int Length, int Node) : Step;

    private sealed record Sync : Step;

    private sealed record Read(int Count) : Step;

    private sealed record Commit : Step;

    private sealed record Crash(int KeepPercent, bool Damage, int DamageAt) : Step;

    /// <summary>The identities appends draw from (index 0 of an append: none); names of every length and script a listener may vouch for.</summary>
    private static readonly NodeIdentity[] Nodes =
    [
        new("node-1", NodeIdentitySource.Certificate),
        new("node-1", NodeIdentitySource.Network),
        new("site-fra", NodeIdentitySource.Network),
        new("узел-токио", NodeIdentitySource.Certificate),
        new("n", NodeIdentitySource.Certificate),
        new(new string('x', NodeIdentity.MaxNameLength), NodeIdentitySource.Network),
    ];

    private static readonly Gen<Step> Steps = Gen.Frequency(
        (40, Gen.Select(Gen.Int[0, 300], Gen.Int[0, Nodes.Length]).Select((n, node) => (Step)new Append(n, node))),
        (10, Gen.Const((Step)new Sync())),
        (20, Gen.Int[1, 8].Select(n => (Step)new Read(n))),
        (10, Gen.Const((Step)new Commit())),
        (4, Gen.Select(Gen.Int[0, 100], Gen.Bool, Gen.Int[0, 1_000_000]).Select((k, d, at) => (Step)new Crash(k, d, at))));

    [Fact]
    public void Random_runs_with_crashes_keep_order_never_repeat_a_line_and_lose_nothing_durable()
    {
        Steps.Array[1, 120].Sample(steps => RunAsync(steps).GetAwaiter().GetResult(), iter: 150, threads: 1);
    }

    /// <summary>Plays <paramref name="steps"/> and checks the spool's promises after each read and at the end.</summary>
    private static async Task RunAsync(Step[] steps)
    {
        var files = new SimulatedFileSystem();
        var payloads = new Dictionary<long, byte[]>();
        var nodes = new Dictionary<long, NodeIdentity>();
        var mustArrive = new SortedSet<long>(); // durable at a crash and not committed: must be replayed
        var appendedThisRun = new List<long>();
        var takenThisRun = new List<long>();
        long checkpoint = 0;
        long lastTaken = 0;
        long expectedFirst = 1;
        int counter = 0;
        SpoolHarness spool = await SpoolHarness.OpenAsync(files, checkpoint, segmentBytes: 4096, maxBytes: 64 * 1024 * 1024);
        try
        {
            void Take(IEnumerable<(long First, long Sequence, byte[] Payload, DateTimeOffset ReceivedAt)> messages)
            {
                foreach ((long first, long sequence, byte[] payload, _) in messages)
                {
                    Assert.True(sequence > lastTaken, $"message {sequence} after {lastTaken}: out of order or repeated");
                    Assert.Equal(expectedFirst, first);
                    Assert.True(first <= sequence);
                    Assert.Equal(payloads[sequence], payload);
                    Assert.Equal(nodes[sequence], spool.TakenNodes[sequence]);
                    lastTaken = sequence;
                    expectedFirst = sequence + 1;
                    takenThisRun.Add(sequence);
                }
            }

            foreach (Step step in steps)
            {
                switch (step)
                {
                    case Append append:
                        byte[] payload = Payload(++counter, append.Length);
                        NodeIdentity node = append.Node == 0 ? default : Nodes[append.Node - 1];
                        if (spool.TryAppend(payload, node, out long sequence))
                        {
                            nodes[sequence] = node;
                            // A number may come again only if its first message was lost before it was durable or committed.
                            Assert.False(mustArrive.Contains(sequence), $"sequence {sequence} reused while its message must still arrive");
                            Assert.True(sequence > checkpoint);
                            payloads[sequence] = payload;
                            appendedThisRun.Add(sequence);
                        }

                        break;
                    case Sync:
                        spool.Sync();
                        break;
                    case Read read:
                        Take(spool.TakeAvailable(read.Count));
                        break;
                    case Commit:
                        // The writer commits what the parsers took, with the checkpoint in the same transaction.
                        checkpoint = Math.Max(checkpoint, lastTaken);
                        spool.Spool.Committed(checkpoint);
                        mustArrive.RemoveWhere(s => s <= checkpoint);
                        break;
                    case Crash crash:
                        long durable = spool.Spool.DurableSequence;
                        foreach (long s in appendedThisRun)
                        {
                            if (s <= durable && s > checkpoint)
                            {
                                mustArrive.Add(s);
                            }
                        }

                        await spool.CrashAsync(
                            unsynced => (int)((long)unsynced * crash.KeepPercent / 100),
                            crash.Damage ? (bytes, from) => Damage(bytes, from, crash.DamageAt) : null);
                        spool = await SpoolHarness.OpenAsync(files, checkpoint, segmentBytes: 4096, maxBytes: 64 * 1024 * 1024);
                        appendedThisRun.Clear();
                        takenThisRun.Clear();
                        lastTaken = checkpoint;
                        expectedFirst = checkpoint + 1;
                        break;
                }
            }

            Take(await spool.DrainAsync());
            var taken = new HashSet<long>(takenThisRun);
            Assert.All(mustArrive, s => Assert.Contains(s, taken));
            Assert.All(appendedThisRun, s => Assert.Contains(s, taken));

            // Everything committed: the segments go, but for the active one.
            spool.Spool.Committed(lastTaken);
            spool.Sync();
            Assert.True(files.Paths.Count(p => p.EndsWith(".seg", StringComparison.Ordinal)) <= 1, string.Join(", ", files.Paths));
        }
        finally
        {
            await spool.DisposeAsync();
        }
    }

    /// <summary>A payload that tells its message apart: the counter, repeated.</summary>
    private static byte[] Payload(int counter, int length)
    {
        byte[] payload = new byte[length];
        for (int i = 0; i < length; i++)
        {
            payload[i] = (byte)(counter + (i * 31));
        }

        return payload;
    }

    /// <summary>Flips a byte in the unsynced stretch that survived the crash.</summary>
    private static void Damage(byte[] bytes, int from, int at)
    {
        if (bytes.Length > from)
        {
            bytes[from + (at % (bytes.Length - from))] ^= 0x5A;
        }
    }
}
