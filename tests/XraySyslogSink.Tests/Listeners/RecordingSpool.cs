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
        TryAppend(message, out long sequence);
        return ValueTask.FromResult(sequence);
    }

    public bool TryAppend(ReceivedMessage message, out long sequence)
    {
        lock (_messages)
        {
            _messages.Add((Encoding.UTF8.GetString(message.Bytes), message.Peer));
            sequence = _messages.Count;
        }

        message.Release();
        return true;
    }

    public ValueTask WaitDurableAsync(long sequence, CancellationToken cancellationToken) => ValueTask.CompletedTask;
}
