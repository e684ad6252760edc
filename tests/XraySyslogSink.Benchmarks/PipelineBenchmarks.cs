using System.Text;
using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.Time.Testing;
using XraySyslogSink.Core;
using XraySyslogSink.LoadGenerator;
using XraySyslogSink.Pipeline;
using XraySyslogSink.Storage;
using XraySyslogSink.Xray;

namespace XraySyslogSink.Benchmarks;

/// <summary>Dimension-cache lookups by UTF-8 bytes (the parser's path for every value of every line).</summary>
[MemoryDiagnoser]
public class DimensionCacheBenchmarks
{
    private readonly DimensionCache _endpoints = new("endpoints", 500_000);
    private byte[][] _keys = [];

    [GlobalSetup]
    public void Setup()
    {
        // 50,000 endpoints in the cache, as the load generator's default space; look up a skewed sample of them.
        for (int e = 0; e < 50_000; e++)
        {
            _endpoints.Set(EndpointText(e), e + 1);
        }

        var random = new Random(7);
        _keys = new byte[Lines.Count][];
        for (int i = 0; i < Lines.Count; i++)
        {
            double u = random.NextDouble();
            _keys[i] = Encoding.UTF8.GetBytes(EndpointText((int)(50_000 * u * u * u)));
        }
    }

    [Benchmark(OperationsPerInvoke = Lines.Count)]
    public int LookupByUtf8()
    {
        int sum = 0;
        foreach (byte[] key in _keys)
        {
            if (_endpoints.TryGetId(key, out int id))
            {
                sum += id;
            }
        }

        return sum;
    }

    private static string EndpointText(int e) => $"cdn{e}.site{e % 5000}.example.com";
}

/// <summary>
/// The whole per-line parser work of a worker: syslog header, xray line, time conversion, source address and the
/// five dimension lookups into a record, with every dimension value already cached (the steady state).
/// </summary>
[MemoryDiagnoser]
public class RecordBuilderBenchmarks
{
    private ReceivedMessage[] _messages = [];
    private AccessRecordBuilder _builder = null!;

    [Params("RFC5424", "RFC3164")]
    public string Format { get; set; } = "RFC5424";

    [GlobalSetup]
    public void Setup()
    {
        var caches = new DimensionCaches(new DimensionCacheOptions());
        var time = new FakeTimeProvider(new DateTimeOffset(2025, 6, 30, 23, 59, 50, TimeSpan.Zero));
        // The daemon's default accept window, as live traffic is parsed.
        _builder = new AccessRecordBuilder(caches, new SenderTimeZones(new XrayOptions()), new PipelineOptions(), time, AcceptWindow.FromOptions(new XrayOptions()));
        byte[][] raw = Lines.Messages(Format == "RFC5424" ? HeaderStyle.Rfc5424 : HeaderStyle.Rfc3164);
        _messages = [.. raw.Select(m => ReceivedMessage.Copy(m, InetValue.FromIPv4(0x7F000001), Transport.Tcp, time.GetUtcNow()))];

        // One pass teaches the caches every value, as the writer would after the first batch.
        var chunk = new RecordChunk(Lines.Count);
        foreach (ReceivedMessage message in _messages)
        {
            _builder.Append(message, chunk);
        }

        int id = 1;
        foreach (AccessRecord record in chunk.Records)
        {
            Learn(caches.Protocols, record.Protocol, ref id);
            Learn(caches.Endpoints, record.Destination, ref id);
            Learn(caches.Tags, record.InboundTag, ref id);
            Learn(caches.Tags, record.OutboundTag, ref id);
            Learn(caches.Users, record.User, ref id);
        }

        _builder.ChunkSent();
        chunk.Release();
    }

    [Benchmark(OperationsPerInvoke = Lines.Count)]
    public int BuildRecords()
    {
        var chunk = new RecordChunk(Lines.Count);
        foreach (ReceivedMessage message in _messages)
        {
            _builder.Append(message, chunk);
        }

        int count = chunk.Count;
        _builder.ChunkSent();
        chunk.Release();
        return count;
    }

    private static void Learn(DimensionCache cache, DimensionValue value, ref int id)
    {
        if (value.Text is { } text && !cache.TryGetId(text, out _))
        {
            cache.Set(text, id++);
        }
    }
}
