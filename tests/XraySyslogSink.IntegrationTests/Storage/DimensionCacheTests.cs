using System.Text;
using XraySyslogSink.Storage;

namespace XraySyslogSink.IntegrationTests.Storage;

public sealed class DimensionCacheTests
{
    [Fact]
    public void Looks_up_by_utf8_bytes_exactly()
    {
        DimensionCache cache = new("users", 100);
        cache.Set("Alice@Example.com", 7);
        cache.Set("jürgen@example.de", 8);

        Assert.True(cache.TryGetId("Alice@Example.com"u8, out int id));
        Assert.Equal(7, id);
        Assert.False(cache.TryGetId("alice@example.com"u8, out _));
        Assert.True(cache.TryGetId(Encoding.UTF8.GetBytes("jürgen@example.de"), out id));
        Assert.Equal(8, id);

        string longValue = new('a', 1000);
        cache.Set(longValue, 9);
        Assert.True(cache.TryGetId(Encoding.UTF8.GetBytes(longValue), out id));
        Assert.Equal(9, id);
    }

    [Fact]
    public void Stays_bounded_and_keeps_values_in_use()
    {
        DimensionCache cache = new("endpoints", 100);
        for (int i = 1; i <= 10_000; i++)
        {
            cache.Set($"host{i}", i);

            // A hot value looked up all the time survives every rotation.
            Assert.True(cache.TryGetId("host1"u8, out int hot));
            Assert.Equal(1, hot);
            Assert.True(cache.Count <= 101, $"count {cache.Count}");
        }

        Assert.False(cache.TryGetId("host2"u8, out _));
        Assert.True(cache.TryGetId("host10000"u8, out _));
    }

    [Fact]
    public void Lookups_do_not_allocate()
    {
        DimensionCache cache = new("tags", 100);
        cache.Set("direct", 1);
        byte[] key = "direct"u8.ToArray();
        cache.TryGetId(key, out _);

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++)
        {
            cache.TryGetId(key, out _);
            cache.TryGetId("missing"u8, out _);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public async Task Is_thread_safe()
    {
        DimensionCache cache = new("users", 1000);
        await Task.WhenAll(Enumerable.Range(0, 4).Select(t => Task.Run(() =>
        {
            for (int i = 1; i < 20_000; i++)
            {
                string value = $"u{i % 3000}";
                if (cache.TryGetId(value, out int id))
                {
                    Assert.Equal((i % 3000) + 1, id);
                }
                else
                {
                    cache.Set(value, (i % 3000) + 1);
                }
            }
        })));
        Assert.True(cache.Count <= 1001);
    }

    [Fact]
    public void Invalid_utf8_is_found_as_the_text_the_database_stores_for_it()
    {
        DimensionCache cache = new("endpoints", 100);

        // PostgreSQL receives the value decoded with each bad sequence as U+FFFD, and that text comes back.
        byte[] raw = [(byte)'a', 0xC3, (byte)'b', 0xFF];
        cache.Set(Encoding.UTF8.GetString(raw), 5);

        Assert.True(cache.TryGetId(raw, out int id));
        Assert.Equal(5, id);
        Assert.True(cache.TryGetId("a\uFFFDb\uFFFD", out id));
        Assert.Equal(5, id);
    }

    [Fact]
    public void Keys_of_every_length_are_found_with_their_own_id_and_none_by_a_prefix_or_an_extension()
    {
        // Entries are padded to four bytes: a key one to three bytes shorter or longer must not match through the padding.
        DimensionCache cache = new("endpoints", 1000);
        for (int length = 0; length <= 70; length++)
        {
            cache.Set(new string('k', length), length + 1);
        }

        for (int length = 0; length <= 70; length++)
        {
            Assert.True(cache.TryGetId(Encoding.ASCII.GetBytes(new string('k', length)), out int id));
            Assert.Equal(length + 1, id);
        }

        Assert.False(cache.TryGetId(Encoding.ASCII.GetBytes(new string('k', 71)), out _));
        Assert.False(cache.TryGetId("kkkj"u8, out _));
    }

    [Fact]
    public void Invalid_utf8_is_never_found_as_its_own_bytes_only_as_the_text_it_decodes_to()
    {
        // Every kept key is valid UTF-8, so a lookup of invalid bytes misses first and is decoded after the miss.
        DimensionCache cache = new("endpoints", 100);
        cache.Set("x\uFFFD", 6);

        Assert.True(cache.TryGetId([(byte)'x', 0xFF], out int id));
        Assert.Equal(6, id);
        Assert.False(cache.TryGetId([(byte)'y', 0xFF], out _));
    }

    [Fact]
    public void An_id_set_again_replaces_the_old_one()
    {
        DimensionCache cache = new("users", 100);
        cache.Set("bob@example.com", 3);
        cache.Set("bob@example.com", 4);

        Assert.True(cache.TryGetId("bob@example.com"u8, out int id));
        Assert.Equal(4, id);
        Assert.Equal(1, cache.Count);
    }

    [Fact]
    public void Entries_take_their_bytes_and_a_slot_not_objects()
    {
        // 200,000 entries of 30-byte keys: the keys' 6 MB plus slots; a dictionary of strings took about 130 bytes each.
        DimensionCache cache = new("endpoints", 500_000);
        for (int i = 1; i <= 200_000; i++)
        {
            cache.Set($"cdn{i:D6}.site{i % 5000:D4}.example.com", i);
        }

        Assert.Equal(200_000, cache.Count);
        Assert.InRange(cache.Bytes, 200_000 * 30, 200_000 * 100);
        Assert.True(cache.TryGetId("cdn123456.site3456.example.com"u8, out int id));
        Assert.Equal(123_456, id);
    }

    [Fact]
    public void A_table_that_knows_how_many_entries_it_holds_grows_its_entries_to_their_size_not_a_power_of_two_past_it()
    {
        // 110,000 entries of 30-byte keys: 40 bytes each with the id, the length and the padding, 4.4 MB. Doubling
        // from 1 KiB stops at 8 MiB; sized by the projection it stays within a tenth of the entries' bytes.
        const int Entries = 110_000;
        var sized = new Utf8KeyTable(expectedEntries: Entries);
        var unsized = new Utf8KeyTable();
        for (int i = 1; i <= Entries; i++)
        {
            byte[] key = Encoding.ASCII.GetBytes($"cdn{i:D6}.site{i % 5000:D4}.example.com");
            Assert.True(sized.Set(key, i, i));
            Assert.True(unsized.Set(key, i, i));
        }

        const long SlotBytes = 262_144 * 8;
        Assert.InRange(sized.Bytes - SlotBytes, Entries * 40L, Entries * 44L);
        Assert.Equal(8L << 20, unsized.Bytes - SlotBytes);
        Assert.True(sized.TryGet(Encoding.ASCII.GetBytes("cdn109999.site4999.example.com"), 109_999, out int id));
        Assert.Equal(109_999, id);
    }
}
