using System.Text;
using XraySyslogSink.Core;
using XraySyslogSink.Spool;

namespace XraySyslogSink.Tests.Spool;

/// <summary>The spool's append of a caller's bytes (a UDP receive slot) and of several messages under one lock.</summary>
public sealed class SpoolBatchAppendTests
{
    [Fact]
    public async Task A_batch_is_appended_in_order_with_contiguous_numbers_each_with_its_own_bytes_and_origin()
    {
        await using SpoolHarness harness = await SpoolHarness.OpenAsync(new SimulatedFileSystem(), checkpoint: 0, queueCapacity: 64);
        var node = new NodeIdentity("edge-1", NodeIdentitySource.Network);
        (byte[] buffer, MessageSlice[] slices) = Batch(
            ("<14>first", SpoolHarness.Origin(SpoolHarness.Now)),
            ("<14>second, from a node", SpoolHarness.Origin(SpoolHarness.Now.AddSeconds(1), node)),
            ("<14>third", SpoolHarness.Origin(SpoolHarness.Now.AddSeconds(2))));

        Assert.Equal(3, harness.Spool.TryAppend(buffer, slices));

        List<(long First, long Sequence, byte[] Payload, DateTimeOffset ReceivedAt)> taken = await harness.DrainAsync();
        Assert.Equal([1L, 2L, 3L], taken.Select(t => t.Sequence));
        Assert.Equal(["<14>first", "<14>second, from a node", "<14>third"], taken.Select(t => Encoding.ASCII.GetString(t.Payload)));
        Assert.Equal(slices.Select(s => s.Origin.ReceivedAt), taken.Select(t => t.ReceivedAt));
        Assert.Equal(node, harness.TakenNodes[2]);
        Assert.Equal(default, harness.TakenNodes[1]);
    }

    [Fact]
    public async Task A_message_of_a_batch_that_does_not_fit_is_refused_and_the_others_are_appended()
    {
        await using SpoolHarness harness = await SpoolHarness.OpenAsync(new SimulatedFileSystem(), checkpoint: 0, queueCapacity: 64, maxBytes: 16 * 1024);
        (byte[] buffer, MessageSlice[] slices) = Batch(
            ("<14>small", SpoolHarness.Origin()),
            (new string('x', 20 * 1024), SpoolHarness.Origin()),
            ("<14>small too", SpoolHarness.Origin()));

        Assert.Equal(2, harness.Spool.TryAppend(buffer, slices));

        List<(long First, long Sequence, byte[] Payload, DateTimeOffset ReceivedAt)> taken = await harness.DrainAsync();
        Assert.Equal(["<14>small", "<14>small too"], taken.Select(t => Encoding.ASCII.GetString(t.Payload)));
        Assert.Equal([1L, 2L], taken.Select(t => t.Sequence));
    }

    [Fact]
    public async Task Frames_appended_in_order_stop_at_the_first_the_spool_refuses_so_none_after_it_overtakes_it()
    {
        // A stream's frames: the large one does not fit, so the small one after it must wait with it (its sender's
        // order), unlike a UDP batch's datagrams.
        await using SpoolHarness harness = await SpoolHarness.OpenAsync(new SimulatedFileSystem(), checkpoint: 0, queueCapacity: 64, maxBytes: 16 * 1024);
        ReadOnlyMemory<byte>[] frames = [.. new[] { "<14>first", "<14>second", new string('x', 20 * 1024), "<14>after" }.Select(t => (ReadOnlyMemory<byte>)Encoding.ASCII.GetBytes(t))];

        Assert.Equal(2, harness.Spool.TryAppendInOrder(frames, SpoolHarness.Origin()));
        Assert.Equal(0, harness.Spool.TryAppendInOrder(frames.AsSpan(2), SpoolHarness.Origin()));

        List<(long First, long Sequence, byte[] Payload, DateTimeOffset ReceivedAt)> taken = await harness.DrainAsync();
        Assert.Equal(["<14>first", "<14>second"], taken.Select(t => Encoding.ASCII.GetString(t.Payload)));
        Assert.Equal([1L, 2L], taken.Select(t => t.Sequence));
    }

    [Fact]
    public async Task Bytes_appended_while_the_queue_is_full_reach_the_parsers_from_disk_unchanged()
    {
        // Two go to the queue in memory; the third finds it full (its copy is given back at once) and starts the
        // replay, which forwards it and every later one from the spool.
        await using SpoolHarness harness = await SpoolHarness.OpenAsync(new SimulatedFileSystem(), checkpoint: 0, queueCapacity: 2);
        string[] sent = [.. Enumerable.Range(0, 12).Select(i => $"<14>line {i}")];
        foreach (string text in sent)
        {
            Assert.True(harness.Spool.TryAppend(Encoding.ASCII.GetBytes(text), SpoolHarness.Origin(), out _));
        }

        Assert.True(harness.Spool.Replaying);
        List<(long First, long Sequence, byte[] Payload, DateTimeOffset ReceivedAt)> taken = await harness.DrainAsync();
        Assert.Equal(sent, taken.Select(t => Encoding.ASCII.GetString(t.Payload)));
        Assert.Equal(Enumerable.Range(1, sent.Length).Select(i => (long)i), taken.Select(t => t.Sequence));
    }

    /// <summary>The texts one after another in one buffer, as a receive thread's slots hold a batch.</summary>
    internal static (byte[] Buffer, MessageSlice[] Slices) Batch(params (string Text, MessageOrigin Origin)[] messages)
    {
        var buffer = new List<byte>();
        var slices = new MessageSlice[messages.Length];
        for (int i = 0; i < messages.Length; i++)
        {
            byte[] bytes = Encoding.UTF8.GetBytes(messages[i].Text);
            slices[i] = new MessageSlice(buffer.Count, bytes.Length, messages[i].Origin);
            buffer.AddRange(bytes);
        }

        return ([.. buffer], slices);
    }
}
