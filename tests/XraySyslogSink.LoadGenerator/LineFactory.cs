using System.Buffers.Text;
using System.Diagnostics.CodeAnalysis;
using System.Text;

namespace XraySyslogSink.LoadGenerator;

/// <summary>Which syslog header the generated messages carry.</summary>
[SuppressMessage("Maintainability", "CA1515", Justification = "Public because the unit tests' xunit theories (public methods) take it as a parameter.")]
public enum HeaderStyle
{
    /// <summary><c>&lt;134&gt;1 2025-06-30T23:59:35.000050Z node-3 xray 2634 - - MSG</c>.</summary>
    Rfc5424,

    /// <summary><c>&lt;134&gt;Jun 30 23:59:35 node-3 xray[2634]: MSG</c> (rsyslog's traditional forward format).</summary>
    Rfc3164,

    /// <summary>Alternates 5424 and 3164 by line index.</summary>
    Mixed,

    /// <summary>No header: the bare xray line.</summary>
    None,
}

/// <summary>How destinations are drawn from the endpoint space.</summary>
internal enum EndpointMode
{
    /// <summary>Skewed: a few endpoints are hot, most are rare (cubic skew over <see cref="LineFactoryOptions.Endpoints"/>).</summary>
    Skewed,

    /// <summary>Line <c>i</c> goes to endpoint <c>i mod Endpoints</c>: every line a new endpoint until the space wraps (the RSS test).</summary>
    Sequential,
}

/// <summary>The shape of the generated traffic.</summary>
internal sealed class LineFactoryOptions
{
    public ulong Seed { get; set; } = 1;

    public int Users { get; set; } = 5_000;

    public int Endpoints { get; set; } = 50_000;

    public int Tags { get; set; } = 24;

    public EndpointMode EndpointMode { get; set; } = EndpointMode.Skewed;

    public HeaderStyle Header { get; set; } = HeaderStyle.Rfc5424;

    /// <summary>UTC time of line 0; the default lies shortly before midnight so a run crosses a UTC day boundary.</summary>
    public DateTime StartUtc { get; set; } = new(2025, 6, 30, 23, 59, 35, DateTimeKind.Utc);

    /// <summary>
    /// Lines per second of log time; also the modulus of the source port (port = 1024 + i mod this), so that
    /// (timestamp second, source port) is unique per line. At most 64,000.
    /// </summary>
    public int LinesPerLogSecond { get; set; } = 20_000;
}

/// <summary>
/// Renders line number <c>i</c> of a deterministic stream of realistic Xray access lines (the forms of
/// <c>docs/access-log.md</c>) with a syslog header, into a caller's buffer without allocating.
/// The same seed and options always give the same bytes for the same index, so several senders can split a
/// stream by index and a file can hold exactly what was sent. Every line becomes one <c>logs</c> row: there are
/// no DNS or error-log lines in the mix. Each line's (timestamp second, source port) pair is unique.
/// </summary>
internal sealed class LineFactory
{
    /// <summary>Longest message this factory renders, with header.</summary>
    public const int MaxMessageBytes = 640;

    private static readonly byte[][] KnownInbound =
    [
        "VLESS TCP REALITY"u8.ToArray(), "inbound-127.0.0.1:3010"u8.ToArray(), "vmess-ws"u8.ToArray(),
        "trojan-grpc"u8.ToArray(), "ss2022-in"u8.ToArray(), "socks-in"u8.ToArray(),
    ];

    private static readonly byte[][] KnownOutbound =
    [
        "direct"u8.ToArray(), "proxy"u8.ToArray(), "block"u8.ToArray(), "warp"u8.ToArray(), "WARP-IPv6"u8.ToArray(),
    ];

    private static readonly byte[][] Reasons =
    [
        "proxy/vless/encoding: invalid request user id"u8.ToArray(),
        "proxy/vmess/encoding: failed to read request header > websocket: close 1000 (normal)"u8.ToArray(),
        "app/proxyman/inbound: connection ends > proxy/trojan: not a valid password"u8.ToArray(),
    ];

