using System.Net;
using System.Text;
using XraySyslogSink.Core;
using XraySyslogSink.Pipeline;
using XraySyslogSink.Storage;
using XraySyslogSink.Xray;

namespace XraySyslogSink.Fuzz;

/// <summary>
/// Header parser, xray line parser and record builder together, as a parser worker runs them, in a UTC and a
/// Berlin (daylight saving) configuration: each message gives exactly one outcome (a row, a counted skip or a dead
/// letter with a reason); a row has a UTC time, ports in range and dimension values that fit their columns.
/// </summary>
internal sealed class XrayRecordTarget
{
    private static readonly DateTimeOffset ReceivedAt = new(2025, 11, 17, 10, 0, 0, TimeSpan.Zero);
    private static readonly InetValue Peer = InetValue.FromIPAddress(IPAddress.Loopback);

    private readonly Builder[] _builders =
    [
        new(new XrayOptions(), AcceptWindow.None),
        new(new XrayOptions { TimeZone = "Europe/Berlin" }, AcceptWindow.FromOptions(new XrayOptions())),
    ];

    public void Run(ReadOnlySpan<byte> data)
    {
        foreach (Builder builder in _builders)
        {
            builder.Run(data);
        }
    }

    private static void CheckValue(DimensionValue value, int maxLength, string column)
    {
        if (value.IsNull || value.IsResolved)
        {
            return;
        }

        string text = value.Text!;
        FuzzInvariantException.Check(text.Length > 0, $"empty {column}");
        FuzzInvariantException.Check(!text.Contains('\0', StringComparison.Ordinal), $"NUL in {column}");
        int codePoints = 0;
        foreach (Rune _ in text.EnumerateRunes())
        {
            codePoints++;
        }

        FuzzInvariantException.Check(codePoints <= maxLength, $"{column} of {codePoints} characters exceeds {maxLength}");
    }

    private sealed class Builder(XrayOptions xray, AcceptWindow window)
    {
        private readonly PipelineOptions _options = new() { ParserWorkers = 1 };
        private readonly AccessRecordBuilder _builder = new(
            new DimensionCaches(new DimensionCacheOptions()), new SenderTimeZones(xray), new PipelineOptions { ParserWorkers = 1 }, new SteppingTimeProvider(), window);

        public void Run(ReadOnlySpan<byte> data)
        {
            ReceivedMessage message = ReceivedMessage.Copy(data, Peer, Transport.Tcp, ReceivedAt);
            var chunk = new RecordChunk(4);
            try
            {
                long parsedBefore = _builder.Counts.Parsed;
                long skippedBefore = Skipped();
                long countedBefore = _builder.Counts.SuppressedSinceReport;
                _builder.Append(message, chunk);

                // A dead letter over the dead-letter budget (its bytes per day run out in a long run) is counted instead: one outcome too.
                long outcomes = chunk.Count + chunk.DeadLetters.Count + (_builder.Counts.Parsed - parsedBefore) + (Skipped() - skippedBefore)
                    + (_builder.Counts.SuppressedSinceReport - countedBefore);

                // A row counts as parsed and sits in the chunk: two increments for one outcome.
                FuzzInvariantException.Check(chunk.Count == _builder.Counts.Parsed - parsedBefore, "rows and parsed count differ");
                FuzzInvariantException.Check(outcomes == (chunk.Count == 1 ? 2 : 1), $"{outcomes} outcomes for one message");
                foreach (DeadLetter dead in chunk.DeadLetters)
                {
                    FuzzInvariantException.Check(!string.IsNullOrEmpty(dead.Reason), "a dead letter without a reason");
                    FuzzInvariantException.Check(dead.Raw.Length <= _options.DeadLetterMaxRawBytes, "dead letter raw text over its limit");
                    FuzzInvariantException.Check(!dead.Raw.Contains('\0', StringComparison.Ordinal), "NUL in a dead letter");
                }

                foreach (ref readonly AccessRecord row in chunk.Records)
                {
                    FuzzInvariantException.Check(row.TimestampUtc.Kind == DateTimeKind.Utc, "row time is not UTC");
                    FuzzInvariantException.Check(window.Check(row.TimestampUtc, ReceivedAt) is null, $"row time {row.TimestampUtc:O} outside the accept window");
                    FuzzInvariantException.Check(row.SourceIp.HasValue, "row without a source address");
                    FuzzInvariantException.Check(row.SourcePort is >= 0 and <= 65535, $"source port {row.SourcePort}");
                    FuzzInvariantException.Check(row.DestinationPort is >= -1 and <= 65535, $"destination port {row.DestinationPort}");
                    FuzzInvariantException.Check(Enum.IsDefined(row.Action), $"action {row.Action}");
                    CheckValue(row.Protocol, SchemaLimits.ProtocolNameLength, "protocol");
                    CheckValue(row.Destination, SchemaLimits.EndpointAddressLength, "destination");
                    CheckValue(row.InboundTag, SchemaLimits.TagNameLength, "inbound tag");
                    CheckValue(row.OutboundTag, SchemaLimits.TagNameLength, "outbound tag");
                    CheckValue(row.User, SchemaLimits.EmailLength, "email");
                }
            }
            finally
            {
                _builder.ChunkSent();
                chunk.Release();
                message.Release();
            }
        }

        private long Skipped() =>
            _builder.Counts.SkippedSinceReport(XrayLineKind.SkippedInternalDns)
            + _builder.Counts.SkippedSinceReport(XrayLineKind.SkippedDnsQuery)
            + _builder.Counts.SkippedSinceReport(XrayLineKind.SkippedErrorLog);
    }

    /// <summary>Two seconds pass between readings, so the dead-letter rate never throttles and runs stay deterministic.</summary>
    private sealed class SteppingTimeProvider : TimeProvider
    {
        private long _ticks;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => _ticks += 2 * TimeSpan.TicksPerSecond;
    }
}
