using System.Globalization;
using System.Net;
using System.Text;
using CsCheck;
using XraySyslogSink.Core;
using XraySyslogSink.Xray;

namespace XraySyslogSink.Tests.Xray;

/// <summary>Lines rendered from the grammar with random parts must parse back to those parts.</summary>
public sealed class XrayLinePropertyTests
{
    private sealed record Source(string Text, InetValue Address, int Port);

    private sealed record Destination(string Text, string Protocol, string Host, int Port);

    private sealed record Detour(string Text, string? Inbound, string? Outbound);

    private sealed record Line(
        DateTime? Time, string TimeText, Source Source, bool Accepted, Destination Destination,
        Detour Detour, string Reason, string? Email, string Text);

    // Tag text: spaces, colons, dots, brackets, non-ASCII (BMP only: Gen.Char would split surrogate pairs); no '>' so an inbound tag cannot hold an arrow.
    private const string TagChars = "abcXYZ019 -_:.[]()@éЖ日";

    private static readonly Gen<int> Port = Gen.Int[0, 65535];

    private static readonly Gen<(DateTime, string)> Timestamp =
        Gen.Select(Gen.Long[new DateTime(2000, 1, 1).Ticks, new DateTime(2099, 12, 31).Ticks], Gen.Bool, (ticks, micros) =>
        {
            // Go prints microseconds only; sub-microsecond ticks never reach the log.
            var time = new DateTime(ticks - (ticks % 10), DateTimeKind.Unspecified);
            if (!micros)
            {
                time = new DateTime(time.Ticks - (time.Ticks % TimeSpan.TicksPerSecond), DateTimeKind.Unspecified);
            }

            string format = micros ? "yyyy/MM/dd HH:mm:ss.ffffff" : "yyyy/MM/dd HH:mm:ss";
            return (time, time.ToString(format, CultureInfo.InvariantCulture));
        });

    private static readonly Gen<(string Text, InetValue Value)> IPv4 =
        Gen.UInt.Select(v => (new IPAddress(System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(v)).ToString(), InetValue.FromIPv4(v)));

    private static readonly Gen<(string Text, InetValue Value)> IPv6 =
        Gen.Byte.Array[16].Select(bytes =>
        {
            var address = new IPAddress(bytes);
            return (address.ToString(), InetValue.FromIPAddress(address));
        });

    private static readonly Gen<(string Text, InetValue Value)> MaskedIPv4 =
        Gen.Select(Gen.UInt, Gen.Int[1, 3], (v, known) =>
        {
            uint network = known == 0 ? 0 : v & (uint.MaxValue << (32 - (8 * known)));
            string[] octets = new string[4];
            for (int i = 0; i < 4; i++)
            {
                octets[i] = i < known ? ((v >> (24 - (8 * i))) & 0xFF).ToString(CultureInfo.InvariantCulture) : "*";
            }

            return (string.Join('.', octets), InetValue.FromIPv4(network, (byte)(known * 8)));
        });

    private static readonly Gen<Source> Sources =
        Gen.Select(Gen.OneOf(IPv4, IPv6, MaskedIPv4), Gen.OneOf("", "tcp:", "udp:"), Port, (ip, prefix, port) =>
        {
            string host = ip.Value.IsIPv6 ? $"[{ip.Text}]" : ip.Text;
            return new Source($"{prefix}{host}:{port}", ip.Value, port);
        });

    private static readonly Gen<string> Domain =
        Gen.Char["abcdefghijklmnopqrstuvwxyz0123456789-"].Array[1, 12].Array[1, 4]
            .Select(labels => string.Join('.', labels.Select(l => new string(l))));

    private static readonly Gen<Destination> Destinations =
        Gen.Select(Gen.OneOf(Domain, IPv4.Select(v => v.Text), IPv6.Select(v => v.Text)), Gen.OneOf("tcp:", "udp:", "", "//"), Port, (host, prefix, port) =>
        {
            string written = host.Contains(':', StringComparison.Ordinal) ? $"[{host}]" : host;
            string protocol = prefix switch { "tcp:" => "tcp", "udp:" => "udp", "//" => "tcp", _ => "" };
            return new Destination($"{prefix}{written}:{port}", protocol, host, port);
        });

    private static readonly Gen<string> Tag = Gen.Char[TagChars].Array[0, 16].Select(c => new string(c));

    private static readonly Gen<Detour> Detours =
        Gen.Select(Gen.Int[0, 4], Tag, Tag, Gen.Bool, (form, inbound, outbound, arrowInOutbound) =>
        {
            // The split is at the first arrow, so an outbound tag may itself contain one.
            string outTag = arrowInOutbound ? outbound + " -> x" : outbound;
            return form switch
            {
                0 => new Detour(string.Empty, null, null),
                1 => outbound.Length == 0 ? new Detour(string.Empty, null, null) : new Detour($" [{outbound}]", null, outbound),
                2 => new Detour($" [{inbound} >> {outTag}]", inbound, outTag),
                3 => new Detour($" [{inbound} -> {outTag}]", inbound, outTag),
                _ => new Detour($" [{inbound} ==> {outTag}]", inbound, outTag),
            };
        });

