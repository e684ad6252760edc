using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using XraySyslogSink.IntegrationTests.Infrastructure;
using XraySyslogSink.IntegrationTests.Spool;

namespace XraySyslogSink.IntegrationTests.Security;

/// <summary>
/// The built daemon as its own process under hostile traffic on 127.0.0.x (each attack from its own loopback
/// address, so the per-source limit is tested apart from the honest node): random bytes, NUL floods, an octet
/// count of 2^31, half-open and slow connections, more connections than the limits, oversize datagrams and TLS
/// garbage. Throughout an honest node on 127.0.0.1 sends access lines over one TCP connection and over UDP; the
/// daemon must stay up, its RSS must stay bounded, and every honest line must arrive in PostgreSQL.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class HostileTrafficTests(PostgresServer postgres, Xunit.Abstractions.ITestOutputHelper output) : IDisposable
{
    private const int MaxConnections = 64;
    private const int MaxPerSource = 8;

    // The daemon peaked near 100 MiB here (on a loaded machine); the bound leaves room for GC variance and catches unbounded growth.
    private const long RssLimitBytes = 256L * 1024 * 1024;

    private readonly string _spool = DaemonProcess.NewSpoolDirectory();
    private readonly TestCertificates _pki = new();

    [Fact]
    public async Task The_daemon_stays_up_and_bounded_and_honest_lines_keep_arriving()
    {
        string database = await postgres.CreateDatabaseAsync();
        int tcpPort = LoggedDaemon.FreeTcpPort();
        int tlsPort = LoggedDaemon.FreeTcpPort();
        int udpPort = FreeUdpPort();
        using LoggedDaemon daemon = await LoggedDaemon.StartAsync(database, _spool, tcpPort,
            $"--Listeners:Udp=127.0.0.1:{udpPort}",
            $"--Listeners:Tls=127.0.0.1:{tlsPort}",
            $"--Tls:Certificate={_pki.CollectorCertificateFile}",
            $"--Tls:Key={_pki.CollectorKeyFile}",
            "--Tls:HandshakeTimeout=00:00:02",
            $"--Listeners:MaxConnections={MaxConnections}",
            $"--Listeners:MaxConnectionsPerSource={MaxPerSource}",
            "--Listeners:IdleTimeout=00:00:05",
            "--Writer:FlushInterval=00:00:00.200");
        await DaemonProcess.WaitForPortAsync(tlsPort, daemon.Process);
        var tcp = new IPEndPoint(IPAddress.Loopback, tcpPort);
        var tls = new IPEndPoint(IPAddress.Loopback, tlsPort);

        using var rss = new RssSampler(daemon.Process.Id);
        using var stopHonest = new CancellationTokenSource();
        var honestPorts = new ConcurrentBag<int>();
        Task honest = SendHonestLinesAsync(tcp, new IPEndPoint(IPAddress.Loopback, udpPort), honestPorts, stopHonest.Token);

        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        await Task.WhenAll(
            JunkAsync(tcp, From(2), 64 * 1024, tlsHeaders: false, seed: 6, deadline.Token),
            NulFloodAsync(tcp, From(3), deadline.Token),
            HugeOctetCountAsync(tcp, From(4), deadline.Token),
            HalfOpenAndSlowAsync(tcp, From(5), deadline.Token),
            OversizeDatagramsAsync(udpPort, From(6), deadline.Token),
            JunkAsync(tls, From(7), 16 * 1024, tlsHeaders: true, seed: 7, deadline.Token));
        Assert.False(daemon.Process.HasExited, "the daemon died during the first wave");

        // More connections than the per-source limit from one address, then than the total limit from many.
        int refusedPerSource = await OverLimitAsync(tcp, [From(8)], MaxPerSource + 6, deadline.Token);
        Assert.True(refusedPerSource >= 6, $"{refusedPerSource} of {MaxPerSource + 6} connections from one address were refused");
        int refusedTotal = await OverLimitAsync(tcp, [.. Enumerable.Range(10, 10).Select(From)], MaxConnections + 10, deadline.Token);
        Assert.True(refusedTotal >= 10, $"{refusedTotal} connections over the total limit were refused");
        Assert.False(daemon.Process.HasExited, "the daemon died");

        await Task.Delay(1000);
        await stopHonest.CancelAsync();
        await honest;
        int[] sent = [.. honestPorts.Order()];
        Assert.True(sent.Length > 20, $"only {sent.Length} honest lines were sent");
        long rows = await Database.WaitForCountAsync(database, "SELECT count(*) FROM logs WHERE source_ip = '10.9.9.9'", sent.Length, TimeSpan.FromSeconds(60));
        Assert.Equal(sent.Length, rows);
        List<object?[]> stored = await Database.RowsAsync(database, "SELECT source_port FROM logs WHERE source_ip = '10.9.9.9' ORDER BY source_port");
        Assert.Equal(sent, stored.Select(row => (int)row[0]!));
        Assert.False(daemon.Process.HasExited, "the daemon died");
        output.WriteLine($"honest lines {sent.Length}, all stored; refused per source {refusedPerSource}, over total {refusedTotal}; peak RSS {rss.Peak / (1024 * 1024)} MiB");
        Assert.True(rss.Peak > 0, "no RSS sample was taken");
        Assert.True(rss.Peak < RssLimitBytes, $"peak RSS {rss.Peak / (1024 * 1024)} MiB (limit {RssLimitBytes / (1024 * 1024)} MiB)");
        Assert.Empty(daemon.Errors());
        Assert.True(daemon.StopGracefully(TimeSpan.FromSeconds(30)), "the daemon should stop cleanly after the attack");
    }

    public void Dispose()
    {
        _pki.Dispose();
        if (Directory.Exists(_spool))
        {
            Directory.Delete(_spool, recursive: true);
        }
    }

    private static IPAddress From(int last) => new([127, 0, 0, (byte)last]);

    private static int FreeUdpPort()
    {
        using var probe = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)probe.Client.LocalEndPoint!).Port;
    }

    private static async Task<TcpClient> ConnectFromAsync(IPAddress source, IPEndPoint target, CancellationToken cancel)
    {
        var client = new TcpClient(new IPEndPoint(source, 0));
        await client.ConnectAsync(target, cancel);
        return client;
    }

    /// <summary>One honest access line every 50 ms, alternately over the long-lived TCP connection and UDP; each with its own source port.</summary>
    private static async Task SendHonestLinesAsync(IPEndPoint tcp, IPEndPoint udp, ConcurrentBag<int> sent, CancellationToken stop)
    {
        using var connection = new TcpClient(new IPEndPoint(IPAddress.Loopback, 0));
        await connection.ConnectAsync(tcp, CancellationToken.None);
        using var datagrams = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        NetworkStream stream = connection.GetStream();
        for (int port = 1; !stop.IsCancellationRequested; port++)
        {
            byte[] line = TestLines.Build(port, 1, source: "10.9.9.9");
            if (port % 2 == 0)
            {
                await stream.WriteAsync(line, CancellationToken.None);
            }
            else
            {
                await datagrams.SendAsync(line, udp, CancellationToken.None);
            }

            sent.Add(port);
            try
            {
                await Task.Delay(50, stop);
            }
            catch (OperationCanceledException)
            {
            }
        }

        connection.Client.Shutdown(SocketShutdown.Send);
        await TlsForwardingTests.ReadUntilClosedAsync(connection);
    }

    private static async Task NulFloodAsync(IPEndPoint tcp, IPAddress source, CancellationToken cancel)
    {
        byte[] nuls = new byte[256 * 1024];
        for (int i = 0; i < 3; i++)
        {
            using TcpClient client = await ConnectFromAsync(source, tcp, cancel);
            for (int chunk = 0; chunk < 8; chunk++)
            {
                await WriteIgnoringResetAsync(client, nuls, cancel);
            }
        }
    }

    private static async Task HugeOctetCountAsync(IPEndPoint tcp, IPAddress source, CancellationToken cancel)
    {
        foreach (string header in (string[])["2147483648 <14>", "2147483647 <14>", "99999999999999999999 x", "1048577 <14>"])
        {
            using TcpClient client = await ConnectFromAsync(source, tcp, cancel);
            await WriteIgnoringResetAsync(client, Encoding.ASCII.GetBytes(header + new string('a', 1000)), cancel);
            Assert.Equal(0, await TlsForwardingTests.ReadUntilClosedAsync(client));
        }
    }

    /// <summary>Connections that say nothing, stop inside a frame, or dribble a byte at a time: the idle timeout (5 s) ends them.</summary>
    private static async Task HalfOpenAndSlowAsync(IPEndPoint tcp, IPAddress source, CancellationToken cancel)
    {
        var clients = new List<TcpClient>();
        try
        {
            for (int i = 0; i < MaxPerSource - 2; i++)
            {
                TcpClient client = await ConnectFromAsync(source, tcp, cancel);
                clients.Add(client);
                if (i % 2 == 1)
                {
                    await client.GetStream().WriteAsync(Encoding.ASCII.GetBytes("4000 <14>1 2025-11-17T10:00:00Z half"), cancel);
                }
            }

            using TcpClient slow = await ConnectFromAsync(source, tcp, cancel);
            for (int i = 0; i < 30; i++)
            {
                await WriteIgnoringResetAsync(slow, "x"u8.ToArray(), cancel);
                await Task.Delay(100, cancel);
            }

            foreach (TcpClient client in clients)
            {
                Assert.Equal(0, await TlsForwardingTests.ReadUntilClosedAsync(client));
            }
        }
        finally
        {
            clients.ForEach(client => client.Dispose());
        }
    }

    private static async Task OversizeDatagramsAsync(int udpPort, IPAddress source, CancellationToken cancel)
    {
        using var client = new UdpClient(new IPEndPoint(source, 0));
        byte[] big = new byte[60_000];
        Array.Fill(big, (byte)'A');
        for (int i = 0; i < 200; i++)
        {
            await client.SendAsync(big, new IPEndPoint(IPAddress.Loopback, udpPort), cancel);
            if (i % 20 == 0)
            {
                await Task.Delay(10, cancel);
            }
        }
    }

    /// <summary>Connections carrying random bytes (every other one behind a TLS record header announcing a huge handshake), read until the daemon closes them.</summary>
    private static async Task JunkAsync(IPEndPoint target, IPAddress source, int size, bool tlsHeaders, int seed, CancellationToken cancel)
    {
        var random = new Random(seed);
        for (int i = 0; i < 20; i++)
        {
            using TcpClient client = await ConnectFromAsync(source, target, cancel);
            byte[] junk = new byte[size];
            random.NextBytes(junk);
            if (tlsHeaders && i % 2 == 0)
            {
                junk[0] = 0x16;
                junk[1] = 0x03;
                junk[2] = 0x01;
                junk[3] = 0xFF;
                junk[4] = 0xFF;
            }

            await WriteIgnoringResetAsync(client, junk, cancel);
            try
            {
                client.Client.Shutdown(SocketShutdown.Send);
            }
            catch (SocketException)
            {
                // Already reset by the daemon.
            }

            await TlsForwardingTests.ReadUntilClosedAsync(client);
        }
    }

    /// <summary>Opens <paramref name="count"/> connections spread over <paramref name="sources"/>, holds them, and returns how many the daemon closed at once.</summary>
    private static async Task<int> OverLimitAsync(IPEndPoint tcp, IPAddress[] sources, int count, CancellationToken cancel)
    {
        var clients = new List<TcpClient>();
        try
        {
            for (int i = 0; i < count; i++)
            {
                clients.Add(await ConnectFromAsync(sources[i % sources.Length], tcp, cancel));
            }

            await Task.Delay(500, cancel);
            int closed = 0;
            foreach (TcpClient client in clients)
            {
                Socket socket = client.Client;
                // A refused connection was accepted and closed at once: readable with nothing to read.
                if (socket.Poll(0, SelectMode.SelectRead) && socket.Available == 0)
                {
                    closed++;
                }
            }

            return closed;
        }
        finally
        {
            clients.ForEach(client => client.Dispose());
        }
    }

    private static async Task WriteIgnoringResetAsync(TcpClient client, byte[] bytes, CancellationToken cancel)
    {
        try
        {
            await client.GetStream().WriteAsync(bytes, cancel);
        }
        catch (Exception ex) when (ex is IOException or InvalidOperationException)
        {
            // The daemon already closed this connection, as it should.
        }
    }

    /// <summary>Samples VmRSS from /proc/PID/status every 100 ms and keeps the peak.</summary>
    private sealed class RssSampler : IDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _loop;
        private long _peak;

        public RssSampler(int pid) => _loop = Task.Run(async () =>
        {
            while (!_stop.IsCancellationRequested)
            {
                long rss = Read(pid);
                if (rss > Volatile.Read(ref _peak))
                {
                    Volatile.Write(ref _peak, rss);
                }

                try
                {
                    await Task.Delay(100, _stop.Token);
                }
                catch (OperationCanceledException)
                {
                }
            }
        });

        public long Peak => Volatile.Read(ref _peak);

        public void Dispose()
        {
            _stop.Cancel();
            _loop.Wait();
            _stop.Dispose();
        }

        private static long Read(int pid)
        {
            try
            {
                foreach (string line in File.ReadLines($"/proc/{pid}/status"))
                {
                    if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                    {
                        return long.Parse(line.AsSpan(6).Trim().TrimEnd("kB").Trim(), CultureInfo.InvariantCulture) * 1024;
                    }
                }
            }
            catch (IOException)
            {
                // The process is gone; the test notices that itself.
            }

            return 0;
        }
    }
}
