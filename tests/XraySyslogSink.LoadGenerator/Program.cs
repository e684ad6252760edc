using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace XraySyslogSink.LoadGenerator;

/// <summary>How the messages leave the generator.</summary>
internal enum SendTransport
{
    Udp,
    TcpOctetCounted,
    TcpLf,
    File,
}

/// <summary>
/// <c>xraysink-loadgen</c>: sends a deterministic stream of realistic Xray access lines over UDP or TCP
/// (octet-counted or LF framing) at a set rate or as fast as possible, or writes them to a file.
/// Run without arguments for the usage text.
/// </summary>
internal static class Program
{
    private const string Usage = """
        usage: xraysink-loadgen [options]
          --target HOST:PORT          where to send (default 127.0.0.1:5514)
          --transport udp|tcp-octet|tcp-lf|file   (default tcp-octet)
          --lines N                   lines to send (default 1000000)
          --first N                   index of the first line (default 0); lines are numbered, not random
          --rate R                    lines per second in total, 0 = as fast as possible (default 0)
          --connections K             TCP connections / UDP sender threads, each sending every K-th line (default 1)
          --udp-sources M             UDP: each sender thread sends from M sockets in turn, M source ports as M nodes
                                      would have, so a collector's SO_REUSEPORT sockets all get a share (default 1)
          --seed S                    (default 1)
          --users N --endpoints N --tags N   distinct values (defaults 5000, 50000, 24)
          --endpoint-mode skewed|sequential  sequential: line i goes to endpoint i mod N (default skewed)
          --header 5424|3164|mixed|none      syslog header (default 5424)
          --start 2025-06-30T23:59:35Z       UTC time of line 0 (default crosses midnight)
          --lines-per-log-second N    log-time density, also the source-port modulus (default 20000)
          --file PATH                 also (or with --transport file: only) write the messages, one per line
          --prerender                 render all lines before sending (default for udp): measures the socket, not the renderer
        """;

