using CsCheck;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using XraySyslogSink.Core;
using XraySyslogSink.Spool;

namespace XraySyslogSink.Tests.Spool;

/// <summary>
/// Records appended in this run and read back by the replay with the writer's digests (<see cref="RecentRecordDigests"/>):
/// the digest stands for the MAC, and damage falls back to the MAC and the damage handling, with the guarantees of
/// <see cref="SpoolCorruptionPropertyTests"/> (only appended records, every untouched one).
/// </summary>
public sealed class SpoolDigestReplayTests
{
    [Fact]
    public void Records_remembered_in_this_run_are_trusted_without_their_MAC_and_others_are_not()
    {
        using var run = new Run();
        byte[][] payloads = [.. Enumerable.Range(1, 40).Select(i => System.Text.Encoding.ASCII.GetBytes($"line {i}"))];
        run.Append(payloads, remember: sequence => sequence % 10 != 0);

        // Under a MAC that fails every record, only the digests can vouch for them.
        using RecordMacs wrong = new SpoolKey(new byte[32]).CreateMacs();
        List<(long Sequence, byte[] Payload)> read = run.ReadAll(wrong);

        Assert.Equal(Enumerable.Range(1, 40).Where(i => i % 10 != 0).Select(i => (long)i), read.Select(r => r.Sequence));
        Assert.All(read, r => Assert.Equal(payloads[r.Sequence - 1], r.Payload));
    }

    [Fact]
    public void A_damaged_record_fails_its_digest_and_its_MAC_and_the_records_after_it_are_read()
    {
        using var run = new Run();
        byte[][] payloads = [.. Enumerable.Range(1, 20).Select(i => System.Text.Encoding.ASCII.GetBytes($"line {i}"))];
        run.Append(payloads, remember: _ => true);
        (string path, long offset, int size) = run.Places[7];
        byte[] contents = run.Files.Contents(path);
        contents[offset + size - 1] ^= 0x01;
        run.Files.Replace(path, contents);

        using RecordMacs macs = SpoolRecordTests.Key.CreateMacs();
        List<(long Sequence, byte[] Payload)> read = run.ReadAll(macs, out long corruptBytes);

        Assert.Equal(Enumerable.Range(1, 20).Where(i => i != 7).Select(i => (long)i), read.Select(r => r.Sequence));
        Assert.Equal(size, corruptBytes);
    }

    [Fact]
    public async Task The_replay_checks_the_records_of_its_own_run_by_their_digests_and_those_of_an_earlier_run_by_their_MACs()
    {
        var files = new SimulatedFileSystem();
        byte[][] payloads = [.. Enumerable.Range(1, 30).Select(i => System.Text.Encoding.ASCII.GetBytes($"line {i}"))];
        await using (SpoolHarness spool = await SpoolHarness.OpenAsync(files, checkpoint: 0, queueCapacity: 2))
        {
            foreach (byte[] payload in payloads)
            {
                Assert.True(spool.TryAppend(payload, out _));
            }

            Assert.Equal(payloads, (await spool.DrainAsync()).Select(m => m.Payload));
            Assert.Equal(payloads.Length - 2, spool.Spool.Replayed);
            Assert.Equal(spool.Spool.Replayed, spool.Spool.ReplayedByDigest);
        }

        await using SpoolHarness restarted = await SpoolHarness.OpenAsync(files, checkpoint: 0, queueCapacity: 2);
        Assert.Equal(payloads, (await restarted.DrainAsync()).Select(m => m.Payload));
        Assert.Equal(payloads.Length, restarted.Spool.Replayed);
        Assert.Equal(0, restarted.Spool.ReplayedByDigest);
    }

    [Fact]
    public void Damaged_records_of_this_run_replay_only_appended_records_and_every_untouched_one()
    {
        Gen.Select(SpoolDamageCases.Payloads.Array[1, 80], SpoolDamageCases.Damages.Array[0, 6])
            .Sample(Check, iter: 200, threads: 1);
    }

