using System.Threading.Channels;
using XraySyslogSink.Core;

namespace XraySyslogSink.Tests.Core;

public sealed class MessageBufferPoolTests
{
    [Fact]
    public void A_returned_buffer_is_rented_again_for_a_message_of_its_size()
    {
        var pool = new MessageBufferPool(1 << 20);
        byte[] first = pool.Rent(300);
        Assert.Equal(512, first.Length);
        pool.Return(first);

        Assert.Same(first, pool.Rent(257));
        Assert.Equal(1, pool.Allocated);
        Assert.Equal(0, pool.RetainedBytes);
    }

    [Theory]
    [InlineData(0, 16)]
    [InlineData(1, 16)]
    [InlineData(16, 16)]
    [InlineData(17, 32)]
    [InlineData(8192, 8192)]
    [InlineData(8193, 16384)]
    [InlineData(MessageBufferPool.MaxPooledLength, MessageBufferPool.MaxPooledLength)]
    [InlineData(MessageBufferPool.MaxPooledLength + 1, MessageBufferPool.MaxPooledLength + 1)]
    public void Buffers_are_powers_of_two_up_to_the_largest_kept(int length, int expected)
    {
        var pool = new MessageBufferPool(1 << 20);
        Assert.Equal(expected, pool.Rent(length).Length);
        Assert.Equal(expected, MessageBufferPool.BufferLength(length));
    }

    [Fact]
    public void Idle_buffers_stay_within_the_bound_whatever_is_returned()
    {
        const long Bound = 64 * 1024;
        var pool = new MessageBufferPool(Bound);
        var rented = new List<byte[]>();
        for (int i = 0; i < 1000; i++)
        {
            rented.Add(pool.Rent(16 << (i % 12)));
        }

        foreach (byte[] buffer in rented)
        {
            pool.Return(buffer);
            Assert.InRange(pool.RetainedBytes, 0, Bound);
        }

        Assert.True(pool.RetainedBytes > Bound / 2, $"the pool kept only {pool.RetainedBytes} bytes");
    }

    [Fact]
    public void A_full_pool_drops_the_size_holding_the_most_bytes_to_keep_the_size_now_returned()
    {
        var pool = new MessageBufferPool(8 * (4096 + 32));
        byte[][] large = [.. Enumerable.Range(0, 8).Select(_ => pool.Rent(4096))];
        foreach (byte[] buffer in large)
        {
            pool.Return(buffer);
        }

        // The senders now send short lines: the pool follows them instead of staying full of 4 KiB buffers.
        byte[][] small = [.. Enumerable.Range(0, 48).Select(_ => pool.Rent(512))];
        foreach (byte[] buffer in small)
        {
            pool.Return(buffer);
        }

        long allocatedBefore = pool.Allocated;
        for (int i = 0; i < small.Length; i++)
        {
            small[i] = pool.Rent(512);
        }

        Assert.Equal(allocatedBefore, pool.Allocated);
        Assert.InRange(pool.RetainedBytes, 0, 8 * (4096 + 32));
    }

    [Fact]
    public void Lowering_the_bound_drops_what_is_over_it()
    {
        var pool = new MessageBufferPool(1 << 20);
        byte[][] buffers = [.. Enumerable.Range(0, 100).Select(_ => pool.Rent(1000))];
        foreach (byte[] buffer in buffers)
        {
            pool.Return(buffer);
        }

        pool.MaxRetainedBytes = 10_000;
        Assert.InRange(pool.RetainedBytes, 1, 10_000);
    }

    [Fact]
    public void Buffers_too_large_or_not_from_the_pool_are_not_kept()
    {
        var pool = new MessageBufferPool(16 << 20);
        pool.Return(pool.Rent(MessageBufferPool.MaxPooledLength + 1));
        pool.Return(new byte[1000]);
        pool.Return(new byte[8]);
        Assert.Equal(0, pool.RetainedBytes);
    }