    private static readonly Gen<string> FreeText =
        Gen.Char["abz09 :/>|.-_()Ж"].Array[1, 40].Select(c => new string(c).Trim()).Where(s => s.Length > 0);

    private static readonly Gen<string?> Emails =
        Gen.Frequency((1, Gen.Bool.Select(_ => (string?)null)), (3, Gen.Char["abz09@._-+ Жü"].Array[1, 24].Select(c => (string?)new string(c).Trim()).Where(s => s!.Length > 0)));

    // Every way a line can end: LF, CRLF (Windows nodes), the old v2ray trailing space, a relay's padding.
    private static readonly Gen<string> Endings = Gen.OneOf("", "\n", "\r\n", " ", "  ", " \r\n", "\t\n");

    // The timestamp is present (with or without micros) or stripped (journald); the email marker current or pre-4.34.
    private static readonly Gen<(bool Untimed, bool OldEmail, string Ending)> Shape =
        Gen.Select(Gen.Int[0, 4], Gen.Bool, Endings, (untimed, oldEmail, ending) => (untimed == 0, oldEmail, ending));

    private static readonly Gen<Line> Lines =
        Gen.Select(Timestamp, Gen.Bool, Sources, Gen.Bool, Destinations, Detours, FreeText, Emails)
            .Select(Shape, (parts, shape) =>
            {
                var ((stamp, stampText), withFrom, source, accepted, destination, detour, reason, email) = parts;
                (bool untimed, bool oldEmail, string ending) = shape;
                DateTime? time = untimed ? null : stamp;
                string timeText = untimed ? string.Empty : stampText;
                var text = new StringBuilder(timeText);
                if (!untimed)
                {
                    text.Append(' ');
                }

                if (withFrom)
                {
                    text.Append("from ");
                }

                text.Append(source.Text).Append(accepted ? " accepted " : " rejected ");
                if (accepted)
                {
                    text.Append(destination.Text).Append(detour.Text);
                }
                else
                {
                    text.Append(' ').Append(reason);
                }

                if (email is not null)
                {
                    text.Append(oldEmail ? " email:" : " email: ").Append(email);
                }

                text.Append(ending);
                return new Line(time, timeText, source, accepted, destination, detour, reason, email, text.ToString());
            })
            .Where(l => !l.Text.Contains(" email:", StringComparison.Ordinal) || l.Email is not null);

    [Fact]
    public void Generated_lines_parse_back_to_their_parts() =>
        Lines.Sample(line =>
        {
            byte[] bytes = Encoding.UTF8.GetBytes(line.Text);
            XrayLineKind kind = XrayLineParser.Parse(bytes, out XrayAccessLine a, out XrayMalformedReason reason);
            Assert.True(kind == XrayLineKind.Access, $"{kind} {reason}: {line.Text}");
            Assert.Equal(line.Time is not null, a.HasTimestamp);
            Assert.Equal(line.Time ?? default, a.LocalTimestamp);
            Assert.Equal(line.Source.Address, a.SourceIp);
            Assert.Equal(line.Source.Port, a.SourcePort);
            Assert.Equal(line.Email is not null, a.HasEmail);
            Assert.Equal(line.Email ?? string.Empty, Encoding.UTF8.GetString(a.Email));
            if (line.Accepted)
            {
                Assert.Equal(AccessAction.Accepted, a.Action);
                Assert.Equal(line.Destination.Protocol, Encoding.UTF8.GetString(a.Protocol));
                Assert.Equal(line.Destination.Host, Encoding.UTF8.GetString(a.DestinationHost));
                Assert.Equal(line.Destination.Port, a.DestinationPort);
                Assert.Equal(line.Detour.Inbound is not null, a.HasInboundTag);
                Assert.Equal(line.Detour.Inbound ?? string.Empty, Encoding.UTF8.GetString(a.InboundTag));
                Assert.Equal(line.Detour.Outbound is not null, a.HasOutboundTag);
                Assert.Equal(line.Detour.Outbound ?? string.Empty, Encoding.UTF8.GetString(a.OutboundTag));
                Assert.True(a.Reason.IsEmpty);
            }
            else
            {
                Assert.Equal(AccessAction.Rejected, a.Action);
                Assert.True(a.Protocol.IsEmpty && a.DestinationHost.IsEmpty && !a.HasInboundTag && !a.HasOutboundTag);
                Assert.Equal(-1, a.DestinationPort);
                Assert.Equal(line.Reason, Encoding.UTF8.GetString(a.Reason));
            }
        }, iter: 20_000, print: l => l.Text);
}
