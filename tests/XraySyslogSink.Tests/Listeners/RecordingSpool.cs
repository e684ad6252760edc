using System.Text;
using XraySyslogSink.Core;
using XraySyslogSink.Spool;

namespace XraySyslogSink.Tests.Listeners;

/// <summary>An in-memory spool for listener tests: keeps each appended message's text and peer, everything durable at once.</summary>
internal sealed class RecordingSpool : IMessageSpool
{
    private readonly List<(string Text, InetValue Peer)> _messages = [];

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

    public ValueTask<long> AppendAsync(ReceivedMessage message, CancellationToken cancellationToken)
    {
        TryAppend(message.Bytes, message.Origin, out long sequence);
        message.Release();
        return ValueTask.FromResult(sequence);
    }

    /// <summary>Messages kept at most; beyond, appends are refused as a full spool refuses them.</summary>
    public int Capacity { get; init; } = int.MaxValue;

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

    public ValueTask WaitDurableAsync(long sequence, CancellationToken cancellationToken) => ValueTask.CompletedTask;
}
