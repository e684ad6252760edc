using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using XraySyslogSink.Core;
using XraySyslogSink.Spool;

namespace XraySyslogSink.Tests.Spool;

public sealed class SpoolWriterTests
{
    private readonly SimulatedFileSystem _files = new();
    private readonly SegmentLedger _ledger = new();

    [Fact]
    public void Appends_number_the_messages_and_a_new_segment_begins_with_a_start_record()
    {
        using SpoolWriter writer = Writer(nextSequence: 7);

        Assert.True(Append(writer, 100, out long first, out long offset));
        Assert.True(Append(writer, 100, out long second, out long secondOffset));
        Assert.Equal((7L, 8L), (first, second));
        Assert.Equal(SpoolRecord.HeaderLength, offset);
        Assert.Equal(offset + SpoolRecord.SizeOf(100), secondOffset);
        Assert.Equal(7, writer.Active!.FirstSequence);
        Assert.Equal(8, writer.Active.LastSequence);
        Assert.Equal(SpoolRecord.HeaderLength + (2 * SpoolRecord.SizeOf(100)), _ledger.Bytes);
    }

    [Fact]
    public void A_full_segment_is_followed_by_a_new_one_named_by_its_first_number()
    {
        using SpoolWriter writer = Writer(segmentBytes: 1024);
        for (int i = 0; i < 20; i++)
        {
            Assert.True(Append(writer, 100, out _, out _));
        }

        Assert.True(_ledger.Segments.Count > 1);
        Assert.All(_ledger.Segments, s => Assert.True(s.Length <= 1024));
        Assert.Equal(_ledger.Segments.Select(s => s.FirstSequence), _ledger.Segments.Select(s => s.FirstSequence).Order());
        Assert.Equal(20, _ledger.Segments[^1].LastSequence);
    }

    [Fact]
    public void A_full_spool_refuses_the_append()
    {
        using SpoolWriter writer = Writer(maxBytes: 1000);

        Assert.True(Append(writer, 500, out _, out _));
        Assert.False(Append(writer, 500, out _, out _));
    }

    [Fact]
    public void Udp_fills_only_its_share_and_stream_senders_keep_the_rest()
    {
        using SpoolWriter writer = new(_files, SpoolHarness.Directory, SpoolRecordTests.Key, _ledger, 1, 10_000, 64 * 1024, new FakeTimeProvider(SpoolHarness.Now), NullLogger.Instance, udpShare: 0.5);
        int udp = 0;
        while (Append(writer, 500, out _, out _, Transport.Udp))
        {
            udp++;
        }

        Assert.InRange(_ledger.Bytes, 4000, 5000);
        int tcp = 0;
        while (Append(writer, 500, out _, out _, Transport.Tls))
        {
            tcp++;
        }

        Assert.InRange(udp, 7, 9);
        Assert.InRange(tcp, 7, 9);
        Assert.InRange(_ledger.Bytes, 9000, 10_000);
    }

    [Fact]
    public void Bytes_reach_the_disk_only_with_the_group_commit()
    {
        using SpoolWriter writer = Writer();
        Assert.True(Append(writer, 10, out _, out _));
        string path = writer.Active!.Path;
        Assert.Equal(0, _files.Length(path));

        List<SpoolSegment> dirty = writer.TakeDirty();
        Assert.Equal(SpoolRecord.HeaderLength + SpoolRecord.SizeOf(10), _files.Length(path));
        SpoolWriter.FlushToDisk(dirty);
        _files.Crash(_ => 0);
        Assert.Equal(SpoolRecord.HeaderLength + SpoolRecord.SizeOf(10), _files.Length(path));
        Assert.Equal(1, writer.WrittenSequence);
    }

    [Fact]
    public void Unsynced_bytes_are_lost_in_a_crash()
    {
        using SpoolWriter writer = Writer();
        Assert.True(Append(writer, 10, out _, out _));
        writer.WriteBuffer();
        _files.Crash(_ => 0);

        Assert.Equal(0, _files.Length(writer.Active!.Path));
    }

