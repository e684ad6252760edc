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
}
