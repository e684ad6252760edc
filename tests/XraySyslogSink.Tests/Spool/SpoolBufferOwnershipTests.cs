using System.Text;
using XraySyslogSink.Core;

namespace XraySyslogSink.Tests.Spool;

/// <summary>
/// Tests that count <see cref="MessageBufferPool.Shared"/>'s buffers, so that a buffer kept or returned twice shows;
/// they run one at a time, after the parallel tests, so that no other test rents or returns meanwhile.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SharedBufferPoolCollection
{
    public const string Name = "Shared message buffer pool";
}

[Collection(SharedBufferPoolCollection.Name)]
public sealed class SpoolBufferOwnershipTests
{
    [Fact]
    public async Task Every_buffer_the_spool_and_its_replay_rent_is_returned_once_when_the_parsers_release_their_messages()
    {
        MessageBufferPool pool = MessageBufferPool.Shared;
        const int Length = 100;

        // What one idle buffer of this size adds to the pool's bytes (its length and the pool's overhead for it).
        long before = pool.RetainedBytes;
        pool.Return(new byte[MessageBufferPool.BufferLength(Length)]);
        long perBuffer = pool.RetainedBytes - before;
        Assert.True(perBuffer > 0 && pool.RetainedBytes + (1024 * perBuffer) < pool.MaxRetainedBytes, "the pool must have room to keep every buffer of this test");

        long retained = pool.RetainedBytes;
        long allocated = pool.Allocated;
        await using (SpoolHarness harness = await SpoolHarness.OpenAsync(new SimulatedFileSystem(), checkpoint: 0, queueCapacity: 3))
        {
            // In memory while the queue has room, then a copy the full queue refuses (given back), then the replay's copies.
            for (int i = 0; i < 40; i++)
            {
                byte[] payload = Encoding.ASCII.GetBytes($"<14>line {i}".PadRight(Length, '.'));
                Assert.True(harness.Spool.TryAppend(payload, SpoolHarness.Origin(), out _));
            }

            Assert.Equal(40, (await harness.DrainAsync()).Count);
        }

        // Each buffer rented was either idle in the pool or newly allocated; once every message is released they are
        // all idle again: fewer would be a buffer kept (leaked), more one returned twice (soon handed to two messages).
        long newlyAllocated = pool.Allocated - allocated;
        Assert.Equal(newlyAllocated * perBuffer, pool.RetainedBytes - retained);
    }
}