    [Fact]
    public void A_buffer_goes_to_the_os_only_once_its_records_are_sealed_and_after_every_buffer_before_it()
    {
        using SpoolWriter writer = Writer(segmentBytes: 1024);
        Assert.True(writer.TryClaim(new byte[100], SpoolHarness.Origin(), out RecordClaim unsealed));
        SpoolSegment first = writer.Active!;
        // The next records roll the segment: the first segment's buffer is closed, but a record in it is not sealed.
        var sealedLater = new List<RecordClaim>();
        while (writer.Active == first)
        {
            Assert.True(writer.TryClaim(new byte[300], SpoolHarness.Origin(), out RecordClaim claim));
            sealedLater.Add(claim);
        }

        // None of these completes a buffer: the first waits for the unsealed record, the last is still open.
        Assert.All(sealedLater, claim => Assert.False(writer.Seal(claim)));

        writer.WriteBuffer();
        _ledger.Commit(long.MaxValue);
        Assert.Equal(0, _files.Length(first.Path));
        Assert.Equal(0, _files.Length(writer.Active!.Path));
        Assert.Equal(unsealed.Sequence - 1, writer.WrittenSequence);
        Assert.DoesNotContain(first, _ledger.TakeDeletable(writer.Active, activeInUse: true));

        Assert.True(writer.Seal(unsealed));
        Assert.True(writer.WriteBuffered());
        Assert.Equal(first.Length, _files.Length(first.Path));
        Assert.Equal(writer.Active.Length, _files.Length(writer.Active.Path));
        Assert.Equal(writer.NextSequence - 1, writer.WrittenSequence);
        Assert.Equal(0, _files.WritesNotAtTheEnd);
        Assert.Equal(0, first.UnwrittenBuffers);
    }

    [Fact]
    public void Buffers_held_up_by_one_unsealed_record_are_bounded_and_free_again_once_it_is_sealed()
    {
        using SpoolWriter writer = Writer(maxBytes: 1024 * SpoolOptions.MiB, segmentBytes: 256 * SpoolOptions.MiB);
        var released = 0;
        writer.WritesRecovered = () => released++;
        Assert.True(writer.TryClaim(new byte[100], SpoolHarness.Origin(), out RecordClaim unsealed));
        long claimed = 0;
        while (writer.TryClaim(new byte[4000], SpoolHarness.Origin(), out RecordClaim claim))
        {
            writer.Seal(claim);
            claimed += SpoolRecord.SizeOf(4000);
        }

        // Refused for want of a free buffer, not of room: the appender is to wait, and nothing reached the OS.
        Assert.True(writer.BuffersExhausted);
        Assert.InRange(claimed, (SpoolWriter.MaxBuffers - 2) * SpoolWriter.WriteThreshold, SpoolWriter.MaxBuffers * (SpoolWriter.WriteThreshold + (32 * 1024)));
        Assert.Equal(0, _files.Length(writer.Active!.Path));

        Assert.True(writer.Seal(unsealed));
        Assert.True(writer.WriteBuffered());
        Assert.False(writer.BuffersExhausted);
        Assert.Equal(1, released);
        Assert.True(writer.TryAppend(new byte[100], SpoolHarness.Origin(), out _, out _));
        Assert.Equal(0, _files.WritesNotAtTheEnd);
    }

    private SpoolWriter Writer(long nextSequence = 1, long maxBytes = SpoolOptions.MiB, long segmentBytes = 64 * 1024) =>
        new(_files, SpoolHarness.Directory, SpoolRecordTests.Key, _ledger, nextSequence, maxBytes, segmentBytes, new FakeTimeProvider(SpoolHarness.Now), NullLogger.Instance);

    private static bool Append(SpoolWriter writer, int length, out long sequence, out long offset, Transport transport = Transport.Tcp)
    {
        ReceivedMessage message = ReceivedMessage.Copy(new byte[length], default, transport, SpoolHarness.Now);
        bool appended = writer.TryAppend(message.Bytes, message.Origin, out sequence, out offset);
        message.Release();
        return appended;
    }
}
