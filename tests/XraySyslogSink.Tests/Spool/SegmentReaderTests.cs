using Microsoft.Extensions.Time.Testing;
using XraySyslogSink.Spool;

namespace XraySyslogSink.Tests.Spool;

/// <summary>The reader's rules on segments of the current format; <see cref="HmacSegmentReaderTests"/> runs them on format 2's.</summary>
public class SegmentReaderTests
{
    private readonly SimulatedFileSystem _files = new();
    private readonly FakeTimeProvider _time = new(SpoolHarness.Now);
    private readonly int _format;
    private readonly RecordMacs _macs = SpoolRecordTests.Key.CreateMacs();
    private readonly RecordMac _mac;

    public SegmentReaderTests()
        : this(SpoolSegment.CurrentVersion)
    {
    }

    protected SegmentReaderTests(int format)
    {
        _format = format;
        _mac = _macs.For(format)!;
    }

    [Fact]
    public void Reads_the_records_after_the_start_record_in_order()
    {
        SpoolSegment segment = WriteSegment(10, [Record(10, "a"), Record(11, "b"), Record(12, "c")]);
        using SegmentReader reader = Open(segment);

        Assert.Equal([10L, 11, 12], ReadAll(reader, segment).Select(r => r.Sequence));
        Assert.Equal(SpoolHarness.Now, segment.CreatedAt);
        Assert.Equal(0, reader.CorruptBytes);
    }

    [Fact]
    public void A_torn_tail_is_not_returned_and_is_counted_when_skipped()
    {
        byte[] last = Record(11, "torn");
        SpoolSegment segment = WriteSegment(10, [Record(10, "a"), last[..(last.Length / 2)]]);
        using SegmentReader reader = Open(segment);

        Assert.Equal([10L], ReadAll(reader, segment).Select(r => r.Sequence));
        Assert.Equal(last.Length / 2, reader.CorruptBytes);
        Assert.Equal(0, reader.SkipRest(segment.Length));
    }

    [Fact]
    public void A_damaged_record_is_skipped_and_the_next_one_read()
    {
        byte[] damaged = Record(11, "damaged");
        damaged[^1] ^= 0xFF;
        SpoolSegment segment = WriteSegment(10, [Record(10, "a"), damaged, Record(12, "c")]);
        using SegmentReader reader = Open(segment);

        Assert.Equal([10L, 12], ReadAll(reader, segment).Select(r => r.Sequence));
        Assert.Equal(damaged.Length, reader.CorruptBytes);
    }

    [Fact]
    public void A_damaged_length_that_claims_more_than_the_file_holds_does_not_hide_the_records_after_it()
    {
        byte[] damaged = Record(11, "damaged");
        damaged[10] = 0x40; // payload length now 4 MiB and more
        SpoolSegment segment = WriteSegment(10, [Record(10, "a"), damaged, Record(12, "c"), Record(13, "d")]);
        using SegmentReader reader = Open(segment);

        Assert.Equal([10L, 12, 13], ReadAll(reader, segment).Select(r => r.Sequence));
        Assert.Equal(damaged.Length, reader.CorruptBytes);
    }

    [Fact]
    public void A_trusted_record_that_jumps_further_than_the_damaged_bytes_could_hold_is_rejected()
    {
        // Nothing damaged between 10 and 1000: no record can be missing, so 1000 cannot follow 10.
        SpoolSegment segment = WriteSegment(10, [Record(10, "a"), Record(1000, "far"), Record(11, "b")]);
        using SegmentReader reader = Open(segment);

        Assert.Equal([10L, 11], ReadAll(reader, segment).Select(r => r.Sequence));
        Assert.Equal(1, reader.RejectedRecords);
    }

    [Fact]
    public void A_record_numbered_beyond_what_the_ledger_knows_was_appended_is_rejected()
    {
        SpoolSegment segment = WriteSegment(10, [Record(10, "a"), Record(11, "b"), Record(12, "c")]);
        using SegmentReader reader = Open(segment, upperBound: 11);

        Assert.Equal([10L, 11], ReadAll(reader, segment).Select(r => r.Sequence));
        Assert.Equal(1, reader.RejectedRecords);
    }

