using XraySyslogSink.Spool;

namespace XraySyslogSink.Tests.Spool;

/// <summary>
/// Issue 12's attack: a sender embeds a complete record (sequence 10^12, received in 2001) in a message; one
/// byte of that message's record is damaged on disk; on restart the forged record must not be replayed, the
/// numbering must not jump, and the honest lines after it must arrive.
/// </summary>
public sealed class SpoolForgeryTests
{
    private const long ForgedSequence = 1_000_000_000_000;
    private static readonly DateTimeOffset Year2001 = new(2001, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>
    /// Sender bytes: a syslog prefix, then a record of each keyed format under a guessed key, then an old-format record
    /// with a correct CRC.
    /// </summary>
    private static byte[] AttackPayload()
    {
        using RecordMacs guessed = new SpoolKey(new byte[32]).CreateMacs();
        return [
            .. "<14>1 2026-12-02T12:00:00Z host xray - - - "u8.ToArray(),
            .. SpoolRecordTests.Write(ForgedSequence, "forged keyed"u8.ToArray(), guessed.For(SpoolSegment.Blake3Version)!, Year2001),
            .. SpoolRecordTests.Write(ForgedSequence, "forged keyed"u8.ToArray(), guessed.For(SpoolSegment.HmacVersion)!, Year2001),
            .. SpoolRecordTests.WriteLegacy(ForgedSequence, "forged old"u8.ToArray(), Year2001),
        ];
    }

    [Theory]
    [InlineData(12, SpoolSegment.Blake3Version)] // the MAC
    [InlineData(30, SpoolSegment.Blake3Version)] // the sequence
    [InlineData(70, SpoolSegment.Blake3Version)] // the payload, inside the syslog prefix
    [InlineData(4, SpoolSegment.Blake3Version)] // the header length
    [InlineData(12, SpoolSegment.HmacVersion)] // the same in a segment of format 2, which earlier releases wrote
    [InlineData(30, SpoolSegment.HmacVersion)]
    [InlineData(70, SpoolSegment.HmacVersion)]
    [InlineData(4, SpoolSegment.HmacVersion)]
    public async Task A_forged_record_inside_a_damaged_message_is_never_replayed_and_the_lines_after_it_arrive(int damagedByte, int format)
    {
        var files = new SimulatedFileSystem();
        await using (SpoolHarness spool = await SpoolHarness.OpenAsync(files, checkpoint: 0, queueCapacity: 64, format: format))
        {
            Assert.True(spool.TryAppend("honest 1"u8.ToArray(), out _));
            Assert.True(spool.TryAppend(AttackPayload(), out long attack));
            for (int i = 3; i <= 7; i++)
            {
                Assert.True(spool.TryAppend(System.Text.Encoding.ASCII.GetBytes($"honest {i}"), out _));
            }

            Assert.Equal(2, attack);
            spool.Sync();
        }

        string segment = Assert.Single(files.Paths, p => p.EndsWith(".seg", StringComparison.Ordinal));
        byte[] contents = files.Contents(segment);
        int attackOffset = SpoolRecord.HeaderLength + SpoolRecord.SizeOf("honest 1".Length);
        contents[attackOffset + damagedByte] ^= 0x01;
        files.Replace(segment, contents);

        await using SpoolHarness restarted = await SpoolHarness.OpenAsync(files, checkpoint: 0, queueCapacity: 64);
        var replayed = await restarted.DrainAsync();

        Assert.EndsWith(SpoolSegment.SuffixOf(format), segment, StringComparison.Ordinal);
        Assert.Equal([1L, 3, 4, 5, 6, 7], replayed.Select(m => m.Sequence));
        Assert.Equal([1L, 2, 4, 5, 6, 7], replayed.Select(m => m.First));
        Assert.All(replayed, m => Assert.Equal(SpoolHarness.Now, m.ReceivedAt));
        Assert.Equal(7, restarted.Spool.LastSequence);
        Assert.True(restarted.TryAppend("next"u8.ToArray(), out long next));
        Assert.Equal(8, next);
    }

    [Theory]
    [InlineData(8)] // the CRC, as in the reproduction
    [InlineData(14)] // the sequence
    [InlineData(60)] // the payload
    public async Task In_an_old_format_segment_the_forged_record_is_not_replayed_either(int damagedByte)
    {
        var files = new SimulatedFileSystem();
        byte[][] records =
        [
            SpoolRecordTests.WriteLegacy(1, "honest 1"u8.ToArray(), SpoolHarness.Now),
            SpoolRecordTests.WriteLegacy(2, AttackPayload(), SpoolHarness.Now),
            .. Enumerable.Range(3, 5).Select(i => SpoolRecordTests.WriteLegacy(i, System.Text.Encoding.ASCII.GetBytes($"honest {i}"), SpoolHarness.Now)),
        ];
        records[1][damagedByte] ^= 0x01;
        string path = new SpoolSegment(SpoolHarness.Directory, 1, version: 1).Path;
        using (ISpoolFile file = files.Create(path))
        {
            file.Write([.. records.SelectMany(r => r)], 0);
        }

        await using SpoolHarness restarted = await SpoolHarness.OpenAsync(files, checkpoint: 0, queueCapacity: 64);
        var replayed = await restarted.DrainAsync();

        Assert.Equal([1L, 3, 4, 5, 6, 7], replayed.Select(m => m.Sequence));
        Assert.All(replayed, m => Assert.Equal(SpoolHarness.Now, m.ReceivedAt));
        Assert.Equal(7, restarted.Spool.LastSequence);
    }

    [Fact]
    public async Task A_spool_written_in_the_old_format_replays_after_the_upgrade_and_is_freed_once_committed()
    {
        var files = new SimulatedFileSystem();
        for (int first = 1; first <= 21; first += 10)
        {
            string path = new SpoolSegment(SpoolHarness.Directory, first, version: 1).Path;
            using ISpoolFile file = files.Create(path);
            file.Write([.. Enumerable.Range(first, 10).SelectMany(i => SpoolRecordTests.WriteLegacy(i, BitConverter.GetBytes(i), SpoolHarness.Now))], 0);
        }

        await using SpoolHarness upgraded = await SpoolHarness.OpenAsync(files, checkpoint: 5, queueCapacity: 8);
        Assert.True(upgraded.TryAppend("after the upgrade"u8.ToArray(), out long next));
        var replayed = await upgraded.DrainAsync();

        Assert.Equal(Enumerable.Range(6, 26).Select(i => (long)i), replayed.Select(m => m.Sequence));
        Assert.Equal(31, next);
        Assert.Equal(BitConverter.GetBytes(6), replayed[0].Payload);
        Assert.Contains(files.Paths, p => p.EndsWith(SpoolKey.FileName, StringComparison.Ordinal));
        upgraded.Spool.Committed(31);
        upgraded.Sync();
        Assert.DoesNotContain(files.Paths, p => p.EndsWith(".seg", StringComparison.Ordinal) && !p.EndsWith(SpoolSegment.SuffixOf(SpoolSegment.CurrentVersion), StringComparison.Ordinal));
    }
}
