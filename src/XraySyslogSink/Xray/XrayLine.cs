using System.Diagnostics.CodeAnalysis;
using XraySyslogSink.Core;

namespace XraySyslogSink.Xray;

/// <summary>What a message turned out to be.</summary>
[SuppressMessage("Maintainability", "CA1515", Justification = "Public because the unit tests' xunit theories (public methods) take it as a parameter.")]
public enum XrayLineKind : byte
{
    /// <summary>An access line that becomes a <c>logs</c> row.</summary>
    Access,

    /// <summary>An access line whose source is the node's own resolver (<c>DNS</c>, <c>DoH</c>): skipped.</summary>
    SkippedInternalDns,

    /// <summary>A DNS query-log line (<c>got answer:</c>, <c>cache HIT:</c>…): skipped.</summary>
    SkippedDnsQuery,

    /// <summary>An error-log line (<c>[Debug]</c>, <c>[Info]</c>, <c>[Warning]</c>, <c>[Error]</c>): skipped.</summary>
    SkippedErrorLog,

    /// <summary>Anything else: goes to dead letters with <see cref="XrayMalformedReason"/>.</summary>
    Malformed,
}

/// <summary>Why a line could not be stored; each value has a stable text for counters and dead letters.</summary>
[SuppressMessage("Maintainability", "CA1515", Justification = "Public because the unit tests' xunit theories (public methods) take it as a parameter.")]
public enum XrayMalformedReason : byte
{
    None,
    Empty,
    NoTimestamp,
    InvalidTimestamp,
    NoStatus,
    SourceNotAddress,
    InvalidSourcePort,
    InvalidDestination,
    InvalidDestinationPort,
    InvalidDetour,
}

/// <summary>
/// The fields of one access line as spans over the message bytes. Valid only while those bytes are.
/// Optional parts are empty spans when absent; <see cref="HasInboundTag"/> tells an absent inbound
/// tag from an empty one.
/// </summary>
internal ref struct XrayAccessLine
{
    /// <summary>
    /// True when the line carried its own timestamp. False for a body whose Go log prefix was stripped
    /// (journald/imjournal): the event time must then come from the syslog header.
    /// </summary>
    public bool HasTimestamp;

    /// <summary>
    /// The line's own timestamp, node-local wall-clock time (<see cref="DateTimeKind.Unspecified"/>);
    /// <c>default</c> when <see cref="HasTimestamp"/> is false.
    /// </summary>
    public DateTime LocalTimestamp;

    /// <summary>Client address (a network for masked forms such as <c>1.2.*.*</c>).</summary>
    public InetValue SourceIp;

    public int SourcePort;

    public AccessAction Action;

    /// <summary><c>tcp</c> or <c>udp</c> (lower-case as written); empty when the destination has no protocol.</summary>
    public ReadOnlySpan<byte> Protocol;

    /// <summary>Destination host without brackets; empty on rejected lines.</summary>
    public ReadOnlySpan<byte> DestinationHost;

    /// <summary>Destination port, or -1 when there is none.</summary>
    public int DestinationPort;

    public bool HasInboundTag;

    public ReadOnlySpan<byte> InboundTag;

    public bool HasOutboundTag;

    public ReadOnlySpan<byte> OutboundTag;

    /// <summary>
    /// The rejection reason chain on rejected lines; on accepted lines whatever text follows the detour
    /// (Xray writes none today). Informational only: no column stores it.
    /// </summary>
    public ReadOnlySpan<byte> Reason;

    public bool HasEmail;

    public ReadOnlySpan<byte> Email;
}

internal static class XrayReasonNames
{
    public static string Name(this XrayMalformedReason reason) => reason switch
    {
        XrayMalformedReason.Empty => "empty message",
        XrayMalformedReason.NoTimestamp => "no timestamp",
        XrayMalformedReason.InvalidTimestamp => "invalid timestamp",
        XrayMalformedReason.NoStatus => "not an access line",
        XrayMalformedReason.SourceNotAddress => "source is not an address",
        XrayMalformedReason.InvalidSourcePort => "invalid source port",
        XrayMalformedReason.InvalidDestination => "invalid destination",
        XrayMalformedReason.InvalidDestinationPort => "invalid destination port",
        XrayMalformedReason.InvalidDetour => "invalid detour",
        _ => "unknown",
    };

    public static string Name(this XrayLineKind kind) => kind switch
    {
        XrayLineKind.SkippedInternalDns => "internal_dns",
        XrayLineKind.SkippedDnsQuery => "dns_query_log",
        XrayLineKind.SkippedErrorLog => "error_log",
        XrayLineKind.Access => "access",
        _ => "malformed",
    };
}
