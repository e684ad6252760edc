using System.Buffers;

namespace XraySyslogSink.Listeners.Relp;

/// <summary>What a client's <c>open</c> offered, as far as this server cares.</summary>
internal enum RelpOpenVerdict
{
    Accept,

    /// <summary>No numeric <c>relp_version</c> offer (librelp refuses such a session too).</summary>
    NoVersion,

    /// <summary>The client does not offer the <c>syslog</c> command, the only one this server takes.</summary>
    NoSyslogCommand,
}

/// <summary>
/// The offer list of <c>open</c>: LF-separated <c>name=value,value</c> lines (doc/relp.md, "OFFERS"), and the
/// server's answer to it.
/// </summary>
internal static class RelpOffers
{
    private static readonly byte[] Accepted = System.Text.Encoding.ASCII.GetBytes(
        "200 OK\nrelp_version=0\nrelp_software=xraysink," + SoftwareVersion() + "\ncommands=syslog");

    /// <summary>An offer list larger than this is not from a RELP client; the session is closed.</summary>
    public const int MaxOfferLength = 4096;

    /// <summary>
    /// The answer to an accepted open: status line, then the offers this server selects. Version 0 is what
    /// librelp itself speaks; a client refuses a server version above its own.
    /// </summary>
    public static ReadOnlySpan<byte> AcceptedResponse => Accepted;

    public static ReadOnlySpan<byte> AlreadyOpenResponse => "200 connection already open - ignored"u8;

    public static ReadOnlySpan<byte> NoVersionResponse => "500 relp_version offer missing"u8;

    public static ReadOnlySpan<byte> NoSyslogResponse => "500 required command not supported by client"u8;

    public static RelpOpenVerdict Judge(in ReadOnlySequence<byte> offers)
    {
        if (offers.Length > MaxOfferLength)
        {
            return RelpOpenVerdict.NoVersion;
        }

        Span<byte> text = stackalloc byte[(int)offers.Length];
        offers.CopyTo(text);
        bool version = false;
        bool syslog = false;
        while (!text.IsEmpty)
        {
            int end = text.IndexOf((byte)'\n');
            ReadOnlySpan<byte> line = end < 0 ? text : text[..end];
            text = end < 0 ? [] : text[(end + 1)..];
            int equals = line.IndexOf((byte)'=');
            ReadOnlySpan<byte> name = equals < 0 ? line : line[..equals];
            ReadOnlySpan<byte> values = equals < 0 ? [] : line[(equals + 1)..];
            if (name.SequenceEqual("relp_version"u8))
            {
                version = IsNumber(FirstValue(values));
            }
            else if (name.SequenceEqual("commands"u8))
            {
                syslog |= HasValue(values, "syslog"u8);
            }
        }

        return !version ? RelpOpenVerdict.NoVersion
            : !syslog ? RelpOpenVerdict.NoSyslogCommand
            : RelpOpenVerdict.Accept;
    }

    private static ReadOnlySpan<byte> FirstValue(ReadOnlySpan<byte> values)
    {
        int comma = values.IndexOf((byte)',');
        return comma < 0 ? values : values[..comma];
    }

    private static bool HasValue(ReadOnlySpan<byte> values, ReadOnlySpan<byte> wanted)
    {
        while (true)
        {
            int comma = values.IndexOf((byte)',');
            if ((comma < 0 ? values : values[..comma]).SequenceEqual(wanted))
            {
                return true;
            }

            if (comma < 0)
            {
                return false;
            }

            values = values[(comma + 1)..];
        }
    }

    /// <summary>The assembly version without build metadata; offer values may not contain commas or LFs.</summary>
    private static string SoftwareVersion()
    {
        string version = typeof(RelpOffers).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";
        return version;
    }

    private static bool IsNumber(ReadOnlySpan<byte> value) =>
        !value.IsEmpty && value.IndexOfAnyExceptInRange((byte)'0', (byte)'9') < 0;
}
