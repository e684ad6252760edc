using XraySyslogSink.Core;
using XraySyslogSink.Spool;

namespace XraySyslogSink.Tests.Spool;

/// <summary>
/// An upgrade with a non-empty spool: segments of earlier formats replay under this version, before the segments it
/// writes itself, in sequence order, and go once committed.
/// </summary>
public sealed class SpoolFormatUpgradeTests
{
    [Fact]
    public async Task A_format_2_spool_written_by_the_previous_release_replays_and_the_new_segment_after_it_is_format_3()
    {
        SimulatedFileSystem files = Format2SpoolOfThePreviousRelease();
        byte[][] expected = [.. Enumerable.Range(1, 6).Select(i => System.Text.Encoding.ASCII.GetBytes($"<14>1 2026-12-02T12:00:00Z host xray - - - format 2 line {i}"))];

        await using (SpoolHarness upgraded = await SpoolHarness.OpenAsync(files, checkpoint: 0, queueCapacity: 64))
        {
            var replayed = await upgraded.DrainAsync();
            Assert.Equal(Enumerable.Range(1, 6).Select(i => (long)i), replayed.Select(m => m.Sequence));
            Assert.Equal(expected, replayed.Select(m => m.Payload));
            Assert.All(replayed, m => Assert.Equal(SpoolHarness.Now, m.ReceivedAt));
            Assert.Equal(new NodeIdentity("node-a", NodeIdentitySource.Certificate), upgraded.TakenNodes[3]);
            Assert.Equal(default, upgraded.TakenNodes[4]);
            Assert.Equal(0, upgraded.Spool.CorruptBytes);

            Assert.True(upgraded.TryAppend("after the upgrade"u8.ToArray(), out long next));
            Assert.Equal(7, next);
            upgraded.Sync();
        }

        Assert.Equal(["00000000000000000001.v2.seg", "00000000000000000004.v2.seg", "00000000000000000007.v3.seg"], SegmentNames(files));

        // Nothing committed yet: a restart replays both formats, in order.
        await using SpoolHarness restarted = await SpoolHarness.OpenAsync(files, checkpoint: 0, queueCapacity: 64);
        var again = await restarted.DrainAsync();
        Assert.Equal(Enumerable.Range(1, 7).Select(i => (long)i), again.Select(m => m.Sequence));
        Assert.Equal([.. expected, "after the upgrade"u8.ToArray()], again.Select(m => m.Payload));
        Assert.Equal(0, restarted.Spool.CorruptBytes);

        restarted.Spool.Committed(7);
        restarted.Sync();
        Assert.Empty(SegmentNames(files));
    }

    [Fact]
    public async Task Segments_of_formats_1_2_and_3_in_one_spool_replay_in_sequence_order()
    {
        var files = new SimulatedFileSystem();
        using (ISpoolFile file = files.Create(new SpoolSegment(SpoolHarness.Directory, 1, SpoolSegment.LegacyVersion).Path))
        {
            file.Write([.. Enumerable.Range(1, 3).SelectMany(i => SpoolRecordTests.WriteLegacy(i, Line(i), SpoolHarness.Now))], 0);
        }

        await using (SpoolHarness format2 = await SpoolHarness.OpenAsync(files, checkpoint: 0, queueCapacity: 64, format: SpoolSegment.HmacVersion))
        {
            await format2.DrainAsync();
            AppendLines(format2, 4, 6);
        }

        await using (SpoolHarness format3 = await SpoolHarness.OpenAsync(files, checkpoint: 0, queueCapacity: 64))
        {
            await format3.DrainAsync();
            AppendLines(format3, 7, 9);
        }

        Assert.Equal(["00000000000000000001.seg", "00000000000000000004.v2.seg", "00000000000000000007.v3.seg"], SegmentNames(files));
        await using SpoolHarness restarted = await SpoolHarness.OpenAsync(files, checkpoint: 2, queueCapacity: 64);
        var replayed = await restarted.DrainAsync();
        Assert.Equal(Enumerable.Range(3, 7).Select(i => (long)i), replayed.Select(m => m.Sequence));
        Assert.Equal(Enumerable.Range(3, 7).Select(Line), replayed.Select(m => m.Payload));
    }

    private static IEnumerable<string?> SegmentNames(SimulatedFileSystem files) =>
        files.Paths.Where(p => p.EndsWith(SpoolSegment.Extension, StringComparison.Ordinal)).Select(Path.GetFileName).Order(StringComparer.Ordinal);

    private static byte[] Line(int i) => System.Text.Encoding.ASCII.GetBytes($"line {i}");

    private static void AppendLines(SpoolHarness spool, int first, int last)
    {
        for (int i = first; i <= last; i++)
        {
            Assert.True(spool.TryAppend(Line(i), out long sequence));
            Assert.Equal(i, sequence);
        }

        spool.Sync();
    }

    /// <summary>The spool directory in <c>Format2Spool/</c> (see its README): written by the release before format 3.</summary>
    private static SimulatedFileSystem Format2SpoolOfThePreviousRelease()
    {
        var files = new SimulatedFileSystem();
        foreach (string source in Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "Spool", "Format2Spool")))
        {
            string path = SpoolHarness.Directory + "/" + Path.GetFileName(source);
            byte[] contents = File.ReadAllBytes(source);
            if (Path.GetFileName(source) == SpoolKey.FileName)
            {
                files.WriteSecretFile(path, contents);
                continue;
            }

            using ISpoolFile file = files.Create(path);
            file.Write(contents, 0);
        }

        return files;
    }
}
