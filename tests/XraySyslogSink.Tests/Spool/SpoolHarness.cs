using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using XraySyslogSink.Core;
using XraySyslogSink.Pipeline;
using XraySyslogSink.Spool;
using XraySyslogSink.Telemetry;

namespace XraySyslogSink.Tests.Spool;

/// <summary>A <see cref="MessageSpool"/> on a <see cref="SimulatedFileSystem"/>, with a small message queue the test reads as the parsers would.</summary>
internal sealed class SpoolHarness : IAsyncDisposable
{
    public const string Directory = "/spool";

    private readonly SinkMetrics _metrics;
    private bool _closed;

    private SpoolHarness(SimulatedFileSystem files, FakeTimeProvider time, SpoolOptions options, SinkChannels channels, MessageSpool spool, SinkMetrics metrics, MessageQueueBudget budget)
    {
        Budget = budget;
        _metrics = metrics;
        Files = files;
        Time = time;
        Options = options;
        Channels = channels;
        Spool = spool;
    }

    public SimulatedFileSystem Files { get; }

    public FakeTimeProvider Time { get; }

    public SpoolOptions Options { get; }

    public SinkChannels Channels { get; }

    public MessageSpool Spool { get; }

    /// <summary>The bytes of messages handed on and not yet taken by <see cref="TakeAvailable"/> (the parsers' part).</summary>
    public MessageQueueBudget Budget { get; }

    public static readonly DateTimeOffset Now = new(2026, 12, 2, 12, 0, 0, TimeSpan.Zero);

    /// <summary>Opens a spool at <paramref name="checkpoint"/> that writes new segments in <paramref name="format"/>; the flusher never runs on its own (tests sync explicitly).</summary>
    public static async Task<SpoolHarness> OpenAsync(SimulatedFileSystem files, long checkpoint, int queueCapacity = 4, long maxBytes = 4 * SpoolOptions.MiB, long segmentBytes = 64 * 1024, FakeTimeProvider? time = null, long budgetBytes = long.MaxValue, int format = SpoolSegment.CurrentVersion)
    {
        var options = new SpoolOptions { Directory = Directory, MaxBytes = maxBytes, SegmentBytes = segmentBytes, SyncInterval = TimeSpan.FromHours(1), SegmentFormat = format };
        var metrics = new SinkMetrics();
        var channels = new SinkChannels(new PipelineOptions { MessageQueueCapacity = queueCapacity }, metrics);
        time ??= new FakeTimeProvider(Now);
        var budget = new MessageQueueBudget(budgetBytes);
        var spool = new MessageSpool(options, channels.Messages.Writer, _ => Task.FromResult(checkpoint), metrics, NullLogger<MessageSpool>.Instance, budget, time, files);
        await spool.StartAsync(CancellationToken.None);
        return new SpoolHarness(files, time, options, channels, spool, metrics, budget);
    }

    public static ReceivedMessage Message(byte[] payload, DateTimeOffset? receivedAt = null, NodeIdentity node = default) =>
        ReceivedMessage.Copy(payload, Origin(receivedAt, node));

    public static MessageOrigin Origin(DateTimeOffset? receivedAt = null, NodeIdentity node = default) =>
        new(InetValue.FromIPv4(0x0A000001), Transport.Tcp, receivedAt ?? Now, node);

    public bool TryAppend(byte[] payload, out long sequence) => Spool.TryAppend(payload, Origin(), out sequence);

    /// <summary>Appends a message the listener accepted under <paramref name="node"/>.</summary>
    public bool TryAppend(byte[] payload, NodeIdentity node, out long sequence) => Spool.TryAppend(payload, Origin(node: node), out sequence);

    /// <summary>The node identity each message taken so far carried, by sequence number.</summary>
    public Dictionary<long, NodeIdentity> TakenNodes { get; } = [];

    /// <summary>What the parsers would take now.</summary>
    public List<(long First, long Sequence, byte[] Payload, DateTimeOffset ReceivedAt)> TakeAvailable(int max = int.MaxValue)
    {
        List<(long, long, byte[], DateTimeOffset)> taken = [];
        while (taken.Count < max && Channels.Messages.Reader.TryRead(out ReceivedMessage message))
        {
            taken.Add((message.FirstSequence, message.Sequence, message.Bytes.ToArray(), message.ReceivedAt));
            TakenNodes[message.Sequence] = message.Node;
            message.Release();
            Budget.Release(MessageQueueBudget.Cost(message.Length));
        }

        return taken;
    }

    /// <summary>Everything the spool will forward: waits until the replay has caught up and the queue is empty.</summary>
    public async Task<List<(long First, long Sequence, byte[] Payload, DateTimeOffset ReceivedAt)>> DrainAsync()
    {
        List<(long, long, byte[], DateTimeOffset)> taken = [];
        DateTime deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            bool replaying = Spool.Replaying;
            List<(long, long, byte[], DateTimeOffset)> now = TakeAvailable();
            taken.AddRange(now);
            if (!replaying && now.Count == 0 && Channels.Messages.Reader.Count == 0)
            {
                return taken;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("The spool did not finish its replay.");
            }

            if (now.Count == 0)
            {
                await Task.Delay(1);
            }
        }
    }

    /// <summary>A group commit and deletion of committed segments, as the flusher does every interval.</summary>
    public void Sync()
    {
        Spool.SyncOnce();
        Spool.DeleteCommitted();
    }

    /// <summary>A power loss: the file system loses or damages unsynced bytes; this process is gone.</summary>
    public async Task CrashAsync(Func<int, int> keep, Action<byte[], int>? damage = null)
    {
        Files.Crash(keep, damage);
        await DisposeAsync();
        Files.Restart();
    }

    public async ValueTask DisposeAsync()
    {
        if (_closed)
        {
            return;
        }

        _closed = true;
        await Spool.StopAsync(CancellationToken.None);
        Spool.Dispose();
        _metrics.Dispose();
    }
}
