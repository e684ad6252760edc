using System.Collections.Concurrent;
using System.Net;
using NpgsqlTypes;
using XraySyslogSink.Core;

namespace XraySyslogSink.Storage;

/// <summary>
/// Reuses <see cref="IPAddress"/> objects for repeated source addresses (a few clients send most lines),
/// so the COPY loop does not allocate one per row. Bounded: cleared when full, which is cheap and rare.
/// </summary>
internal sealed class SourceAddressCache
{
    private readonly int _capacity;
    private readonly ConcurrentDictionary<InetValue, IPAddress> _addresses = new();
    private int _count;

    public SourceAddressCache(int capacity = 65_536)
    {
        _capacity = capacity;
    }

    /// <summary>The value as PostgreSQL <c>inet</c>, keeping the prefix of a network such as <c>1.2.0.0/16</c>.</summary>
    public NpgsqlInet Get(InetValue value)
    {
        if (!_addresses.TryGetValue(value, out IPAddress? address))
        {
            address = value.ToIPAddress();
            if (Interlocked.Increment(ref _count) > _capacity)
            {
                _addresses.Clear();
                Interlocked.Exchange(ref _count, 1);
            }

            _addresses[value] = address;
        }

        return new NpgsqlInet(address, value.PrefixLength);
    }
}
