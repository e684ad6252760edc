using System.Buffers.Binary;
using System.Collections.Concurrent;
using XraySyslogSink.Spool;

namespace XraySyslogSink.Tests.Spool;

/// <summary>
/// Appenders on several threads at once, each sealing its records after the spool's lock, with the flusher, the
/// replay and the parsers running meanwhile: every message gets one number, arrives once and in order, and is on disk
/// in order under a valid MAC; a crash in the middle loses nothing that was durable.
/// </summary>
public sealed class SpoolConcurrentAppendTests
{
    private const int Threads = 4;

    /// <summary>Most messages an appender thread of the crash test appends before it stops by itself.</summary>
    private const int MaxPerThread = 50_000;

    /// <summary>How each appender thread appends: as a UDP receive thread, a stream connection, one by one, or a waiting RELP/TCP append.</summary>
    private enum AppendPath
    {
        Batch,
        InOrder,
        Single,
        Waiting,
    }

    [Fact]
    public async Task Every_path_on_several_threads_numbers_each_message_once_and_the_disk_holds_them_in_order_under_valid_macs()
    {
        const int PerThread = 3000;
        var files = new SimulatedFileSystem();
        SpoolHarness harness = await OpenAsync(files);
        var taken = new List<(long First, long Sequence, byte[] Payload, DateTimeOffset ReceivedAt)>();
        try
        {
            using var stop = new CancellationTokenSource();
            Task flusher = Task.Run(() => FlushUntil(harness, stop.Token));
            Task parsers = Task.Run(() => TakeUntil(harness, taken, stop.Token));
            Thread[] appenders = [.. Enumerable.Range(0, Threads).Select(t => new Thread(() => Append(harness, t, (AppendPath)t, PerThread)))];
            Array.ForEach(appenders, a => a.Start());
            Array.ForEach(appenders, a => a.Join());
            await stop.CancelAsync();
            await Task.WhenAll(flusher, parsers);
            taken.AddRange(await harness.DrainAsync());

            AssertEachOnceInOrder(taken, Threads * PerThread);
            Assert.True(harness.Spool.Replayed > 0, "the small queue should have sent most messages through the replay");
            Assert.Equal(0, harness.Spool.CorruptBytes);
            Assert.Equal(0, harness.Spool.RejectedRecords);
            harness.Sync();
            Assert.Equal(Threads * PerThread, harness.Spool.DurableSequence);
            Assert.Equal(0, files.WritesNotAtTheEnd);
        }
        finally
        {
            await harness.DisposeAsync();
        }

        // A new process reads every record back from disk, each checked by its MAC (no digests from this run).
        SpoolHarness reopened = await OpenAsync(files);
        try
        {
            List<(long First, long Sequence, byte[] Payload, DateTimeOffset ReceivedAt)> replayed = await reopened.DrainAsync();
            Assert.Equal(taken.Select(t => t.Sequence), replayed.Select(r => r.Sequence));
            Assert.Equal(taken.Select(t => Key(t.Payload)), replayed.Select(r => Key(r.Payload)));
            Assert.Equal(0, reopened.Spool.CorruptBytes);
            Assert.Equal(0, reopened.Spool.ReplayedByDigest);
        }
        finally
        {
            await reopened.DisposeAsync();
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public async Task A_crash_while_several_threads_append_loses_nothing_that_was_durable_and_replays_in_order(int seed)
    {
        var random = new Random(seed);
        var files = new SimulatedFileSystem();
        SpoolHarness harness = await OpenAsync(files);
        var appended = new ConcurrentDictionary<long, long>();
        long durable;
        using (var stop = new CancellationTokenSource())
        {
            var taken = new List<(long First, long Sequence, byte[] Payload, DateTimeOffset ReceivedAt)>();
            Task flusher = Task.Run(() => FlushUntil(harness, stop.Token));
            Task parsers = Task.Run(() => TakeUntil(harness, taken, stop.Token));
            Thread[] appenders = [.. Enumerable.Range(0, Threads).Select(t => new Thread(() => AppendUntil(harness, t, appended, stop.Token)))];
            Array.ForEach(appenders, a => a.Start());
            SpinWait.SpinUntil(() => harness.Spool.DurableSequence > 2000 + (seed * 500), TimeSpan.FromSeconds(30));

            // The power goes while the appenders, the flusher and the replay are all busy.
            durable = harness.Spool.DurableSequence;
            int keepPercent = random.Next(0, 101);
            files.Crash(unsynced => (int)((long)unsynced * keepPercent / 100));
            await stop.CancelAsync();
            Array.ForEach(appenders, a => a.Join());
            await Task.WhenAll(flusher, parsers);
            await harness.DisposeAsync();
            files.Restart();
        }

        Assert.True(durable > 2000, $"the flusher should have made messages durable, {durable} were");
        Assert.True(appended.Count < Threads * MaxPerThread, "the crash should come while appends go on");
        SpoolHarness reopened = await OpenAsync(files);
        try
        {
            List<(long First, long Sequence, byte[] Payload, DateTimeOffset ReceivedAt)> replayed = await reopened.DrainAsync();
            long previous = 0;
            foreach ((long first, long sequence, byte[] payload, _) in replayed)
            {
                Assert.True(sequence > previous, $"{sequence} after {previous}");
                Assert.Equal(previous + 1, first);
                Assert.Equal(appended[sequence], Key(payload));
                previous = sequence;
            }

            var arrived = replayed.Select(r => r.Sequence).ToHashSet();
            for (long sequence = 1; sequence <= durable; sequence++)
            {
                Assert.Contains(sequence, arrived);
            }
        }
        finally
        {
            await reopened.DisposeAsync();
        }
    }

    private static Task<SpoolHarness> OpenAsync(SimulatedFileSystem files) =>
        SpoolHarness.OpenAsync(files, checkpoint: 0, queueCapacity: 8, maxBytes: 512 * SpoolOptions.MiB, segmentBytes: SpoolOptions.MiB);

    /// <summary>What tells a message apart: its appender thread and its index there, in its first 8 bytes.</summary>
    private static long Key(byte[] payload) => BinaryPrimitives.ReadInt64LittleEndian(payload);

    private static byte[] Payload(int thread, int index)
    {
        // 40–339 bytes, as access lines vary; the rest of the bytes repeat the key so that a torn record shows.
        byte[] payload = new byte[40 + (((thread * 7919) + index) % 300)];
        long key = ((long)thread << 32) | (uint)index;
        for (int at = 0; at + 8 <= payload.Length; at += 8)
        {
            BinaryPrimitives.WriteInt64LittleEndian(payload.AsSpan(at), key);
        }

        return payload;
    }

    private static void Append(SpoolHarness harness, int thread, AppendPath path, int count)
    {
        const int Batch = 32;
        for (int index = 0; index < count; index += Batch)
        {
            byte[][] payloads = [.. Enumerable.Range(index, Math.Min(Batch, count - index)).Select(i => Payload(thread, i))];
            switch (path)
            {
                case AppendPath.Batch:
                    byte[] buffer = [.. payloads.SelectMany(p => p)];
                    MessageSlice[] slices = new MessageSlice[payloads.Length];
                    for (int i = 0, offset = 0; i < payloads.Length; offset += payloads[i].Length, i++)
                    {
                        slices[i] = new MessageSlice(offset, payloads[i].Length, SpoolHarness.Origin());
                    }

                    Assert.Equal(payloads.Length, harness.Spool.TryAppend(buffer, slices));
                    break;
                case AppendPath.InOrder:
                    Assert.Equal(payloads.Length, harness.Spool.TryAppendInOrder([.. payloads.Select(p => (ReadOnlyMemory<byte>)p)], SpoolHarness.Origin()));
                    break;
                case AppendPath.Single:
                    Assert.All(payloads, p => Assert.True(harness.TryAppend(p, out _)));
                    break;
                default:
                    foreach (byte[] payload in payloads)
                    {
                        harness.Spool.AppendAsync(SpoolHarness.Message(payload), CancellationToken.None).AsTask().GetAwaiter().GetResult();
                    }

                    break;
            }
        }
    }

    /// <summary>Appends one by one until stopped (at most <see cref="MaxPerThread"/>), keeping which message got which number.</summary>
    private static void AppendUntil(SpoolHarness harness, int thread, ConcurrentDictionary<long, long> appended, CancellationToken stop)
    {
        for (int index = 0; index < MaxPerThread && !stop.IsCancellationRequested; index++)
        {
            byte[] payload = Payload(thread, index);
            if (harness.TryAppend(payload, out long sequence))
            {
                appended[sequence] = Key(payload);
            }

            // Not far ahead of the flusher, so that the replay after the crash has a bounded amount to read.
            while (sequence - harness.Spool.DurableSequence > 4000 && !stop.IsCancellationRequested)
            {
                Thread.Sleep(1);
            }
        }
    }

    private static async Task FlushUntil(SpoolHarness harness, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            harness.Spool.SyncOnce();
            await Task.Delay(2, CancellationToken.None);
        }
    }

    private static async Task TakeUntil(SpoolHarness harness, List<(long First, long Sequence, byte[] Payload, DateTimeOffset ReceivedAt)> taken, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            List<(long First, long Sequence, byte[] Payload, DateTimeOffset ReceivedAt)> now = harness.TakeAvailable();
            taken.AddRange(now);
            if (now.Count == 0)
            {
                await Task.Delay(1, CancellationToken.None);
            }
        }
    }

    /// <summary>Numbers 1 to <paramref name="count"/>, each once, in order, without gaps; each thread's messages in the order it appended them.</summary>
    private static void AssertEachOnceInOrder(List<(long First, long Sequence, byte[] Payload, DateTimeOffset ReceivedAt)> taken, int count)
    {
        Assert.Equal(Enumerable.Range(1, count).Select(i => (long)i), taken.Select(t => t.Sequence));
        Assert.Equal(taken.Select(t => t.Sequence), taken.Select(t => t.First));
        var next = new int[Threads];
        foreach ((_, _, byte[] payload, _) in taken)
        {
            long key = Key(payload);
            int thread = (int)(key >> 32);
            Assert.Equal(next[thread], (int)key);
            Assert.Equal(Payload(thread, next[thread]), payload);
            next[thread]++;
        }
    }
}