    public static int Main(string[] args)
    {
        Settings settings;
        try
        {
            settings = Settings.Parse(args);
        }
        catch (FormatException ex)
        {
            Console.Error.WriteLine($"xraysink-loadgen: {ex.Message}");
            Console.Error.WriteLine(Usage);
            return 2;
        }

        if (settings.Help)
        {
            Console.WriteLine(Usage);
            return 0;
        }

        var factory = new LineFactory(settings.Lines);
        if (settings.FilePath is not null)
        {
            WriteFile(factory, settings);
        }

        if (settings.Transport == SendTransport.File)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"wrote {settings.Count} lines to {settings.FilePath}"));
            return 0;
        }

        RenderedLines? rendered = settings.Prerender ? RenderedLines.Render(factory, settings.First, settings.Count) : null;
        var stopwatch = Stopwatch.StartNew();
        long sent = 0;
        var threads = new Thread[settings.Connections];
        long[] perThread = new long[settings.Connections];
        Exception? failure = null;
        for (int c = 0; c < settings.Connections; c++)
        {
            int lane = c;
            threads[c] = new Thread(() =>
            {
                try
                {
                    var sender = new Sender(factory, settings, rendered, lane, stopwatch);
                    perThread[lane] = sender.Run();
                }
                catch (Exception ex) when (ex is SocketException or IOException)
                {
                    failure = ex;
                }
            })
            { IsBackground = true, Name = $"sender-{lane}" };
            threads[c].Start();
        }

        foreach (Thread thread in threads)
        {
            thread.Join();
        }

        double seconds = stopwatch.Elapsed.TotalSeconds;
        foreach (long n in perThread)
        {
            sent += n;
        }

        Console.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"sent {sent} lines over {settings.TransportName} in {seconds:0.000} s: {sent / Math.Max(seconds, 1e-9):0} lines/s"));
        if (failure is not null)
        {
            Console.Error.WriteLine($"xraysink-loadgen: {failure.Message}");
            return 1;
        }

        return 0;
    }

    private static void WriteFile(LineFactory factory, Settings settings)
    {
        using var file = new FileStream(settings.FilePath!, FileMode.Create, FileAccess.Write, FileShare.Read, 1 << 20);
        byte[] buffer = new byte[LineFactory.MaxMessageBytes + 1];
        for (long i = settings.First; i < settings.First + settings.Count; i++)
        {
            int length = factory.Write(i, buffer);
            buffer[length] = (byte)'\n';
            file.Write(buffer, 0, length + 1);
        }
    }

    /// <summary>All messages of a run rendered up front, back to back, with their offsets.</summary>
    private sealed class RenderedLines
    {
        private RenderedLines(byte[] bytes, int[] offsets)
        {
            Bytes = bytes;
            Offsets = offsets;
        }

        public byte[] Bytes { get; }

        /// <summary>Start of line <c>k</c> of the run; one more entry than lines.</summary>
        public int[] Offsets { get; }

        public static RenderedLines Render(LineFactory factory, long first, long count)
        {
            if (count > 4_000_000)
            {
                throw new FormatException("--prerender holds every line in memory: at most 4000000 lines");
            }

            int[] offsets = new int[count + 1];
            var bytes = new MemoryStream();
            byte[] buffer = new byte[LineFactory.MaxMessageBytes];
            for (long k = 0; k < count; k++)
            {
                offsets[k] = (int)bytes.Length;
                int length = factory.Write(first + k, buffer);
                bytes.Write(buffer, 0, length);
            }

            offsets[count] = (int)bytes.Length;
            return new RenderedLines(bytes.ToArray(), offsets);
        }

        public ReadOnlySpan<byte> Line(long k) => Bytes.AsSpan(Offsets[k], Offsets[k + 1] - Offsets[k]);
    }

    /// <summary>One lane: sends lines first+lane, first+lane+K, … paced to its share of the rate.</summary>
    private sealed class Sender
    {
        private const int TcpBufferBytes = 256 * 1024;

        private readonly LineFactory _factory;
        private readonly Settings _settings;
        private readonly RenderedLines? _rendered;
        private readonly int _lane;
        private readonly Stopwatch _clock;
        private readonly byte[] _line = new byte[LineFactory.MaxMessageBytes];

        public Sender(LineFactory factory, Settings settings, RenderedLines? rendered, int lane, Stopwatch clock)
        {
            _factory = factory;
            _settings = settings;
            _rendered = rendered;
            _lane = lane;
            _clock = clock;
        }

        public long Run()
        {
            IPEndPoint target = _settings.Target;
            if (_settings.Transport == SendTransport.Udp)
            {
                Socket[] sources = new Socket[_settings.UdpSources];
                try
                {
                    for (int i = 0; i < sources.Length; i++)
                    {
                        sources[i] = new Socket(target.AddressFamily, SocketType.Dgram, ProtocolType.Udp) { SendBufferSize = 4 * 1024 * 1024 };
                        sources[i].Connect(target);
                    }

                    int next = 0;
                    return Send(
                        span =>
                        {
                            sources[next].Send(span);
                            next = next + 1 == sources.Length ? 0 : next + 1;
                        },
                        flushEach: true);
                }
                finally
                {
                    foreach (Socket source in sources)
                    {
                        source?.Dispose();
                    }
                }
            }

            using var tcp = new Socket(target.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = false };
            tcp.Connect(target);
            long sent = Send(span => SendAll(tcp, span), flushEach: false);
            tcp.Shutdown(SocketShutdown.Send);

            // Wait for the server to close its side, so that everything sent has been read by the collector.
            byte[] sink = new byte[256];
            tcp.ReceiveTimeout = 30_000;
            try
            {
                while (tcp.Receive(sink) > 0)
                {
                }
            }
            catch (SocketException)
            {
            }

            return sent;
        }

        private static void SendAll(Socket socket, ReadOnlySpan<byte> bytes)
        {
            while (!bytes.IsEmpty)
            {
                int n = socket.Send(bytes);
                bytes = bytes[n..];
            }
        }

        private long Send(SpanAction send, bool flushEach)
        {
            int lanes = _settings.Connections;
            double laneRate = _settings.Rate / lanes;
            byte[] buffer = new byte[TcpBufferBytes];
            int filled = 0;
            long sent = 0;
            for (long k = _lane; k < _settings.Count; k += lanes)
            {
                ReadOnlySpan<byte> message = Message(k);
                if (flushEach)
                {
                    send(message);
                }
                else
                {
                    if (filled + message.Length + 12 > buffer.Length)
                    {
                        send(buffer.AsSpan(0, filled));
                        filled = 0;
                    }

                    filled += Frame(message, buffer.AsSpan(filled));
                }

                sent++;
                if (laneRate > 0 && (sent & 63) == 0)
                {
                    Pace(sent, laneRate);
                }
            }

            if (filled > 0)
            {
                send(buffer.AsSpan(0, filled));
            }

            return sent;
        }

        private ReadOnlySpan<byte> Message(long k)
        {
            if (_rendered is not null)
            {
                return _rendered.Line(k);
            }

            int length = _factory.Write(_settings.First + k, _line);
            return _line.AsSpan(0, length);
        }

        private int Frame(ReadOnlySpan<byte> message, Span<byte> destination)
        {
            if (_settings.Transport == SendTransport.TcpLf)
            {
                message.CopyTo(destination);
                destination[message.Length] = (byte)'\n';
                return message.Length + 1;
            }

            System.Buffers.Text.Utf8Formatter.TryFormat(message.Length, destination, out int digits);
            destination[digits] = (byte)' ';
            message.CopyTo(destination[(digits + 1)..]);
            return digits + 1 + message.Length;
        }

        private void Pace(long sent, double rate)
        {
            while (true)
            {
                double due = sent / rate;
                double ahead = due - _clock.Elapsed.TotalSeconds;
                if (ahead <= 0)
                {
                    return;
                }

                if (ahead > 0.002)
                {
                    Thread.Sleep(1);
                }
                else
                {
                    Thread.SpinWait(50);
                }
            }
        }
    }

    private delegate void SpanAction(ReadOnlySpan<byte> bytes);

    private sealed class Settings
    {
        public bool Help { get; private set; }

        public IPEndPoint Target { get; private set; } = new(IPAddress.Loopback, 5514);

        public SendTransport Transport { get; private set; } = SendTransport.TcpOctetCounted;

        public string TransportName { get; private set; } = "tcp-octet";

        public long Count { get; private set; } = 1_000_000;

        public long First { get; private set; }

        public double Rate { get; private set; }

        public int Connections { get; private set; } = 1;

        public int UdpSources { get; private set; } = 1;

        public string? FilePath { get; private set; }

        public bool Prerender { get; private set; }

        public LineFactoryOptions Lines { get; } = new();

        public static Settings Parse(string[] args)
        {
            var s = new Settings();
            bool prerenderSet = false;
            for (int i = 0; i < args.Length; i++)
            {
                string arg = args[i];
                string Next() => i + 1 < args.Length ? args[++i] : throw new FormatException($"{arg} needs a value");
                switch (arg)
                {
                    case "-h":
                    case "--help":
                        s.Help = true;
                        break;
                    case "--target":
                        s.Target = IPEndPoint.TryParse(Next(), out IPEndPoint? ep) ? ep : throw new FormatException("--target must be IP:PORT");
                        break;
                    case "--transport":
                        s.TransportName = Next();
                        s.Transport = s.TransportName switch
                        {
                            "udp" => SendTransport.Udp,
                            "tcp-octet" => SendTransport.TcpOctetCounted,
                            "tcp-lf" => SendTransport.TcpLf,
                            "file" => SendTransport.File,
                            _ => throw new FormatException("--transport must be udp, tcp-octet, tcp-lf or file"),
                        };
                        break;
                    case "--lines":
                        s.Count = Long(Next(), arg, 1);
                        break;
                    case "--first":
                        s.First = Long(Next(), arg, 0);
                        break;
                    case "--rate":
                        s.Rate = Long(Next(), arg, 0);
                        break;
                    case "--connections":
                        s.Connections = (int)Long(Next(), arg, 1);
                        break;
                    case "--udp-sources":
                        s.UdpSources = (int)Long(Next(), arg, 1);
                        break;
                    case "--seed":
                        s.Lines.Seed = (ulong)Long(Next(), arg, 0);
                        break;
                    case "--users":
                        s.Lines.Users = (int)Long(Next(), arg, 1);
                        break;
                    case "--endpoints":
                        s.Lines.Endpoints = (int)Long(Next(), arg, 1);
                        break;
                    case "--tags":
                        s.Lines.Tags = (int)Long(Next(), arg, 2);
                        break;
                    case "--endpoint-mode":
                        s.Lines.EndpointMode = Next() switch
                        {
                            "skewed" => EndpointMode.Skewed,
                            "sequential" => EndpointMode.Sequential,
                            _ => throw new FormatException("--endpoint-mode must be skewed or sequential"),
                        };
                        break;
                    case "--header":
                        s.Lines.Header = Next() switch
                        {
                            "5424" => HeaderStyle.Rfc5424,
                            "3164" => HeaderStyle.Rfc3164,
                            "mixed" => HeaderStyle.Mixed,
                            "none" => HeaderStyle.None,
                            _ => throw new FormatException("--header must be 5424, 3164, mixed or none"),
                        };
                        break;
                    case "--start":
                        s.Lines.StartUtc = DateTime.Parse(Next(), CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal);
                        break;
                    case "--lines-per-log-second":
                        s.Lines.LinesPerLogSecond = (int)Long(Next(), arg, 1);
                        break;
                    case "--file":
                        s.FilePath = Next();
                        break;
                    case "--prerender":
                        s.Prerender = true;
                        prerenderSet = true;
                        break;
                    default:
                        throw new FormatException($"unknown option {arg}");
                }
            }

            if (s.Transport == SendTransport.File && s.FilePath is null)
            {
                throw new FormatException("--transport file needs --file PATH");
            }

            if (s.Lines.LinesPerLogSecond > 64_000)
            {
                throw new FormatException("--lines-per-log-second must be at most 64000");
            }

            if (!prerenderSet && s.Transport == SendTransport.Udp && s.Count <= 4_000_000)
            {
                s.Prerender = true;
            }

            return s;
        }

        private static long Long(string text, string option, long min) =>
            long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out long value) && value >= min
                ? value
                : throw new FormatException(string.Create(CultureInfo.InvariantCulture, $"{option} must be an integer ≥ {min}"));
    }
}
