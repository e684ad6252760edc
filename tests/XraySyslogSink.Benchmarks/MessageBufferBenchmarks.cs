using System.Buffers;
using BenchmarkDotNet.Attributes;
using XraySyslogSink.Core;
using XraySyslogSink.LoadGenerator;

namespace XraySyslogSink.Benchmarks;

/// <summary>
/// The message buffers' life in the daemon: a listener or the spool's replayer copies each message into a pooled
/// buffer, the message waits in the queue behind thousands of others, and a parser worker on another thread releases
/// it. Each operation copies <see cref="InFlight"/> lines of the bench mix's sizes, then releases them all on a
/// thread-pool thread. Mean is ns per message, Allocated bytes per message; the baseline is the shared array pool
/// the buffers came from before <see cref="MessageBufferPool"/>.
/// </summary>
[MemoryDiagnoser]
public class MessageBufferBenchmarks
{
    /// <summary>Messages in flight between the copy and the release: a share of a full message queue.</summary>
    public const int InFlight = 16_384;

    private readonly byte[][] _rented = new byte[InFlight][];
    private readonly ReceivedMessage[] _messages = new ReceivedMessage[InFlight];
    private byte[][] _lines = [];

    [GlobalSetup]
    public void Setup() => _lines = Lines.Messages(HeaderStyle.Rfc5424);

    [Benchmark(Baseline = true, OperationsPerInvoke = InFlight)]
    public void SharedArrayPool()
    {
        for (int i = 0; i < InFlight; i++)
        {
            byte[] line = _lines[i % _lines.Length];
            byte[] buffer = ArrayPool<byte>.Shared.Rent(line.Length);
            line.CopyTo(buffer, 0);
            _rented[i] = buffer;
        }

        Task.Run(() =>
        {
            for (int i = 0; i < InFlight; i++)
            {
                ArrayPool<byte>.Shared.Return(_rented[i]);
                _rented[i] = null!;
            }
        }).GetAwaiter().GetResult();
    }

    /// <summary>As the parser workers release them: a block of up to 512 messages at once, one lock for the block.</summary>
    [Benchmark(OperationsPerInvoke = InFlight)]
    public void MessageBuffersReleasedInBlocks()
    {
        for (int i = 0; i < InFlight; i++)
        {
            _messages[i] = ReceivedMessage.Copy(_lines[i % _lines.Length], default, Transport.Tcp, DateTimeOffset.UnixEpoch);
        }

        Task.Run(() =>
        {
            for (int i = 0; i < InFlight; i += RecordChunk.DefaultCapacity)
            {
                ReceivedMessage.ReleaseAll(_messages.AsSpan(i, Math.Min(RecordChunk.DefaultCapacity, InFlight - i)));
            }
        }).GetAwaiter().GetResult();
    }

    [Benchmark(OperationsPerInvoke = InFlight)]
    public void MessageBuffers()
    {
        for (int i = 0; i < InFlight; i++)
        {
            _messages[i] = ReceivedMessage.Copy(_lines[i % _lines.Length], default, Transport.Tcp, DateTimeOffset.UnixEpoch);
        }

        Task.Run(() =>
        {
            for (int i = 0; i < InFlight; i++)
            {
                _messages[i].Release();
                _messages[i] = default;
            }
        }).GetAwaiter().GetResult();
    }
}
