using XraySyslogSink.Core;
using XraySyslogSink.Spool;

namespace XraySyslogSink.Listeners;

/// <summary>
/// The frames a stream connection decoded from one read, still in the pipe's buffer, appended to the spool together:
/// straight from the buffer and under one acquisition of the spool's lock, where each used to be copied into a
/// pooled message first and appended under a lock of its own. Frames the spool refuses (full) are copied and waited
/// for one by one, in order, which holds the connection back as before. Append before the pipe's buffer is advanced.
/// </summary>
internal sealed class FrameBatch
{
    /// <summary>Frames appended under one lock at most: bounds how long one connection holds the spool's lock.</summary>
    public const int Capacity = 64;

    private readonly ReadOnlyMemory<byte>[] _frames = new ReadOnlyMemory<byte>[Capacity];
    private int _count;

    public int Count => _count;

    public bool IsFull => _count == _frames.Length;

    /// <summary>Keeps <paramref name="frame"/> (memory the caller's pipe owns until it is advanced) for the next append.</summary>
    public void Add(ReadOnlyMemory<byte> frame) => _frames[_count++] = frame;

    /// <summary>
    /// Appends the frames kept, in order, then forgets them. Waits while the spool is full (backpressure); when the
    /// wait is cancelled the frames not yet appended are dropped, as a cancelled append drops its message.
    /// </summary>
    public async ValueTask AppendAsync(IMessageSpool spool, MessageOrigin origin, CancellationToken cancellationToken)
    {
        if (_count == 0)
        {
            return;
        }

        try
        {
            int appended = spool.TryAppendInOrder(_frames.AsSpan(0, _count), origin);
            for (int i = appended; i < _count; i++)
            {
                // The spool is full: the waiting append takes a message that owns its bytes.
                await spool.AppendAsync(ReceivedMessage.Copy(_frames[i].Span, origin), cancellationToken);
            }
        }
        finally
        {
            _frames.AsSpan(0, _count).Clear();
            _count = 0;
        }
    }
}