    [Fact]
    public void An_older_or_repeated_number_is_rejected()
    {
        SpoolSegment segment = WriteSegment(10, [Record(10, "a"), Record(10, "again"), Record(9, "older"), Record(11, "b")]);
        using SegmentReader reader = Open(segment);

        Assert.Equal([10L, 11], ReadAll(reader, segment).Select(r => r.Sequence));
        Assert.Equal(2, reader.RejectedRecords);
    }

    [Fact]
    public void Received_at_times_outside_the_window_are_clamped_and_counted()
    {
        DateTimeOffset ancient = new(2001, 1, 1, 0, 0, 0, TimeSpan.Zero);
        DateTimeOffset future = SpoolHarness.Now.AddDays(30);
        DateTimeOffset heldBack = SpoolHarness.Now.AddHours(-3);
        SpoolSegment segment = WriteSegment(1, [Record(1, "old", ancient), Record(2, "future", future), Record(3, "held", heldBack)]);
        using SegmentReader reader = Open(segment);

        List<(long Sequence, DateTimeOffset ReceivedAt)> read = ReadAll(reader, segment);
        Assert.Equal(SpoolHarness.Now - SegmentReader.EarliestBeforeCreation, read[0].ReceivedAt);
        Assert.Equal(SpoolHarness.Now, read[1].ReceivedAt);
        Assert.Equal(heldBack, read[2].ReceivedAt);
        Assert.Equal(2, reader.ClampedTimes);
    }

    [Fact]
    public void An_old_unkeyed_segment_is_read_with_its_crc()
    {
        var segment = new SpoolSegment(SpoolHarness.Directory, 5, version: 1);
        WriteFile(segment, [SpoolRecordTests.WriteLegacy(5, "x"u8.ToArray()), SpoolRecordTests.WriteLegacy(6, "y"u8.ToArray())]);
        using SegmentReader reader = Open(segment);

        Assert.Equal([5L, 6], ReadAll(reader, segment).Select(r => r.Sequence));
    }

    [Fact]
    public void Reading_resumes_at_a_record_boundary_with_the_number_expected_there()
    {
        byte[] first = Record(10, "a");
        SpoolSegment segment = WriteSegment(10, [first, Record(11, "b")]);
        using SegmentReader reader = new(_files.OpenRead(segment.Path), segment, _macs, SpoolRecord.HeaderLength + first.Length, 11, long.MaxValue, _time);

        Assert.Equal([11L], ReadAll(reader, segment).Select(r => r.Sequence));
    }

    private byte[] Record(long sequence, string payload, DateTimeOffset? receivedAt = null) =>
        SpoolRecordTests.Write(sequence, System.Text.Encoding.ASCII.GetBytes(payload), _mac, receivedAt);

    private SpoolSegment WriteSegment(long first, byte[][] records)
    {
        var segment = new SpoolSegment(SpoolHarness.Directory, first, _format);
        byte[] start = new byte[SpoolRecord.HeaderLength];
        SpoolRecord.WriteSegmentStart(start, first, SpoolHarness.Now, _mac);
        WriteFile(segment, [start, .. records]);
        segment.CreatedAt = null;
        return segment;
    }

    private void WriteFile(SpoolSegment segment, byte[][] records)
    {
        byte[] contents = [.. records.SelectMany(r => r)];
        using (ISpoolFile file = _files.Create(segment.Path))
        {
            file.Write(contents, 0);
        }

        segment.Length = segment.WrittenLength = contents.Length;
    }

    private SegmentReader Open(SpoolSegment segment, long upperBound = long.MaxValue) =>
        new(_files.OpenRead(segment.Path), segment, _macs, 0, segment.FirstSequence, upperBound, _time);

    private static List<(long Sequence, DateTimeOffset ReceivedAt)> ReadAll(SegmentReader reader, SpoolSegment segment)
    {
        List<(long, DateTimeOffset)> read = [];
        while (reader.TryReadNext(segment.Length, out SpoolRecordView record, out DateTimeOffset receivedAt))
        {
            read.Add((record.Sequence, receivedAt));
        }

        return read;
    }
}

/// <summary>The same rules on segments of format 2 (HMAC-SHA256), which earlier releases wrote and this one replays.</summary>
public sealed class HmacSegmentReaderTests : SegmentReaderTests
{
    public HmacSegmentReaderTests()
        : base(SpoolSegment.HmacVersion)
    {
    }
}
