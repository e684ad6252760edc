using System.Text;
using XraySyslogSink.Core;
using XraySyslogSink.Spool;

namespace XraySyslogSink.Tests.Listeners;

/// <summary>
/// An in-memory spool for listener tests: keeps each appended message's text and peer, everything durable at once.
/// Beyond <see cref="Capacity"/> it refuses as a full spool does: <c>TryAppend</c> returns false and
/// <see cref="AppendAsync"/> waits until <see cref="Raise"/> makes room.
/// </summary>
internal sealed class RecordingSpool : IMessageSpool
{
    private readonly List<(string Text, InetValue Peer)> _messages = [];
    private TaskCompletionSource _room = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _largestInOrderBatch;

    public IReadOnlyList<(string Text, InetValue Peer)> Messages
    {
        get
        {
            lock (_messages)
            {
                return [.. _messages];
            }
        }
    }

    /// <summary>Messages kept at most; beyond, appends are refused as a full spool refuses them.</summary>
    public int Capacity { get; private set; } = int.MaxValue;

    /// <summary>The most messages one <see cref="TryAppendInOrder"/> call was handed.</summary>
    public int LargestInOrderBatch => Volatile.Read(ref _largestInOrderBatch);

    /// <summary>A spool that holds <paramref name="capacity"/> messages until <see cref="Raise"/>.</summary>
    public static RecordingSpool Holding(int capacity) => new() { Capacity = capacity };

    /// <summary>Makes room for <paramref name="capacity"/> messages and wakes the waiting appends.</summary>
    public void Raise(int capacity)
    {
        TaskCompletionSource room;
        lock (_messages)
        {
            Capacity = capacity;
            room = _room;
            _room = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        room.TrySetResult();
    }

    public async ValueTask<long> AppendAsync(ReceivedMessage message, CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                Task room;
                lock (_messages)
                {
                    if (TryAppend(message.Bytes, message.Origin, out long sequence))
                    {
                        return sequence;
                    }

                    room = _room.Task;
                }

                await room.WaitAsync(cancellationToken);
            }
        }
        finally
        {
            message.Release();
        }
    }

    public bool TryAppend(ReadOnlySpan<byte> bytes, in MessageOrigin origin, out long sequence)
    {
        lock (_messages)
        {
            sequence = 0;
            if (_messages.Count >= Capacity)
            {
                return false;
            }

            _messages.Add((Encoding.UTF8.GetString(bytes), origin.Peer));
            sequence = _messages.Count;
        }

        return true;
    }

    public int TryAppend(ReadOnlySpan<byte> buffer, ReadOnlySpan<MessageSlice> messages)
    {
        int appended = 0;
        foreach (MessageSlice message in messages)
        {
            if (TryAppend(buffer.Slice(message.Offset, message.Length), message.Origin, out _))
            {
                appended++;
            }
        }

        return appended;
    }

    public int TryAppendInOrder(ReadOnlySpan<ReadOnlyMemory<byte>> messages, in MessageOrigin origin)
    {
        lock (_messages)
        {
            _largestInOrderBatch = Math.Max(_largestInOrderBatch, messages.Length);
            int appended = 0;
            while (appended < messages.Length && TryAppend(messages[appended].Span, origin, out _))
            {
                appended++;
            }

            return appended;
        }
    }

    public ValueTask WaitDurableAsync(long sequence, CancellationToken cancellationToken) => ValueTask.CompletedTask;
}
