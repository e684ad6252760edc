using System.Net;
using System.Net.Sockets;
using BenchmarkDotNet.Attributes;
using XraySyslogSink.Listeners;

namespace XraySyslogSink.Benchmarks;

/// <summary>
/// A receive thread's cost per datagram on loopback: each operation sends 32 datagrams of a typical access line's
/// size and takes them back, with recvmmsg (<c>Batched</c>) or one receive per datagram. The sending half is the
/// same in both, so the difference is what batching saves on the receiving side.
/// </summary>
[MemoryDiagnoser]
public class UdpReceiveBenchmarks
{
    private const int Datagrams = 32;

    private readonly byte[] _payload = new byte[260];
    private Socket _receiving = null!;
    private Socket _sending = null!;
    private UdpBatchReceiver _receiver = null!;

    [Params(true, false)]
    public bool Batched { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _receiving = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) { ReceiveTimeout = 1000, ReceiveBufferSize = 4 * 1024 * 1024 };
        _receiving.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _sending = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        _sending.Connect(_receiving.LocalEndPoint!);
        _receiver = new UdpBatchReceiver(8193, AddressFamily.InterNetwork, Batched);
        Array.Fill(_payload, (byte)'x');
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _receiving.Dispose();
        _sending.Dispose();
    }

    /// <summary>ns per datagram, sent and received.</summary>
    [Benchmark(OperationsPerInvoke = Datagrams)]
    public int SendAndReceive()
    {
        for (int i = 0; i < Datagrams; i++)
        {
            _sending.Send(_payload);
        }

        int bytes = 0;
        for (int taken = 0; taken < Datagrams;)
        {
            int count = _receiver.Receive(_receiving);
            for (int i = 0; i < count; i++)
            {
                bytes += _receiver.Datagram(i).Length;
            }

            taken += count;
        }

        return bytes;
    }
}