    [Fact]
    public async Task Buffers_rented_on_one_thread_and_returned_on_others_are_reused()
    {
        // The listener or the replayer rents, parser workers return, as in the daemon; after the first round the
        // pool holds every buffer in flight, so later rounds allocate none.
        const int InFlight = 20_000;
        const int Rounds = 5;
        var pool = new MessageBufferPool(64L << 20);
        Channel<byte[]> queue = Channel.CreateBounded<byte[]>(InFlight);
        long allocatedAfterFirstRound = 0;
        Task[] returners = [.. Enumerable.Range(0, 2).Select(_ => Task.Run(async () =>
        {
            await foreach (byte[] buffer in queue.Reader.ReadAllAsync())
            {
                pool.Return(buffer);
            }
        }))];

        for (int round = 0; round < Rounds; round++)
        {
            for (int i = 0; i < InFlight; i++)
            {
                await queue.Writer.WriteAsync(pool.Rent(200 + (i % 300)));
            }

            if (round == 0)
            {
                allocatedAfterFirstRound = pool.Allocated;
            }
        }

        queue.Writer.Complete();
        await Task.WhenAll(returners).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.InRange(allocatedAfterFirstRound, 1, InFlight);
        Assert.True(pool.Allocated < (long)InFlight * Rounds / 2, $"{pool.Allocated} of {InFlight * Rounds} rents allocated");
    }

    [Fact]
    public void A_block_returned_at_once_keeps_every_buffer()
    {
        var pool = new MessageBufferPool(1 << 20);
        byte[] line = new byte[300];
        ReceivedMessage[] block = new ReceivedMessage[100];
        for (int i = 0; i < block.Length; i++)
        {
            block[i] = ReceivedMessage.Copy(line, default, Transport.Tcp, DateTimeOffset.UnixEpoch);
        }

        var buffers = new HashSet<byte[]>(block.Select(m => m.Buffer!), ReferenceEqualityComparer.Instance);
        pool.ReturnAll(block);

        Assert.Equal(100 * (512 + 32), pool.RetainedBytes);
        for (int i = 0; i < block.Length; i++)
        {
            Assert.Contains(pool.Rent(line.Length), buffers);
        }

        Assert.Equal(0, pool.Allocated);
    }

    [Fact]
    public void Releasing_a_block_clears_its_messages()
    {
        ReceivedMessage[] block = [.. Enumerable.Range(0, 10).Select(_ => ReceivedMessage.Copy(new byte[40], default, Transport.Tcp, DateTimeOffset.UnixEpoch))];
        ReceivedMessage.ReleaseAll(block);
        Assert.All(block, m => Assert.Null(m.Buffer));
    }

    [Fact]
    public void Copying_and_releasing_messages_allocates_nothing_once_the_pool_is_warm()
    {
        byte[] line = new byte[280];
        Random.Shared.NextBytes(line);
        Assert.Equal(0, SteadyStateAllocation.Measure(() => CopyAndRelease(line, 100_000)));
        ReceivedMessage[] block = new ReceivedMessage[512];
        Assert.Equal(0, SteadyStateAllocation.Measure(() =>
        {
            for (int round = 0; round < 200; round++)
            {
                for (int i = 0; i < block.Length; i++)
                {
                    block[i] = ReceivedMessage.Copy(line, default, Transport.Tcp, DateTimeOffset.UnixEpoch);
                }

                ReceivedMessage.ReleaseAll(block);
            }
        }));
    }

    private static void CopyAndRelease(byte[] line, int count)
    {
        for (int i = 0; i < count; i++)
        {
            ReceivedMessage message = ReceivedMessage.Copy(line, default, Transport.Tcp, DateTimeOffset.UnixEpoch);
            if (message.Bytes[0] != line[0])
            {
                throw new InvalidOperationException("The copy differs from the line.");
            }

            message.Release();
        }
    }
}
