using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using XraySyslogSink.Listeners.Relp;
using XraySyslogSink.Listeners.Security;
using XraySyslogSink.Listeners.Streams;
using XraySyslogSink.Listeners;
using XraySyslogSink.Telemetry;

namespace XraySyslogSink.Tests.Listeners;

/// <summary>The stream listener core on 127.0.0.1 with an in-memory spool and a fake clock for its timeouts.</summary>
public sealed class StreamListenerTests : IAsyncDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    private readonly FakeTimeProvider _clock = new();
    private readonly RecordingSpool _spool = new();
    private readonly SinkMetrics _metrics = new();
    private readonly string _certificate = Path.GetTempFileName();
    private readonly string _key = Path.GetTempFileName();
    private IListener? _listener;

    [Theory]
    [InlineData(ListenerKind.Tcp, typeof(PlainPortGate), typeof(SyslogStreamHandler))]
    [InlineData(ListenerKind.Tls, typeof(TlsLayer), typeof(SyslogStreamHandler))]
    [InlineData(ListenerKind.Relp, typeof(PlainPortGate), typeof(RelpHandler))]
    [InlineData(ListenerKind.RelpTls, typeof(TlsLayer), typeof(RelpHandler))]
    internal void Every_stream_listener_is_the_one_core_with_TLS_as_a_layer_where_configured(ListenerKind kind, Type layer, Type handler)
    {
        var options = new ListenerOptions();
        var factory = new ListenerFactory(options, new SourceFilter(options, NullLogger.Instance), _spool, _metrics, _clock, NullLogger.Instance);
        _listener = factory.Create(kind, new IPEndPoint(IPAddress.Loopback, 0), ListenerFactory.IsTls(kind) ? TlsAuthenticatorForTests() : null);
        StreamListener stream = Assert.IsType<StreamListener>(_listener);
        Assert.Equal(kind, stream.Kind);
        Assert.IsType(layer, Assert.Single(stream.Spec.Layers));
        Assert.IsType(handler, stream.Spec.Handler);
    }

    [Fact]
    public void The_factory_keeps_UDP_its_own_receive_loop()
    {
        var options = new ListenerOptions();
        var factory = new ListenerFactory(options, new SourceFilter(options, NullLogger.Instance), _spool, _metrics, _clock, NullLogger.Instance);
        _listener = factory.Create(ListenerKind.Udp, new IPEndPoint(IPAddress.Loopback, 0), null);
        Assert.IsType<UdpSyslogListener>(_listener);
    }

    [Fact]
    public async Task A_silent_connection_is_closed_after_the_idle_timeout_and_one_that_sent_a_frame_is_kept()
    {
        StreamListener listener = Start(new ListenerOptions { IdleTimeout = TimeSpan.FromMinutes(5) });
        using TcpClient silent = await ConnectAsync(listener);
        using TcpClient talking = await ConnectAsync(listener);
        await talking.GetStream().WriteAsync("<14>hello\n"u8.ToArray());
        Assert.True(await EventuallyAsync(() => _spool.Messages.Count == 1));

        // The clock moves until the silent connection's timer (armed once it is served) has fired.
        Assert.True(await EventuallyAsync(() => Advance(TimeSpan.FromMinutes(6)) && _metrics.TotalRejected(ConnectionEnds.SilentTimeout) == 1));
        Assert.Equal(0, await ReadUntilClosedAsync(silent));

        // Hours of quiet later the established connection still delivers.
        _clock.Advance(TimeSpan.FromHours(5));
        await talking.GetStream().WriteAsync("<14>still here\n"u8.ToArray());
        Assert.True(await EventuallyAsync(() => _spool.Messages.Count == 2));
        Assert.Equal(1, listener.ConnectionCount);
    }

    [Fact]
    public async Task An_established_idle_timeout_when_set_closes_a_quiet_connection_that_sent_frames()
    {
        StreamListener listener = Start(new ListenerOptions { EstablishedIdleTimeout = TimeSpan.FromMinutes(30) });
        using TcpClient client = await ConnectAsync(listener);
        await client.GetStream().WriteAsync("<14>hello\n"u8.ToArray());
        Assert.True(await EventuallyAsync(() => _spool.Messages.Count == 1));
        Assert.True(await EventuallyAsync(() => Advance(TimeSpan.FromMinutes(31)) && listener.ConnectionCount == 0));
        Assert.Equal(0, await ReadUntilClosedAsync(client));
        Assert.Equal(0, _metrics.TotalRejected(ConnectionEnds.SilentTimeout));
    }

    [Fact]
    public async Task A_connection_holding_more_than_the_buffer_limit_is_closed_and_counted()
    {
        // RELP reads a frame whole (syslog framing discards an oversize one as it streams past).
        StreamListener listener = Start(new ListenerOptions { MaxBufferedBytesPerConnection = 16 * 1024, MaxMessageSize = 8192 }, ListenerKind.Relp);
        using TcpClient client = await ConnectAsync(listener);
        byte[] frame = Encoding.ASCII.GetBytes("1 open 30 relp_version=0\ncommands=syslog\n2 syslog 100000 " + new string('a', 40_000));
        try
        {
            await client.GetStream().WriteAsync(frame);
        }
        catch (IOException)
        {
            // Closed while writing, as it should be.
        }

        Assert.True(await EventuallyAsync(() => _metrics.TotalRejected(ConnectionEnds.BufferLimit) == 1));
        Assert.True(await EventuallyAsync(() => listener.ConnectionCount == 0));
    }

    [Fact]
    public async Task Frames_of_one_read_are_appended_together_in_order_with_one_larger_than_the_pipe_buffer_among_them()
    {
        // 300 lines of 330 bytes cross the pipe's 64 KiB buffers more than once, and the 100,000-byte one always does.
        StreamListener listener = Start(new ListenerOptions { MaxMessageSize = 200_000, MaxBufferedBytesPerConnection = 1024 * 1024 });
        List<string> sent = [];
        for (int i = 0; i < 300; i++)
        {
            sent.Add(i == 150 ? "<14>large " + new string('l', 100_000) : $"<14>line {i:D3} " + new string('x', 316));
        }

        using TcpClient client = await ConnectAsync(listener);
        await client.GetStream().WriteAsync(Encoding.ASCII.GetBytes(string.Concat(sent.Select(line => line + "\n"))));

        Assert.True(await EventuallyAsync(() => _spool.Messages.Count == sent.Count), $"{_spool.Messages.Count} of {sent.Count}");
        Assert.Equal(sent, _spool.Messages.Select(m => m.Text));
        Assert.InRange(_spool.LargestInOrderBatch, 2, FrameBatch.Capacity);
        Assert.Equal(sent.Count, _metrics.TotalMessages);
    }

    [Theory]
    [InlineData(ListenerKind.Tcp)]
    [InlineData(ListenerKind.Relp)]
    internal async Task A_full_spool_holds_the_connection_back_and_every_frame_arrives_in_order_once_it_has_room(ListenerKind kind)
    {
        RecordingSpool spool = RecordingSpool.Holding(3);
        StreamListener listener = Start(new ListenerOptions(), kind, spool);
        using TcpClient client = await ConnectAsync(listener);
        string[] lines = [.. Enumerable.Range(0, 10).Select(i => $"<14>line {i}")];
        string wire = kind == ListenerKind.Tcp
            ? string.Concat(lines.Select(line => line + "\n"))
            : "1 open 30 relp_version=0\ncommands=syslog\n" + string.Concat(lines.Select((line, i) => $"{i + 2} syslog {line.Length} {line}\n"));
        await client.GetStream().WriteAsync(Encoding.ASCII.GetBytes(wire));

        Assert.True(await EventuallyAsync(() => spool.Messages.Count == 3));
        spool.Raise(int.MaxValue);
        Assert.True(await EventuallyAsync(() => spool.Messages.Count == lines.Length), $"{spool.Messages.Count} of {lines.Length}");
        Assert.Equal(lines, spool.Messages.Select(m => m.Text));
        if (kind == ListenerKind.Relp)
        {
            // Every message acknowledged, in order, once appended.
            string expected = string.Concat(Enumerable.Range(2, lines.Length).Select(txnr => $"{txnr} rsp 6 200 OK\n"));
            string answers = await ReadAnswersAsync(client, until: expected);
            Assert.EndsWith(expected, answers, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Stopping_waits_for_open_connections_and_frees_their_places()
    {
        StreamListener listener = Start(new ListenerOptions());
        using TcpClient client = await ConnectAsync(listener);
        await client.GetStream().WriteAsync("<14>before stop\n"u8.ToArray());
        Assert.True(await EventuallyAsync(() => _spool.Messages.Count == 1));
        await listener.StopAsync(CancellationToken.None);
        Assert.Equal(0, listener.ConnectionCount);
        Assert.Equal(0, await ReadUntilClosedAsync(client));
    }

    [Fact]
    public async Task A_client_certificate_subject_with_a_newline_is_logged_escaped()
    {
        var log = new CapturingLogger();
        TlsAuthenticator tls = TlsAuthenticatorForTests(ClientCertificateMode.Require, log);
        var options = new ListenerOptions();
        var factory = new ListenerFactory(options, new SourceFilter(options, NullLogger.Instance), _spool, _metrics, _clock, log);
        _listener = factory.Create(ListenerKind.Tls, new IPEndPoint(IPAddress.Loopback, 0), tls);
        _listener.Start();

        var name = new X500DistinguishedNameBuilder();
        name.AddCommonName("node\nwarn: XraySyslogSink forged line \u001b[2J");
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(name.Build(), key, HashAlgorithmName.SHA256);
        using X509Certificate2 rogue = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        using var client = new TcpClient(AddressFamily.InterNetwork);
        await client.ConnectAsync(_listener.LocalEndPoint);
        await using var ssl = new System.Net.Security.SslStream(client.GetStream(), false, (_, certificate, _, _) => certificate is not null);
        using var timeout = new CancellationTokenSource(Patience);
        try
        {
            await ssl.AuthenticateAsClientAsync(new System.Net.Security.SslClientAuthenticationOptions
            {
                TargetHost = "collector.test",
                ClientCertificateContext = System.Net.Security.SslStreamCertificateContext.Create(rogue, null),
            }, timeout.Token);
            // TLS 1.3 reports the refusal on the first read.
            _ = await ssl.ReadAsync(new byte[1], timeout.Token);
        }
        catch (Exception ex) when (ex is IOException or System.Security.Authentication.AuthenticationException)
        {
            // Refused, as it should be.
        }

        Assert.True(await EventuallyAsync(() => _metrics.TotalRejected(TlsAuthenticator.UntrustedClientCertificate) == 1));
        string refused = Assert.Single(log.Lines, line => line.Contains("refused", StringComparison.Ordinal));
        Assert.Contains(@"node\u000awarn: XraySyslogSink forged line \u001b[2J", refused, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', refused);
        Assert.DoesNotContain('\u001b', refused);
    }

    [Fact]
    public async Task Warnings_about_one_peer_are_rate_limited_and_the_rest_counted()
    {
        var log = new CapturingLogger();
        var options = new ListenerOptions();
        var factory = new ListenerFactory(options, new SourceFilter(options, NullLogger.Instance), _spool, _metrics, _clock, log);
        _listener = factory.Create(ListenerKind.Tcp, new IPEndPoint(IPAddress.Loopback, 0), null);
        _listener.Start();
        const int Attempts = PeerLogLimiter.PerMinute + 5;
        for (int i = 0; i < Attempts; i++)
        {
            using var client = new TcpClient(AddressFamily.InterNetwork);
            await client.ConnectAsync(_listener.LocalEndPoint);
            await client.GetStream().WriteAsync("2147483648 <14>x"u8.ToArray());
            Assert.Equal(0, await ReadUntilClosedAsync(client));
        }

        Assert.True(await EventuallyAsync(() => _metrics.TotalRejected(ConnectionEnds.FramingError) == Attempts));
        Assert.Equal(PeerLogLimiter.PerMinute, log.Lines.Count(line => line.Contains("MaxOctetCount", StringComparison.Ordinal)));
        Assert.Equal(Attempts - PeerLogLimiter.PerMinute, _metrics.TotalLogSuppressed);
    }

    public async ValueTask DisposeAsync()
    {
        if (_listener is not null)
        {
            await _listener.DisposeAsync();
        }

        _metrics.Dispose();
        File.Delete(_certificate);
        File.Delete(_key);
    }

    private TlsAuthenticator TlsAuthenticatorForTests(ClientCertificateMode mode = ClientCertificateMode.None, Microsoft.Extensions.Logging.ILogger? logger = null)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=collector.test", key, HashAlgorithmName.SHA256);
        using X509Certificate2 certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        File.WriteAllText(_certificate, certificate.ExportCertificatePem());
        File.WriteAllText(_key, key.ExportPkcs8PrivateKeyPem());
        // With client certificates required, the collector's own certificate serves as the (only) trusted CA.
        return TlsAuthenticator.Create(new TlsOptions { Certificate = _certificate, Key = _key, ClientCertificates = mode, ClientCa = _certificate }, _metrics, logger ?? NullLogger.Instance);
    }

    private bool Advance(TimeSpan by)
    {
        _clock.Advance(by);
        return true;
    }

    private StreamListener Start(ListenerOptions options, ListenerKind kind = ListenerKind.Tcp, RecordingSpool? spool = null)
    {
        var factory = new ListenerFactory(options, new SourceFilter(options, NullLogger.Instance), spool ?? _spool, _metrics, _clock, NullLogger.Instance);
        var listener = (StreamListener)factory.Create(kind, new IPEndPoint(IPAddress.Loopback, 0), null);
        _listener = listener;
        listener.Start();
        return listener;
    }

    private static async Task<TcpClient> ConnectAsync(StreamListener listener)
    {
        var client = new TcpClient(AddressFamily.InterNetwork);
        await client.ConnectAsync(listener.LocalEndPoint);
        return client;
    }

    private static async Task<string> ReadAnswersAsync(TcpClient client, string until)
    {
        var buffer = new byte[4096];
        var answers = new StringBuilder();
        using var timeout = new CancellationTokenSource(Patience);
        while (!answers.ToString().EndsWith(until, StringComparison.Ordinal))
        {
            int read = await client.GetStream().ReadAsync(buffer, timeout.Token);
            if (read == 0)
            {
                break;
            }

            answers.Append(Encoding.ASCII.GetString(buffer, 0, read));
        }

        return answers.ToString();
    }

    private static async Task<int> ReadUntilClosedAsync(TcpClient client)
    {
        var buffer = new byte[1024];
        int total = 0;
        using var timeout = new CancellationTokenSource(Patience);
        try
        {
            int read;
            while ((read = await client.GetStream().ReadAsync(buffer, timeout.Token)) > 0)
            {
                total += read;
            }
        }
        catch (IOException)
        {
            // Reset by the listener: closed as well.
        }

        return total;
    }

    /// <summary>Keeps every formatted log line.</summary>
    private sealed class CapturingLogger : Microsoft.Extensions.Logging.ILogger
    {
        private readonly List<string> _lines = [];

        public IReadOnlyList<string> Lines
        {
            get
            {
                lock (_lines)
                {
                    return [.. _lines];
                }
            }
        }

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(Microsoft.Extensions.Logging.LogLevel logLevel) => true;

        public void Log<TState>(Microsoft.Extensions.Logging.LogLevel logLevel, Microsoft.Extensions.Logging.EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (_lines)
            {
                _lines.Add(formatter(state, exception));
            }
        }
    }

    private static Task<bool> EventuallyAsync(Func<bool> condition) => Eventually.TrueAsync(condition, Patience);
}
