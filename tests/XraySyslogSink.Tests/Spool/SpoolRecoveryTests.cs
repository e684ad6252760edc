using Microsoft.Extensions.Time.Testing;
using XraySyslogSink.Spool;

namespace XraySyslogSink.Tests.Spool;

public sealed class SpoolRecoveryTests
{
    private readonly SimulatedFileSystem _files = new();
    private readonly RecordMacs _macs = SpoolRecordTests.Key.CreateMacs();
    private readonly FakeTimeProvider _time = new(SpoolHarness.Now);

    [Fact]
    public void Committed_segments_are_deleted_and_numbering_resumes_after_what_is_on_disk()
    {
        string committed = Segment(1, 1, 2, 3);
        string pending = Segment(4, 4, 5, 6);
        var ledger = new SegmentLedger();

        SpoolRecovery.Result result = Recover(checkpoint: 4, ledger);

        Assert.DoesNotContain(committed, _files.Paths);
        Assert.Equal([pending], ledger.Segments.Select(s => s.Path));
        Assert.Equal(6, ledger.Segments[0].LastSequence);
        Assert.Equal(7, result.NextSequence);
        Assert.Equal(4, ledger.Committed);
    }

    [Fact]
    public void Numbering_resumes_after_the_checkpoint_when_the_disk_lost_more()
    {
        Segment(1, 1, 2);
        var ledger = new SegmentLedger();

        Assert.Equal(11, Recover(checkpoint: 10, ledger).NextSequence);
        Assert.Empty(ledger.Segments);
    }

    [Fact]
    public void A_torn_last_record_is_not_counted_as_on_disk()
    {
        string path = Segment(1, 1, 2, 3);
        byte[] contents = _files.Contents(path);
        _files.Replace(path, contents[..^10]);
        var ledger = new SegmentLedger();

        Assert.Equal(3, Recover(checkpoint: 0, ledger).NextSequence);
        Assert.Equal(2, ledger.Segments[0].LastSequence);
    }

    [Fact]
    public void A_last_segment_without_a_trusted_record_keeps_its_name_from_being_reused()
    {
        Segment(1, 1, 2);
        string torn = Segment(3, 3);
        byte[] contents = _files.Contents(torn);
        contents[SpoolRecord.HeaderLength + 20] ^= 1;
        _files.Replace(torn, contents);
        var ledger = new SegmentLedger();

        Assert.Equal(4, Recover(checkpoint: 0, ledger).NextSequence);
        Assert.Equal([1L, 3], ledger.Segments.Select(s => s.FirstSequence));
    }

    [Fact]
    public void A_segment_holding_only_its_start_record_is_deleted()
    {
        string empty = Segment(1);
        var ledger = new SegmentLedger();

        Assert.Equal(1, Recover(checkpoint: 0, ledger).NextSequence);
        Assert.DoesNotContain(empty, _files.Paths);
    }

    [Fact]
    public void Old_unkeyed_segments_are_found_and_kept_for_replay()
    {
        var old = new SpoolSegment(SpoolHarness.Directory, 1, version: 1);
        using (ISpoolFile file = _files.Create(old.Path))
        {
            file.Write([.. SpoolRecordTests.WriteLegacy(1, [1]), .. SpoolRecordTests.WriteLegacy(2, [2])], 0);
        }

        string keyed = Segment(3, 3);
        var ledger = new SegmentLedger();

        Assert.Equal(4, Recover(checkpoint: 0, ledger).NextSequence);
        Assert.Equal([(1L, 1, 2L), (3L, SpoolSegment.CurrentVersion, 3L)], ledger.Segments.Select(s => (s.FirstSequence, s.Version, s.LastSequence)));
        Assert.Contains(keyed, _files.Paths);
    }

    [Fact]
    public void Segments_of_all_three_formats_are_found_in_sequence_order_and_numbering_resumes_after_the_last()
    {
        var old = new SpoolSegment(SpoolHarness.Directory, 1, version: SpoolSegment.LegacyVersion);
        using (ISpoolFile file = _files.Create(old.Path))
        {
            file.Write([.. SpoolRecordTests.WriteLegacy(1, [1]), .. SpoolRecordTests.WriteLegacy(2, [2])], 0);
        }

        string hmac = SegmentOf(SpoolSegment.HmacVersion, 3, 3, 4);
        string blake3 = SegmentOf(SpoolSegment.Blake3Version, 5, 5, 6, 7);
        var ledger = new SegmentLedger();

        Assert.Equal(8, Recover(checkpoint: 1, ledger).NextSequence);
        Assert.Equal(
            [(1L, SpoolSegment.LegacyVersion, 2L), (3L, SpoolSegment.HmacVersion, 4L), (5L, SpoolSegment.Blake3Version, 7L)],
            ledger.Segments.Select(s => (s.FirstSequence, s.Version, s.LastSequence)));
        Assert.EndsWith(".v2.seg", hmac, StringComparison.Ordinal);
        Assert.EndsWith(".v3.seg", blake3, StringComparison.Ordinal);
    }

    [Fact]
    public void A_segment_of_a_later_format_stops_the_start_instead_of_being_left_unread()
    {
        using (ISpoolFile file = _files.Create(SpoolHarness.Directory + "/00000000000000000001.v4.seg"))
        {
            file.Write([1, 2, 3], 0);
        }

        InvalidOperationException error = Assert.Throws<InvalidOperationException>(() => SpoolRecovery.Find(_files, SpoolHarness.Directory));
        Assert.Contains("00000000000000000001.v4.seg", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("00000000000000000001.seg", true, 1L, 1)]
    [InlineData("00000000000000000002.v2.seg", true, 2L, 2)]
    [InlineData("00000000000000000003.v3.seg", true, 3L, 3)]
    [InlineData("00000000000000000003.v1.seg", false, 0L, 1)]
    [InlineData("00000000000000000003.vx.seg", false, 0L, 1)]
    [InlineData("spool.seg", false, 0L, 1)]
    [InlineData("0.v3.seg", false, 0L, 3)]
    public void Segment_names_give_their_first_number_and_format(string name, bool valid, long first, int version)
    {
        Assert.Equal(valid, SpoolSegment.TryParseName(name, out long parsedFirst, out int parsedVersion));
        if (valid)
        {
            Assert.Equal((first, version), (parsedFirst, parsedVersion));
            Assert.Equal(name, Path.GetFileName(new SpoolSegment(SpoolHarness.Directory, first, version).Path));
        }
    }

    private SpoolRecovery.Result Recover(long checkpoint, SegmentLedger ledger) =>
        SpoolRecovery.Recover(_files, SpoolRecovery.Find(_files, SpoolHarness.Directory), _macs, checkpoint, ledger, _time);

    private string Segment(long first, params long[] sequences) => SegmentOf(SpoolSegment.CurrentVersion, first, sequences);

    private string SegmentOf(int format, long first, params long[] sequences)
    {
        var segment = new SpoolSegment(SpoolHarness.Directory, first, format);
        RecordMac mac = _macs.For(format)!;
        byte[] start = new byte[SpoolRecord.HeaderLength];
        SpoolRecord.WriteSegmentStart(start, first, SpoolHarness.Now, mac);
        byte[] contents = [.. start, .. sequences.SelectMany(s => SpoolRecordTests.Write(s, [(byte)s], mac))];
        using (ISpoolFile file = _files.Create(segment.Path))
        {
            file.Write(contents, 0);
        }

        return segment.Path;
    }
}
