using System.Numerics;

namespace XraySyslogSink.Core;

/// <summary>
/// The buffers <see cref="ReceivedMessage"/> copies received and replayed messages into. A buffer is rented by a
/// listener or the spool's replayer and returned by a parser worker after a stay in the message queue, tens of
/// thousands of messages later and on another thread. <see cref="System.Buffers.ArrayPool{T}.Shared"/> keeps only a
/// few arrays per size per core, so with a full queue most of its rents were fresh arrays that lived long enough to
/// be promoted and then died in the oldest generation (the allocation profile in docs/performance.md: about 250 of
/// the 370 bytes allocated per row, and the second-generation collections). This pool keeps every returned buffer up
/// to <see cref="MaxRetainedBytes"/>, a quarter of the message queue's byte budget (Pipeline:MessageQueueBytes), so
/// memory stays bounded whatever sizes a sender uses: buffers in use are within the budget, idle ones within a
/// quarter of it. While messages flow, a buffer returned is soon rented again and few are idle at any time; the
/// bound matters after a burst, when the queue drains.
/// </summary>
/// <remarks>
/// Buffers are powers of two from <see cref="MinLength"/> to <see cref="MaxPooledLength"/> bytes, the sizes
/// <c>MessageQueueBudget.Cost</c> charges for; a larger message gets an array of its own that is not kept. When a
/// returned buffer would exceed the bound, buffers of the size holding the most bytes are dropped first, so the pool
/// follows a change in the senders' sizes instead of staying full of a size no longer asked for. One lock guards it:
/// a rent or a return is a push or a pop, a few nanoseconds under a lock taken by a handful of threads.
/// </remarks>
internal sealed class MessageBufferPool
{
    /// <summary>The smallest buffer handed out.</summary>
    public const int MinLength = 16;

    /// <summary>The largest buffer kept (1 MiB); Listeners:MaxMessageSize is 8 KiB by default.</summary>
    public const int MaxPooledLength = 1 << MaxShift;

    /// <summary>A quarter of Pipeline:MessageQueueBytes' default, until the host sets it from the configured budget.</summary>
    public const long DefaultMaxRetainedBytes = 16L * 1024 * 1024;

    /// <summary>What an idle buffer costs beyond its bytes: the array's header and its slot in the stack.</summary>
    private const int Overhead = 32;

    private const int MinShift = 4;
    private const int MaxShift = 20;

    private readonly object _gate = new();
    private readonly SizeClass[] _classes = new SizeClass[MaxShift - MinShift + 1];
    private long _maxRetainedBytes;
    private long _retainedBytes;
    private long _allocated;

    public MessageBufferPool(long maxRetainedBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxRetainedBytes);
        _maxRetainedBytes = maxRetainedBytes;
        for (int i = 0; i < _classes.Length; i++)
        {
            _classes[i] = new SizeClass(1 << (i + MinShift));
        }
    }

    /// <summary>The pool every <see cref="ReceivedMessage"/> uses.</summary>
    public static MessageBufferPool Shared { get; } = new(DefaultMaxRetainedBytes);

    /// <summary>The most bytes of idle buffers kept; lowering it drops what is over.</summary>
    public long MaxRetainedBytes
    {
        get => Interlocked.Read(ref _maxRetainedBytes);
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            lock (_gate)
            {
                _maxRetainedBytes = value;
                while (_retainedBytes > value && DropFromLargest(except: -1))
                {
                }
            }
        }
    }

    /// <summary>Bytes of idle buffers held now, each counted with its array header and its slot in the pool.</summary>
    public long RetainedBytes => Interlocked.Read(ref _retainedBytes);

    /// <summary>Buffers allocated because none of the size was idle (or too large to keep): the pool's misses.</summary>
    public long Allocated => Interlocked.Read(ref _allocated);

    /// <summary>The length of the buffer a message of <paramref name="length"/> bytes gets.</summary>
    public static int BufferLength(int length) =>
        length <= MinLength ? MinLength : length > MaxPooledLength ? length : (int)BitOperations.RoundUpToPowerOf2((uint)length);

    /// <summary>A buffer of at least <paramref name="length"/> bytes (<see cref="BufferLength"/>); its contents are undefined.</summary>
    public byte[] Rent(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        int size = BufferLength(length);
        if (size <= MaxPooledLength)
        {
            SizeClass sizeClass = _classes[ClassOf(size)];
            lock (_gate)
            {
                if (sizeClass.TryPop(out byte[]? buffer))
                {
                    _retainedBytes -= size + Overhead;
                    return buffer;
                }
            }
        }

        Interlocked.Increment(ref _allocated);
        // Only the message's own bytes are ever read, so the array need not be zeroed.
        return GC.AllocateUninitializedArray<byte>(size);
    }

    /// <summary>Takes a buffer back from <see cref="Rent"/> (from any thread); it must not be used afterwards.</summary>
    public void Return(byte[] buffer)
    {
        ArgumentNullException.ThrowIfNull(buffer);
        lock (_gate)
        {
            ReturnLocked(buffer);
        }
    }

    /// <summary>Takes back the buffers of <paramref name="messages"/> under one lock (a parser worker's block).</summary>
    public void ReturnAll(ReadOnlySpan<ReceivedMessage> messages)
    {
        lock (_gate)
        {
            foreach (ref readonly ReceivedMessage message in messages)
            {
                if (message.Buffer is { } buffer)
                {
                    ReturnLocked(buffer);
                }
            }
        }
    }

    private static int ClassOf(int size) => BitOperations.Log2((uint)size) - MinShift;

    /// <summary>Keeps <paramref name="buffer"/> if it is of a pooled size and fits, dropping buffers of other sizes to make room.</summary>
    private void ReturnLocked(byte[] buffer)
    {
        int size = buffer.Length;
        if (size < MinLength || size > MaxPooledLength || !BitOperations.IsPow2(size))
        {
            return;
        }

        int index = ClassOf(size);
        while (_retainedBytes + size + Overhead > _maxRetainedBytes)
        {
            if (!DropFromLargest(except: index))
            {
                return;
            }
        }

        _classes[index].Push(buffer);
        _retainedBytes += size + Overhead;
    }

    /// <summary>Drops one idle buffer of the size that holds the most bytes (but <paramref name="except"/>); false when there is none.</summary>
    private bool DropFromLargest(int except)
    {
        int largest = -1;
        long most = 0;
        for (int i = 0; i < _classes.Length; i++)
        {
            long bytes = (long)_classes[i].Count * (_classes[i].Size + Overhead);
            if (i != except && bytes > most)
            {
                most = bytes;
                largest = i;
            }
        }

        if (largest < 0 || !_classes[largest].TryPop(out _))
        {
            return false;
        }

        _retainedBytes -= _classes[largest].Size + Overhead;
        return true;
    }

    /// <summary>The idle buffers of one size: a stack that grows as needed (its own array is the only allocation).</summary>
    private sealed class SizeClass(int size)
    {
        private byte[][] _items = [];

        public int Size { get; } = size;

        public int Count { get; private set; }

        public void Push(byte[] buffer)
        {
            if (Count == _items.Length)
            {
                Array.Resize(ref _items, Math.Max(64, _items.Length * 2));
            }

            _items[Count++] = buffer;
        }

        public bool TryPop([System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out byte[]? buffer)
        {
            if (Count == 0)
            {
                buffer = null;
                return false;
            }

            buffer = _items[--Count];
            _items[Count] = null!;
            return true;
        }
    }
}
