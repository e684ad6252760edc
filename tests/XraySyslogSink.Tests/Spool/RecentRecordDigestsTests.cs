using XraySyslogSink.Spool;

namespace XraySyslogSink.Tests.Spool;

public sealed class RecentRecordDigestsTests
{
    private readonly RecordMac _mac = SpoolRecordTests.Key.CreateMac(SpoolSegment.CurrentVersion);

    [Fact]
    public void A_remembered_record_matches_only_with_its_own_bytes_at_its_own_offset()
    {
        var digests = new RecentRecordDigests(RecentRecordDigests.MinCapacity);
        byte[] record = SpoolRecordTests.Write(7, "a line"u8.ToArray(), _mac);
        digests.Remember(7, 640, record);

        Assert.True(digests.Matches(7, 640, record));
        Assert.False(digests.Matches(7, 641, record));
        Assert.False(digests.Matches(8, 640, record));
        for (int i = 0; i < record.Length; i++)
        {
            byte[] damaged = [.. record];
            damaged[i] ^= 0x01;
            Assert.False(digests.Matches(7, 640, damaged), $"byte {i} flipped");
        }

        Assert.False(digests.Matches(7, 640, record.AsSpan(0, record.Length - 1)));
    }

    [Fact]
    public void A_number_never_remembered_newer_than_the_last_or_pushed_out_of_the_ring_has_no_digest()
    {
        var digests = new RecentRecordDigests(RecentRecordDigests.MinCapacity);
        int capacity = digests.Capacity;
        Dictionary<long, byte[]> records = [];
        for (long sequence = 1; sequence <= capacity + 10; sequence++)
        {
            records[sequence] = SpoolRecordTests.Write(sequence, "x"u8.ToArray(), _mac);
            if (sequence != 500)
            {
                // 500 went to the parsers from memory, so the spool kept no digest for it.
                digests.Remember(sequence, sequence * 100, records[sequence]);
            }
        }

        Assert.False(digests.Matches(5, 500, records[5]), "overwritten by a number one ring later");
        Assert.False(digests.Matches(10, 1000, records[10]), "the oldest number the newest one pushed out");
        Assert.True(digests.Matches(11, 1100, records[11]));
        Assert.False(digests.Matches(500, 50_000, records[500]), "never remembered");
        Assert.True(digests.Matches(capacity + 10, (capacity + 10) * 100L, records[capacity + 10]));
        byte[] later = SpoolRecordTests.Write(capacity + 11, "x"u8.ToArray(), _mac);
        Assert.False(digests.Matches(capacity + 11, (capacity + 11) * 100L, later), "not appended yet");
        Assert.False(digests.Matches(0, 0, records[1]));
    }

    [Theory]
    [InlineData(SpoolOptions.MiB, RecentRecordDigests.MinCapacity)]
    [InlineData(64 * SpoolOptions.MiB, 64 * 1024)]
    [InlineData(1024 * SpoolOptions.MiB, 1024 * 1024)]
    [InlineData(100L * 1024 * SpoolOptions.MiB, RecentRecordDigests.MaxCapacity)]
    public void The_ring_holds_one_digest_per_KiB_of_spool_within_its_bounds(long maxBytes, int capacity)
    {
        RecentRecordDigests digests = RecentRecordDigests.ForSpool(maxBytes);

        Assert.Equal(capacity, digests.Capacity);
        Assert.Equal(capacity * 8L, digests.Bytes);
        Assert.True(digests.Bytes <= 8 * SpoolOptions.MiB);
    }
}
