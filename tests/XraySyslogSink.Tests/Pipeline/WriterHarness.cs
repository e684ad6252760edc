using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using XraySyslogSink.Core;
using XraySyslogSink.Pipeline;
using XraySyslogSink.Telemetry;

namespace XraySyslogSink.Tests.Pipeline;

/// <summary>
/// A batching writer over a test store with its record queue and metrics: batches of 10 rows, a 1 s flush interval,
/// a 100–400 ms retry back-off. Disposing it completes the queue and stops the writer (which drains what is left).
/// </summary>
internal sealed class WriterHarness : IAsyncDisposable
{
    public WriterHarness(IBatchStore store, TimeProvider time)
    {
        Metrics = new SinkMetrics(Meters);
        Channels = new SinkChannels(new PipelineOptions { RecordQueueCapacity = 64 }, Metrics);
        var options = new WriterOptions
        {
            BatchSize = 10,
            FlushInterval = TimeSpan.FromSeconds(1),
            RetryInitialDelay = TimeSpan.FromMilliseconds(100),
            RetryMaxDelay = TimeSpan.FromMilliseconds(400),
        };
        Writer = new BatchingWriter(Channels, store, Options.Create(options), Metrics, time, NullLogger<BatchingWriter>.Instance);
    }

    /// <summary>The meters of this harness only, so that a listener can tell its instruments from other tests'.</summary>
    public ScopedMeterFactory Meters { get; } = new();

    public SinkMetrics Metrics { get; }

    public SinkChannels Channels { get; }

    public BatchingWriter Writer { get; }

    public Task StartAsync() => Writer.StartAsync(CancellationToken.None);

    public ValueTask SendAsync(RecordChunk chunk) => Channels.Records.Writer.WriteAsync(chunk);

    public async ValueTask DisposeAsync()
    {
        Channels.Records.Writer.TryComplete();
        await Writer.StopAsync(CancellationToken.None);
        Writer.Dispose();
        Metrics.Dispose();
    }

    /// <summary>A chunk of <paramref name="rows"/> records one second apart, their source ports 0, 1, 2…</summary>
    public static RecordChunk Chunk(int rows)
    {
        var chunk = new RecordChunk();
        for (int i = 0; i < rows; i++)
        {
            ref AccessRecord record = ref chunk.Add();
            record.TimestampUtc = new DateTime(2025, 11, 17, 12, 0, i, DateTimeKind.Utc);
            record.SourcePort = i;
        }

        return chunk;
    }
}

/// <summary>Creates meters scoped to itself, so a listener can tell this factory's instruments from others'.</summary>
internal sealed class ScopedMeterFactory : IMeterFactory
{
    public Meter Create(MeterOptions options) => new(options.Name, options.Version, options.Tags, scope: this);

    public void Dispose()
    {
    }
}
