using System.Diagnostics.Metrics;
using System.Net;
using Microsoft.Extensions.Time.Testing;
using XraySyslogSink.Core;
using XraySyslogSink.Pipeline;
using XraySyslogSink.Storage;
using XraySyslogSink.Telemetry;
using XraySyslogSink.Xray;

namespace XraySyslogSink.Tests.Pipeline;

/// <summary>
/// Issue 12 item 3: dead letters have a total budget (per second and bytes per UTC day) and each source (its /24 or
/// /64) a share of it, so a sender of garbage cannot crowd out the dead letters of the others; what is over the budget
/// is counted by reason, limit and source class, never silently lost.
/// </summary>
public sealed class DeadLetterBudgetTests
{
    private static readonly DateTimeOffset Noon = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly InetValue Flooder = InetValue.FromIPAddress(IPAddress.Parse("203.0.113.5"));
    private static readonly InetValue Honest = InetValue.FromIPAddress(IPAddress.Parse("198.51.100.7"));

    [Fact]
    public void An_honest_source_keeps_storing_its_dead_letters_while_a_flooder_is_capped()
    {
        var clock = new FakeTimeProvider(Noon);
        var budget = new DeadLetterBudget(perSecond: 1000, bytesPerDay: 1024L * 1024 * 1024, sourceSharePercent: 10, clock);
        AccessRecordBuilder[] workers = [Builder(clock, budget), Builder(clock, budget)];
        var chunk = new RecordChunk(8192);

        // Within one second: 5,000 garbage lines from one sender, then 50 from another, spread over two workers.
        for (int i = 0; i < 5000; i++)
        {
            Append(workers[i % 2], chunk, Flooder);
        }

        for (int i = 0; i < 50; i++)
        {
            Append(workers[i % 2], chunk, Honest);
        }

        Assert.Equal(100, chunk.DeadLetters.Count(d => d.Peer == Flooder));
        Assert.Equal(50, chunk.DeadLetters.Count(d => d.Peer == Honest));
        Assert.Equal(4900, workers.Sum(w => w.Counts.SuppressedSinceReport));

        // The next second the flooder gets its share again, and no more.
        clock.Advance(TimeSpan.FromSeconds(1));
        for (int i = 0; i < 500; i++)
        {
            Append(workers[i % 2], chunk, Flooder);
        }

        Assert.Equal(200, chunk.DeadLetters.Count(d => d.Peer == Flooder));
    }

    [Fact]
    public void A_source_is_its_24_or_64_so_neighbouring_addresses_share_one_share()
    {
        var clock = new FakeTimeProvider(Noon);
        var budget = new DeadLetterBudget(perSecond: 100, bytesPerDay: 1_000_000, sourceSharePercent: 10, clock);

        for (int host = 1; host <= 10; host++)
        {
            Assert.Equal(DeadLetterLimit.None, budget.TryTake(InetValue.FromIPAddress(IPAddress.Parse($"203.0.113.{host}")), 100));
        }

        Assert.Equal(DeadLetterLimit.SourceRate, budget.TryTake(InetValue.FromIPAddress(IPAddress.Parse("203.0.113.200")), 100));
        Assert.Equal(DeadLetterLimit.None, budget.TryTake(InetValue.FromIPAddress(IPAddress.Parse("203.0.114.1")), 100));
        Assert.Equal(DeadLetterLimit.None, budget.TryTake(InetValue.FromIPAddress(IPAddress.Parse("2001:db8:0:1::1")), 100));
        Assert.Equal(
            DeadLetterBudget.SourceKey(InetValue.FromIPAddress(IPAddress.Parse("2001:db8:0:1::1"))),
            DeadLetterBudget.SourceKey(InetValue.FromIPAddress(IPAddress.Parse("2001:db8:0:1:ffff::9"))));
    }

    [Fact]
    public void The_day_budget_caps_the_volume_per_source_and_in_all_and_renews_at_midnight_utc()
    {
        var clock = new FakeTimeProvider(Noon);
        var budget = new DeadLetterBudget(perSecond: 1_000_000, bytesPerDay: 10_000, sourceSharePercent: 50, clock);
        InetValue a = InetValue.FromIPAddress(IPAddress.Parse("192.0.2.1"));
        InetValue b = InetValue.FromIPAddress(IPAddress.Parse("198.51.100.1"));
        InetValue c = InetValue.FromIPAddress(IPAddress.Parse("203.0.113.1"));

        Assert.Equal(DeadLetterLimit.None, budget.TryTake(a, 4000));
        Assert.Equal(DeadLetterLimit.SourceVolume, budget.TryTake(a, 1001));
        Assert.Equal(DeadLetterLimit.None, budget.TryTake(a, 1000));
        Assert.Equal(DeadLetterLimit.None, budget.TryTake(b, 4500));
        Assert.Equal(DeadLetterLimit.Volume, budget.TryTake(c, 501));
        Assert.Equal(DeadLetterLimit.None, budget.TryTake(c, 500));
        Assert.Equal(10_000, budget.BytesToday);

        clock.SetUtcNow(new DateTimeOffset(2026, 3, 2, 0, 0, 0, TimeSpan.Zero));
        Assert.Equal(DeadLetterLimit.None, budget.TryTake(a, 5000));
        Assert.Equal(5000, budget.BytesToday);
    }

