using Microsoft.Extensions.Time.Testing;
using XraySyslogSink.Core;
using XraySyslogSink.Listeners.Security;
using XraySyslogSink.Telemetry;

namespace XraySyslogSink.Tests.Listeners;

public sealed class PeerLogLimiterTests
{
    [Fact]
    public void Each_peer_gets_its_lines_a_minute_and_the_rest_are_counted()
    {
        var clock = new FakeTimeProvider();
        using var metrics = new SinkMetrics();
        var limiter = new PeerLogLimiter(metrics, clock);
        InetValue noisy = InetValue.FromIPv4(0xC0000201);
        InetValue other = InetValue.FromIPv4(0xC0000202);

        int written = Enumerable.Range(0, 100).Count(_ => limiter.TryLog(noisy));
        Assert.Equal(PeerLogLimiter.PerMinute, written);
        Assert.Equal(100 - PeerLogLimiter.PerMinute, metrics.TotalLogSuppressed);
        Assert.True(limiter.TryLog(other));

        clock.Advance(TimeSpan.FromSeconds(61));
        Assert.True(limiter.TryLog(noisy));
    }

    [Fact]
    public void The_number_of_peers_remembered_a_minute_is_bounded()
    {
        var clock = new FakeTimeProvider();
        using var metrics = new SinkMetrics();
        var limiter = new PeerLogLimiter(metrics, clock);
        for (uint i = 0; i < PeerLogLimiter.MaxPeers; i++)
        {
            Assert.True(limiter.TryLog(InetValue.FromIPv4(0x0A000000 + i)));
        }

        Assert.False(limiter.TryLog(InetValue.FromIPv4(0x0B000000)));
        Assert.True(limiter.TryLog(InetValue.FromIPv4(0x0A000000)), "a peer already seen this minute keeps its allowance");
        Assert.Equal(1, metrics.TotalLogSuppressed);
    }
}
