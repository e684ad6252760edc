using System.Net;
using System.Net.Sockets;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using XraySyslogSink.Listeners;

namespace XraySyslogSink.Benchmarks;

/// <summary>
/// A receive thread's cost per datagram on loopback, the sender left out: before each iteration 2,048 datagrams of a
/// typical access line's size are queued on the socket, and the iteration takes them all, with recvmmsg
/// (<c>Batched</c>) or one receive per datagram.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(RunStrategy.Monitoring, iterationCount: 30, invocationCount: 1)]
public class UdpReceiveBenchmarks
{
    private const int Datagrams = 2048;

    private readonly byte[] _payload = new byte[260];
    private Socket _receiving = null!;
    private Socket _sending = null!;
    private UdpBatchReceiver _receiver = null!;

    [Params(true, false)]
    public bool Batched { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        // 2,048 queued datagrams take about 2 MiB of receive buffer with the kernel's overhead per datagram.
        _receiving = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) { ReceiveTimeout = 1000, ReceiveBufferSize = 16 * 1024 * 1024 };
        _receiving.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _sending = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        _sending.Connect(_receiving.LocalEndPoint!);
        _receiver = new UdpBatchReceiver(8193, AddressFamily.InterNetwork, Batched);
        Array.Fill(_payload, (byte)'x');
    }

    [IterationSetup]
    public void Queue()
    {
        for (int i = 0; i < Datagrams; i++)
        {
            _sending.Send(_payload);
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _receiving.Dispose();
        _sending.Dispose();
    }

    /// <summary>ns per datagram received.</summary>
    [Benchmark(OperationsPerInvoke = Datagrams)]
    public int Receive()
    {
        int bytes = 0;
        for (int taken = 0; taken < Datagrams;)
        {
            int count = _receiver.Receive(_receiving);
            if (count == 0)
            {
                throw new InvalidOperationException($"the kernel dropped datagrams: {taken} of {Datagrams} arrived (raise net.core.rmem_max)");
            }

            for (int i = 0; i < count; i++)
            {
                bytes += _receiver.Datagram(i).Length;
            }

            taken += count;
        }

        return bytes;
    }
}
