using System.Threading.Channels;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using Microsoft.Extensions.Logging.Abstractions;
using XraySyslogSink.Core;
using XraySyslogSink.LoadGenerator;
using XraySyslogSink.Spool;
using XraySyslogSink.Telemetry;

namespace XraySyslogSink.Benchmarks;

/// <summary>
/// A UDP receive thread's spool append per datagram during a burst (the message queue full, so every message goes to
/// the spool's file and reaches the parsers through the replay), on a real spool in a temporary directory: 65,536
/// typical access lines in batches of 32 from receive slots, by one thread or by two at once (the wall time per
/// datagram then is the rate the two reach together). <c>CopyThenAppend</c> is the path before the span append: a
/// pooled copy of each datagram first, the append, then the copy given back; <c>Bytes</c> appends from the slot,
/// one lock per datagram; <c>Batch</c> appends the slot's 32 datagrams under one acquisition of the spool's lock.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(RunStrategy.Monitoring, iterationCount: 50, invocationCount: 1)]
public class SpoolAppendBenchmarks
{
    public enum AppendPath
    {
        CopyThenAppend,
        Bytes,
        Batch,
    }

    private const int BatchSize = 32;
    private const int Datagrams = 64 * 1024;
    private const int SlotSize = 8193;

    private readonly byte[] _slots = new byte[BatchSize * SlotSize];
    private readonly MessageSlice[] _slices = new MessageSlice[BatchSize];
    private string _directory = "";
    private SinkMetrics _metrics = null!;
    private MessageSpool _spool = null!;

    [Params(AppendPath.CopyThenAppend, AppendPath.Bytes, AppendPath.Batch)]
    public AppendPath Path { get; set; }

    [Params(1, 2)]
    public int Threads { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        byte[][] lines = Lines.Messages(HeaderStyle.Rfc5424);
        var origin = new MessageOrigin(InetValue.FromIPv4(0x7F000001), Transport.Udp, new DateTimeOffset(2025, 6, 30, 23, 59, 50, TimeSpan.Zero));
        for (int i = 0; i < BatchSize; i++)
        {
            lines[i].CopyTo(_slots, i * SlotSize);
            _slices[i] = new MessageSlice(i * SlotSize, lines[i].Length, origin);
        }
    }

    /// <summary>A fresh spool whose message queue is full, so that the appends go to the replay.</summary>
    [IterationSetup]
    public void OpenSpool()
    {
        _directory = Directory.CreateTempSubdirectory("xraysink-bench-spool").FullName;
        _metrics = new SinkMetrics();
        Channel<ReceivedMessage> queue = Channel.CreateBounded<ReceivedMessage>(1);
        var options = new SpoolOptions { Directory = _directory, MaxBytes = 4096 * SpoolOptions.MiB, UdpShare = 1.0, SyncInterval = TimeSpan.FromHours(1) };
        _spool = new MessageSpool(options, queue.Writer, _ => Task.FromResult(0L), _metrics, NullLogger<MessageSpool>.Instance);
        _spool.StartAsync(CancellationToken.None).GetAwaiter().GetResult();
        _spool.TryAppend(_slots.AsSpan(0, _slices[0].Length), _slices[0].Origin, out _);
        _spool.TryAppend(_slots.AsSpan(0, _slices[0].Length), _slices[0].Origin, out _);
    }

    [IterationCleanup]
    public void CloseSpool()
    {
        _spool.StopAsync(CancellationToken.None).GetAwaiter().GetResult();
        _spool.Dispose();
        _metrics.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    /// <summary>ns per datagram (wall time).</summary>
    [Benchmark(OperationsPerInvoke = Datagrams)]
    public void Append()
    {
        int batches = Datagrams / BatchSize / Threads;
        if (Threads == 1)
        {
            AppendBatches(batches);
            return;
        }

        var threads = new Thread[Threads];
        for (int t = 0; t < threads.Length; t++)
        {
            threads[t] = new Thread(() => AppendBatches(batches));
            threads[t].Start();
        }

        foreach (Thread thread in threads)
        {
            thread.Join();
        }
    }

    private void AppendBatches(int batches)
    {
        for (int b = 0; b < batches; b++)
        {
            switch (Path)
            {
                case AppendPath.Batch:
                    _spool.TryAppend(_slots, _slices);
                    break;
                case AppendPath.Bytes:
                    foreach (MessageSlice slice in _slices)
                    {
                        _spool.TryAppend(_slots.AsSpan(slice.Offset, slice.Length), slice.Origin, out _);
                    }

                    break;
                default:
                    foreach (MessageSlice slice in _slices)
                    {
                        ReceivedMessage copy = ReceivedMessage.Copy(_slots.AsSpan(slice.Offset, slice.Length), slice.Origin);
                        _spool.TryAppend(copy.Bytes, copy.Origin, out _);
                        copy.Release();
                    }

                    break;
            }
        }
    }
}
