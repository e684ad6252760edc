using System.Threading.Channels;
using XraySyslogSink.Core;
using XraySyslogSink.Spool;

namespace XraySyslogSink.Tests.Spool;

public sealed class HandOffSwitchTests
{
    private readonly Channel<ReceivedMessage> _queue = Channel.CreateBounded<ReceivedMessage>(2);
    private readonly SpoolSegment _segment = new(SpoolHarness.Directory, 1);

    [Fact]
    public void Forwards_in_memory_while_the_queue_has_room_then_switches_to_replay_at_that_record()
    {
        var handOff = new HandOffSwitch(_queue.Writer, new MessageQueueBudget(long.MaxValue));
        handOff.Start(checkpoint: 0, first: null);

        Assert.True(Forward(handOff, 1, 64, out _));
        Assert.True(Forward(handOff, 2, 128, out _));
        Assert.False(Forward(handOff, 3, 192, out bool started));
        Assert.True(started);
        Assert.True(handOff.Replaying);
        Assert.Equal((192L, 3L, 3L), (handOff.Offset, handOff.OffsetSequence, handOff.NextToForward));

        // While replaying, later appends stay on disk and do not restart the replay.
        Assert.False(Forward(handOff, 4, 256, out started));
        Assert.False(started);
    }

    [Fact]
    public void A_message_after_a_gap_accounts_for_the_numbers_before_it()
    {
        var handOff = new HandOffSwitch(_queue.Writer, new MessageQueueBudget(long.MaxValue));
        handOff.Start(checkpoint: 5, first: null);

        Assert.True(Forward(handOff, 9, 64, out _));
        Assert.True(_queue.Reader.TryRead(out ReceivedMessage message));
        Assert.Equal((6L, 9L), (message.FirstSequence, message.Sequence));
        message.Release();
    }

    [Fact]
    public void At_start_a_surviving_segment_is_replayed_from_its_beginning()
    {
        var handOff = new HandOffSwitch(_queue.Writer, new MessageQueueBudget(long.MaxValue));
        handOff.Start(checkpoint: 0, first: _segment);

        Assert.True(handOff.Replaying);
        Assert.Same(_segment, handOff.Segment);
        Assert.Equal((0L, 1L, 1L), (handOff.Offset, handOff.OffsetSequence, handOff.NextToForward));
    }

    [Fact]
    public void The_replay_moves_through_segments_and_returns_to_memory_after_the_last()
    {
        var handOff = new HandOffSwitch(_queue.Writer, new MessageQueueBudget(long.MaxValue));
        handOff.Start(checkpoint: 0, first: _segment);
        handOff.Forwarded(1, 100);
        var next = new SpoolSegment(SpoolHarness.Directory, 2);
        handOff.SegmentDone(next);

        Assert.Same(next, handOff.Segment);
        Assert.Equal((0L, 2L, 2L), (handOff.Offset, handOff.OffsetSequence, handOff.NextToForward));
        handOff.SegmentDone(null);
        Assert.False(handOff.Replaying);
    }

    [Fact]
    public void A_message_that_would_exceed_the_byte_budget_switches_to_replay_though_the_queue_has_room()
    {
        var budget = new MessageQueueBudget(3 * MessageQueueBudget.Cost(1000));
        var handOff = new HandOffSwitch(Channel.CreateBounded<ReceivedMessage>(100).Writer, budget);
        handOff.Start(checkpoint: 0, first: null);

        Assert.True(Forward(handOff, 1, 64, out _, length: 1000));
        Assert.True(Forward(handOff, 2, 128, out _, length: 1000));
        Assert.True(Forward(handOff, 3, 192, out _, length: 1000));
        Assert.False(Forward(handOff, 4, 256, out bool started, length: 10));
        Assert.True(started);
        Assert.Equal(3 * MessageQueueBudget.Cost(1000), budget.Bytes);
    }

    [Fact]
    public void Bytes_are_copied_into_the_queue_with_their_origin_and_number_while_it_has_room()
    {
        var budget = new MessageQueueBudget(long.MaxValue);
        var handOff = new HandOffSwitch(_queue.Writer, budget);
        handOff.Start(checkpoint: 0, first: null);
        byte[] bytes = "<14>from a receive slot"u8.ToArray();
        MessageOrigin origin = SpoolHarness.Origin(SpoolHarness.Now.AddMinutes(1), new NodeIdentity("edge-1", NodeIdentitySource.Network));

        Assert.True(handOff.TryForward(bytes, origin, 1, _segment, 64, out bool started));
        Array.Clear(bytes);

        Assert.False(started);
        Assert.True(_queue.Reader.TryRead(out ReceivedMessage message));
        Assert.Equal("<14>from a receive slot"u8.ToArray(), message.Bytes.ToArray());
        Assert.Equal(origin, message.Origin);
        Assert.Equal((1L, 1L), (message.FirstSequence, message.Sequence));
        Assert.Equal(MessageQueueBudget.Cost(bytes.Length), budget.Bytes);
        message.Release();
    }

    [Fact]
    public void Bytes_the_full_queue_refuses_give_their_budget_back_and_switch_to_replay_at_that_record()
    {
        var budget = new MessageQueueBudget(long.MaxValue);
        var handOff = new HandOffSwitch(_queue.Writer, budget);
        handOff.Start(checkpoint: 0, first: null);
        Assert.True(Forward(handOff, 1, 64, out _));
        Assert.True(Forward(handOff, 2, 128, out _));
        long held = budget.Bytes;

        Assert.False(handOff.TryForward("<14>third"u8, SpoolHarness.Origin(), 3, _segment, 192, out bool started));

        Assert.True(started);
        Assert.Equal(held, budget.Bytes);
        Assert.Equal((192L, 3L, 3L), (handOff.Offset, handOff.OffsetSequence, handOff.NextToForward));
        Assert.Equal(2, _queue.Reader.Count);
    }

    private bool Forward(HandOffSwitch handOff, long sequence, long offset, out bool startedReplay, int length = 3)
    {
        ReceivedMessage message = SpoolHarness.Message(new byte[length]);
        bool forwarded = handOff.TryForward(message, sequence, _segment, offset, out startedReplay);
        if (!forwarded)
        {
            message.Release();
        }

        return forwarded;
    }
}