    [Fact]
    public void Budget_exhaustion_is_counted_by_reason_limit_and_source_class_never_silently_lost()
    {
        var clock = new FakeTimeProvider(Noon);
        var budget = new DeadLetterBudget(perSecond: 1_000_000, bytesPerDay: 4000, sourceSharePercent: 100, clock);
        AccessRecordBuilder builder = Builder(clock, budget);
        var chunk = new RecordChunk(4096);
        InetValue privateSender = InetValue.FromIPAddress(IPAddress.Parse("10.1.2.3"));
        var measurements = new List<(long Value, Dictionary<string, object?> Tags)>();
        using var metrics = new SinkMetrics();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Name == "xraysink.dead_letters.suppressed")
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            Dictionary<string, object?> byKey = tags.ToArray().ToDictionary(t => t.Key, t => t.Value);
            if (value > 0 && byKey.GetValueOrDefault("source_class") is "private")
            {
                lock (measurements)
                {
                    measurements.Add((value, byKey));
                }
            }
        });
        listener.Start();

        for (int i = 0; i < 100; i++)
        {
            Append(builder, chunk, privateSender);
        }

        int stored = chunk.DeadLetters.Count;
        Assert.InRange(stored, 1, 99);
        Assert.Equal(100 - stored, builder.Counts.SuppressedSinceReport);
        builder.Counts.ReportTo(metrics);

        (long value, Dictionary<string, object?> tags) = Assert.Single(measurements);
        Assert.Equal(100 - stored, value);
        Assert.Equal("volume", tags["limit"]);
        Assert.Equal("no timestamp", tags["reason"]);
        Assert.Equal(0, builder.Counts.SuppressedSinceReport);
    }

    [Fact]
    public void Beyond_the_tracked_sources_the_rest_share_one_entry()
    {
        var clock = new FakeTimeProvider(Noon);
        var budget = new DeadLetterBudget(perSecond: 1_000_000, bytesPerDay: 100_000_000, sourceSharePercent: 1, clock);
        for (int i = 0; i < DeadLetterBudget.MaxTrackedSources; i++)
        {
            Assert.Equal(DeadLetterLimit.None, budget.TryTake(InetValue.FromIPv4(0x0A00_0000u + ((uint)i << 8)), 1));
        }

        // Untracked sources share one share (1% = 1,000,000 bytes): the first takes it all.
        Assert.Equal(DeadLetterLimit.None, budget.TryTake(InetValue.FromIPv4(0x0B00_0000u), 999_000));
        Assert.Equal(DeadLetterLimit.SourceVolume, budget.TryTake(InetValue.FromIPv4(0x0C00_0000u), 2000));
    }

    [Theory]
    [InlineData("127.0.0.1", "loopback")]
    [InlineData("::1", "loopback")]
    [InlineData("10.9.8.7", "private")]
    [InlineData("172.16.0.1", "private")]
    [InlineData("172.32.0.1", "public")]
    [InlineData("192.168.1.1", "private")]
    [InlineData("100.64.0.1", "private")]
    [InlineData("169.254.1.1", "private")]
    [InlineData("fd00::1", "private")]
    [InlineData("fe80::1", "private")]
    [InlineData("::ffff:10.0.0.1", "private")]
    [InlineData("8.8.8.8", "public")]
    [InlineData("2001:db8::1", "public")]
    public void Source_classes_are_a_bounded_set(string address, string expected)
    {
        Assert.Equal(expected, SourceClass.Of(InetValue.FromIPAddress(IPAddress.Parse(address))));
        Assert.Equal("none", SourceClass.Of(default));
    }

    private static AccessRecordBuilder Builder(TimeProvider clock, DeadLetterBudget budget) =>
        new(new DimensionCaches(new DimensionCacheOptions()), new SenderTimeZones(new XrayOptions()), new PipelineOptions { ParserWorkers = 2 }, clock, AcceptWindow.None, budget);

    // An access line without a timestamp and no syslog header: a dead letter "no timestamp".
    private static void Append(AccessRecordBuilder builder, RecordChunk chunk, InetValue peer)
    {
        ReceivedMessage message = ReceivedMessage.Copy("from 1.2.3.4:5 accepted tcp:x.org:443 [in >> out]"u8, peer, Transport.Udp, Noon);
        builder.Append(message, chunk);
        message.Release();
    }
}
