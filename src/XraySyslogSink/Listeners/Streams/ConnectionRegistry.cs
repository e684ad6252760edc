namespace XraySyslogSink.Listeners.Streams;

/// <summary>The open connections of one listener, so stopping can wait for every one of them.</summary>
internal sealed class ConnectionRegistry
{
    private readonly Dictionary<long, Task> _open = [];
    private long _nextId;

    public int Count
    {
        get
        {
            lock (_open)
            {
                return _open.Count;
            }
        }
    }

    /// <summary>Starts <paramref name="serve"/> with a fresh id and tracks it until it calls <see cref="Remove"/>.</summary>
    public void Start(Func<long, Task> serve)
    {
        long id = Interlocked.Increment(ref _nextId);
        lock (_open)
        {
            // Started under the lock, so its own Remove (also under the lock) always comes after this Add.
            _open[id] = Task.Run(() => serve(id), CancellationToken.None);
        }
    }

    public void Remove(long id)
    {
        lock (_open)
        {
            _open.Remove(id);
        }
    }

    /// <summary>Every connection open now.</summary>
    public Task WhenAll()
    {
        lock (_open)
        {
            return Task.WhenAll([.. _open.Values]);
        }
    }
}
