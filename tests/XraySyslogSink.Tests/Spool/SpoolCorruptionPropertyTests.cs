using CsCheck;
using Microsoft.Extensions.Time.Testing;
using XraySyslogSink.Spool;

namespace XraySyslogSink.Tests.Spool;

/// <summary>
/// Random damage to the files of a synced spool (flipped bytes, overwritten runs, cut files), some messages
/// carrying record-shaped sender bytes: replay never yields a record that was not appended, never loses one
/// whose bytes were untouched, and never numbers a message beyond what was appended.
/// </summary>
public sealed class SpoolCorruptionPropertyTests
{
    /// <summary>Spools written in the current format, and in format 2 (HMAC-SHA256), which earlier releases wrote.</summary>
    [Theory]
    [MemberData(nameof(SpoolRecordTests.KeyedFormats), MemberType = typeof(SpoolRecordTests))]
    public void Damaged_spool_files_replay_only_appended_records_and_every_untouched_one(int format)
    {
        Gen.Select(SpoolDamageCases.Payloads.Array[1, 80], SpoolDamageCases.Damages.Array[0, 6], Gen.Int[0, 100])
            .Sample((payloads, damages, checkpointPercent) => RunAsync(format, payloads, damages, checkpointPercent).GetAwaiter().GetResult(), iter: 150, threads: 1);
    }

    private static async Task RunAsync(int format, byte[][] payloads, SpoolDamageCases.Damage[] damages, int checkpointPercent)
    {
        var files = new SimulatedFileSystem();
        await using (SpoolHarness writing = await SpoolHarness.OpenAsync(files, checkpoint: 0, queueCapacity: 1024, segmentBytes: 2048, format: format))
        {
            foreach (byte[] payload in payloads)
            {
                Assert.True(writing.TryAppend(payload, out _));
            }

            writing.Sync();
        }

        // Where each record lies, read before the damage.
        Dictionary<long, (string Path, long Offset, int Size)> places = Places(files);
        Assert.Equal(payloads.Length, places.Count);
        List<string> segments = [.. files.Paths.Where(p => p.EndsWith(".seg", StringComparison.Ordinal)).Order(StringComparer.Ordinal)];
        Dictionary<string, List<(long From, long To)>> damaged = SpoolDamageCases.Apply(files, segments, damages);

        long checkpoint = payloads.Length * checkpointPercent / 100;
        await using SpoolHarness restarted = await SpoolHarness.OpenAsync(files, checkpoint, queueCapacity: 8, segmentBytes: 2048);
        var replayed = await restarted.DrainAsync();

        long last = checkpoint;
        foreach ((long first, long sequence, byte[] payload, DateTimeOffset receivedAt) in replayed)
        {
            Assert.InRange(sequence, last + 1, payloads.Length);
            Assert.Equal(last + 1, first);
            Assert.Equal(payloads[sequence - 1], payload);
            Assert.Equal(SpoolHarness.Now, receivedAt);
            last = sequence;
        }

        HashSet<long> arrived = [.. replayed.Select(m => m.Sequence)];
        foreach ((long sequence, (string path, long offset, int size)) in places)
        {
            if (sequence > checkpoint && SpoolDamageCases.Untouched(damaged, path, offset, size))
            {
                Assert.Contains(sequence, arrived);
            }
        }

        Assert.True(restarted.Spool.LastSequence <= Math.Max(payloads.Length, checkpoint), "numbering must not jump past what was appended");
    }

    private static Dictionary<long, (string Path, long Offset, int Size)> Places(SimulatedFileSystem files)
    {
        Dictionary<long, (string, long, int)> places = [];
        byte[] secret = files.ReadSmallFile(Path.Combine(SpoolHarness.Directory, SpoolKey.FileName))!;
        using RecordMacs macs = new SpoolKey(secret).CreateMacs();
        foreach (SpoolSegment segment in SpoolRecovery.Find(files, SpoolHarness.Directory))
        {
            using var reader = new SegmentReader(files.OpenRead(segment.Path), segment, macs, 0, segment.FirstSequence, long.MaxValue, new FakeTimeProvider(SpoolHarness.Now));
            while (reader.TryReadNext(segment.Length, out SpoolRecordView record, out _))
            {
                places[record.Sequence] = (segment.Path, reader.Position - record.Size, record.Size);
            }
        }

        return places;
    }
}