    private static readonly byte[][] MonthNames =
    [
        "Jan"u8.ToArray(), "Feb"u8.ToArray(), "Mar"u8.ToArray(), "Apr"u8.ToArray(), "May"u8.ToArray(), "Jun"u8.ToArray(),
        "Jul"u8.ToArray(), "Aug"u8.ToArray(), "Sep"u8.ToArray(), "Oct"u8.ToArray(), "Nov"u8.ToArray(), "Dec"u8.ToArray(),
    ];

    private readonly LineFactoryOptions _options;
    private readonly byte[][] _emails;
    private readonly byte[][] _inbound;
    private readonly byte[][] _outbound;
    private readonly long _startTicks;

    public LineFactory(LineFactoryOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Users, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Endpoints, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Tags, 2);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.LinesPerLogSecond, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(options.LinesPerLogSecond, 64_000);
        _options = options;
        _startTicks = DateTime.SpecifyKind(options.StartUtc, DateTimeKind.Utc).Ticks;
        _emails = new byte[options.Users][];
        for (int u = 0; u < options.Users; u++)
        {
            _emails[u] = Encoding.UTF8.GetBytes(EmailOf(u));
        }

        int inbound = Math.Max(1, options.Tags / 2);
        _inbound = TagSet(KnownInbound, inbound, "inbound-");
        _outbound = TagSet(KnownOutbound, options.Tags - inbound, "out-");
    }

    public LineFactoryOptions Options => _options;

    /// <summary>The emails as written (Marzban, Remnawave and 3x-ui styles); user <c>u</c>'s is <c>EmailOf(u)</c>.</summary>
    public static string EmailOf(int user) => (user % 3) switch
    {
        0 => $"user{user}@example.com",
        1 => $"{user}.{(user * 7919L) % 10_000_000_000L}_u{user}",
        _ => user.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    /// <summary>The UTC time of line <paramref name="index"/>.</summary>
    public DateTime TimestampOf(long index)
    {
        long perSecond = _options.LinesPerLogSecond;
        long ticks = _startTicks + (index / perSecond * TimeSpan.TicksPerSecond) + (index % perSecond * (TimeSpan.TicksPerSecond / perSecond));
        return new DateTime(ticks, DateTimeKind.Utc);
    }

    /// <summary>The source port of line <paramref name="index"/> (with its timestamp second, unique per line).</summary>
    public int SourcePortOf(long index) => 1024 + (int)(index % _options.LinesPerLogSecond);

    /// <summary>Writes message <paramref name="index"/> (header and xray line, no terminator) into <paramref name="destination"/>; returns its length.</summary>
    public int Write(long index, Span<byte> destination)
    {
        var o = new Out(destination);
        ulong r = Mix(_options.Seed, (ulong)index);
        DateTime ts = TimestampOf(index);
        int host = (int)(r >> 58) & 7;
        HeaderStyle header = _options.Header == HeaderStyle.Mixed ? ((index & 1) == 0 ? HeaderStyle.Rfc5424 : HeaderStyle.Rfc3164) : _options.Header;
        WriteHeader(ref o, header, ts, host);
        WriteLine(ref o, index, r, ts);
        return o.Length;
    }

    private static byte[][] TagSet(byte[][] known, int count, string prefix)
    {
        count = Math.Max(1, count);
        var tags = new byte[count][];
        for (int i = 0; i < count; i++)
        {
            tags[i] = i < known.Length ? known[i] : Encoding.UTF8.GetBytes(prefix + i.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        return tags;
    }

    private static void WriteHeader(ref Out o, HeaderStyle header, DateTime ts, int host)
    {
        switch (header)
        {
            case HeaderStyle.Rfc5424:
                o.Append("<134>1 "u8);
                o.Digits(ts.Year, 4);
                o.Append((byte)'-');
                o.Digits(ts.Month, 2);
                o.Append((byte)'-');
                o.Digits(ts.Day, 2);
                o.Append((byte)'T');
                o.Time(ts);
                o.Append((byte)'.');
                o.Digits((int)(ts.Ticks % TimeSpan.TicksPerSecond / 10), 6);
                o.Append("Z node-"u8);
                o.Number(host);
                o.Append(" xray "u8);
                o.Number(2600 + host);
                o.Append(" - - "u8);
                break;
            case HeaderStyle.Rfc3164:
                o.Append("<134>"u8);
                o.Append(MonthNames[ts.Month - 1]);
                o.Append((byte)' ');
                if (ts.Day < 10)
                {
                    o.Append((byte)' ');
                }

                o.Number(ts.Day);
                o.Append((byte)' ');
                o.Time(ts);
                o.Append(" node-"u8);
                o.Number(host);
                o.Append(" xray["u8);
                o.Number(2600 + host);
                o.Append("]: "u8);
                break;
            default:
                break;
        }
    }

    private void WriteLine(ref Out o, long index, ulong r, DateTime ts)
    {
        int form = (int)(r % 100);
        int user = Skewed(r >> 8, _options.Users);
        int endpoint = _options.EndpointMode == EndpointMode.Sequential
            ? (int)(index % _options.Endpoints)
            : Skewed(r >> 24, _options.Endpoints);
        int port = SourcePortOf(index);
        byte[] inbound = _inbound[(int)((r >> 40) % (ulong)_inbound.Length)];
        byte[] outbound = _outbound[Skewed(r >> 46, _outbound.Length)];
        bool micros = form < 60 || form >= 70;

        o.Digits(ts.Year, 4);
        o.Append((byte)'/');
        o.Digits(ts.Month, 2);
        o.Append((byte)'/');
        o.Digits(ts.Day, 2);
        o.Append((byte)' ');
        o.Time(ts);
        if (micros)
        {
            o.Append((byte)'.');
            o.Digits((int)(ts.Ticks % TimeSpan.TicksPerSecond / 10), 6);
            o.Append(" from "u8);
        }
        else
        {
            // Xray before v1.8.24 and v2fly: no "from", no microseconds.
            o.Append((byte)' ');
        }

        if (form >= 95)
        {
            // Rejected: empty TO, two spaces, an error chain; some carry the email.
            SourceV4(ref o, user, port);
            o.Append(" rejected  "u8);
            o.Append(Reasons[form % Reasons.Length]);
            if ((form & 1) == 0)
            {
                Email(ref o, user);
            }

            return;
        }

        bool ipv6Destination = endpoint % 10 == 0;
        if (form < 45)
        {
            // Current Xray: socket source, tcp/udp destination, default-outbound detour.
            SourceV4(ref o, user, port);
            o.Append((r & 0x100000) == 0 ? " accepted tcp:"u8 : " accepted udp:"u8);
            Destination(ref o, endpoint);
            o.Append((byte)':');
            o.Number(DestinationPort(endpoint));
            Detour(ref o, inbound, " >> "u8, outbound);
        }
        else if (form < 60)
        {
            // IPv6 client, a routing rule matched.
            o.Append("[2001:db8:"u8);
            o.Hex(user & 0xffff);
            o.Append("::1]:"u8);
            o.Number(port);
            o.Append(" accepted tcp:"u8);
            Destination(ref o, endpoint);
            o.Append(":443"u8);
            Detour(ref o, inbound, " -> "u8, outbound);
        }
        else if (form < 70)
        {
            // Older Xray / v2fly: outbound tag only.
            SourceV4(ref o, user, port);
            o.Append(" accepted udp:"u8);
            Destination(ref o, endpoint);
            o.Append(":53 ["u8);
            o.Append(outbound);
            o.Append((byte)']');
        }
        else if (form < 78)
        {
            // Mux/XUDP sub-stream: the tcp: prefix is on FROM.
            o.Append("tcp:"u8);
            SourceV4(ref o, user, port);
            o.Append(" accepted tcp:"u8);
            Destination(ref o, endpoint);
            o.Append((byte)':');
            o.Number(DestinationPort(endpoint));
            Detour(ref o, inbound, " >> "u8, outbound);
        }
        else if (form < 85 || ipv6Destination)
        {
            // HTTP CONNECT.
            SourceV4(ref o, user, port);
            o.Append(" accepted //"u8);
            Destination(ref o, endpoint);
            o.Append(":443"u8);
            Detour(ref o, inbound, " -> "u8, outbound);
        }
        else if (form < 90)
        {
            // Plain HTTP proxy: a URL, port 80 by default.
            SourceV4(ref o, user, port);
            o.Append(" accepted http://"u8);
            Destination(ref o, endpoint);
            o.Append("/index.html"u8);
            Detour(ref o, inbound, " >> "u8, outbound);
        }
        else
        {
            // Shadowsocks-2022: bare host:port, no protocol.
            SourceV4(ref o, user, port);
            o.Append(" accepted "u8);
            Destination(ref o, endpoint);
            o.Append(":8443"u8);
            Detour(ref o, inbound, " >> "u8, outbound);
        }

        Email(ref o, user);
    }

    private void Email(ref Out o, int user)
    {
        o.Append(" email: "u8);
        o.Append(_emails[user]);
    }

    private static void Detour(ref Out o, byte[] inbound, ReadOnlySpan<byte> arrow, byte[] outbound)
    {
        o.Append(" ["u8);
        o.Append(inbound);
        o.Append(arrow);
        o.Append(outbound);
        o.Append((byte)']');
    }

    private static void SourceV4(ref Out o, int user, int port)
    {
        o.Append("100."u8);
        o.Number(64 + ((user >> 16) & 63));
        o.Append((byte)'.');
        o.Number((user >> 8) & 255);
        o.Append((byte)'.');
        o.Number(user & 255);
        o.Append((byte)':');
        o.Number(port);
    }

    /// <summary>Endpoint <paramref name="e"/>'s text depends on <paramref name="e"/> only: 10 % IPv6, 20 % IPv4, 70 % domains.</summary>
    private static void Destination(ref Out o, int e)
    {
        switch (e % 10)
        {
            case 0:
                o.Append("[2606:4700:"u8);
                o.Hex((e >> 16) & 0xffff);
                o.Append((byte)':');
                o.Hex(e & 0xffff);
                o.Append("::1]"u8);
                break;
            case 1:
            case 2:
                o.Number(1 + ((e >> 24) & 127));
                o.Append((byte)'.');
                o.Number((e >> 16) & 255);
                o.Append((byte)'.');
                o.Number((e >> 8) & 255);
                o.Append((byte)'.');
                o.Number(e & 255);
                break;
            default:
                o.Append("cdn"u8);
                o.Number(e);
                o.Append(".site"u8);
                o.Number(e % 5000);
                o.Append(".example.com"u8);
                break;
        }
    }

    private static int DestinationPort(int endpoint) => (endpoint % 7) switch
    {
        0 => 80,
        1 => 8080,
        _ => 443,
    };

    /// <summary>A value in [0, n) with a cubic skew: low values are hot.</summary>
    private static int Skewed(ulong bits, int n)
    {
        double u = (bits & 0xFFFFFF) / (double)0x1000000;
        return Math.Min(n - 1, (int)(n * u * u * u));
    }

    /// <summary>SplitMix64 of seed and index: the same line for the same index, whatever the order of rendering.</summary>
    private static ulong Mix(ulong seed, ulong index)
    {
        ulong z = seed * 0x9E3779B97F4A7C15UL + index + 0x632BE59BD9B4E019UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Append-only writer over a caller's span.</summary>
    private ref struct Out
    {
        private readonly Span<byte> _buffer;

        public Out(Span<byte> buffer)
        {
            _buffer = buffer;
            Length = 0;
        }

        public int Length { get; private set; }

        public void Append(byte value) => _buffer[Length++] = value;

        public void Append(scoped ReadOnlySpan<byte> bytes)
        {
            bytes.CopyTo(_buffer[Length..]);
            Length += bytes.Length;
        }

        public void Number(int value)
        {
            Utf8Formatter.TryFormat(value, _buffer[Length..], out int written);
            Length += written;
        }

        public void Hex(int value)
        {
            Utf8Formatter.TryFormat(value, _buffer[Length..], out int written, new System.Buffers.StandardFormat('x'));
            Length += written;
        }

        public void Digits(int value, int width)
        {
            Utf8Formatter.TryFormat(value, _buffer[Length..], out int written, new System.Buffers.StandardFormat('D', (byte)width));
            Length += written;
        }

        public void Time(DateTime ts)
        {
            Digits(ts.Hour, 2);
            Append((byte)':');
            Digits(ts.Minute, 2);
            Append((byte)':');
            Digits(ts.Second, 2);
        }
    }
}