    private static void Check(byte[][] payloads, SpoolDamageCases.Damage[] damages)
    {
        using var run = new Run(segmentBytes: 2048);
        run.Append(payloads, remember: _ => true);
        List<string> segments = [.. run.Places.Values.Select(p => p.Path).Distinct()];
        Dictionary<string, List<(long From, long To)>> damaged = SpoolDamageCases.Apply(run.Files, segments, damages);

        using RecordMacs macs = SpoolRecordTests.Key.CreateMacs();
        List<(long Sequence, byte[] Payload)> read = run.ReadAll(macs);

        long last = 0;
        foreach ((long sequence, byte[] payload) in read)
        {
            Assert.InRange(sequence, last + 1, payloads.Length);
            Assert.Equal(payloads[sequence - 1], payload);
            last = sequence;
        }

        HashSet<long> arrived = [.. read.Select(r => r.Sequence)];
        foreach ((long sequence, (string path, long offset, int size)) in run.Places)
        {
            if (SpoolDamageCases.Untouched(damaged, path, offset, size))
            {
                Assert.Contains(sequence, arrived);
            }
        }
    }

    /// <summary>A spool writer with digests on a simulated disk, and a replay of what it wrote.</summary>
    private sealed class Run(long segmentBytes = 64 * 1024) : IDisposable
    {
        private readonly SegmentLedger _ledger = new();
        private readonly FakeTimeProvider _time = new(SpoolHarness.Now);
        private readonly RecentRecordDigests _digests = new(RecentRecordDigests.MinCapacity);
        private SpoolWriter? _writer;

        public SimulatedFileSystem Files { get; } = new();

        /// <summary>Where each appended record lies: file, offset, size.</summary>
        public Dictionary<long, (string Path, long Offset, int Size)> Places { get; } = [];

        public void Append(byte[][] payloads, Func<long, bool> remember)
        {
            _writer = new SpoolWriter(Files, SpoolHarness.Directory, SpoolRecordTests.Key, _ledger, 1, 64 * SpoolOptions.MiB, segmentBytes, _time, NullLogger.Instance, digests: _digests);
            foreach (byte[] payload in payloads)
            {
                ReceivedMessage message = ReceivedMessage.Copy(payload, default, Transport.Tcp, SpoolHarness.Now);
                Assert.True(_writer.TryAppend(message.Bytes, message.Origin, out long sequence, out long offset));
                message.Release();
                Places[sequence] = (_writer.Active!.Path, offset, SpoolRecord.SizeOf(payload.Length));
                if (remember(sequence))
                {
                    _writer.RememberLastForReplay();
                }
            }

            Assert.True(_writer.WriteBuffer());
        }

        public List<(long Sequence, byte[] Payload)> ReadAll(RecordMacs macs) => ReadAll(macs, out _);

        public List<(long Sequence, byte[] Payload)> ReadAll(RecordMacs macs, out long corruptBytes)
        {
            List<(long, byte[])> read = [];
            corruptBytes = 0;
            IReadOnlyList<SpoolSegment> segments = _ledger.Segments;
            for (int i = 0; i < segments.Count; i++)
            {
                SpoolSegment segment = segments[i];
                long upperBound = i + 1 < segments.Count ? segments[i + 1].FirstSequence - 1 : _writer!.NextSequence - 1;
                using var reader = new SegmentReader(Files.OpenRead(segment.Path), segment, macs, 0, segment.FirstSequence, upperBound, _time, _digests);
                long length = Files.Length(segment.Path);
                while (reader.TryReadNext(length, out SpoolRecordView record, out _))
                {
                    read.Add((record.Sequence, record.Payload.ToArray()));
                }

                reader.SkipRest(length);
                corruptBytes += reader.CorruptBytes;
            }

            return read;
        }

        public void Dispose() => _writer?.Dispose();
    }
}
