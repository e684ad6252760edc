using System.Buffers;
using System.Text;
using XraySyslogSink.Core;
using XraySyslogSink.Storage;
using XraySyslogSink.Syslog;
using XraySyslogSink.Xray;

namespace XraySyslogSink.Pipeline;

/// <summary>
/// Turns one received message into a <c>logs</c> record, a counted skip, or a dead letter, appended to a chunk.
/// Not thread-safe: each parser worker owns one. Known dimension values become ids without allocating;
/// a value seen for the first time is materialised once per chunk and resolved by the writer.
/// </summary>
internal sealed class AccessRecordBuilder
{
    private readonly DimensionCaches _caches;
    private readonly SenderTimeZones _zones;
    private readonly LocalTimeConverter _clock = new();
    private readonly DeadLetterBudget _deadLetters;
    private readonly int _deadLetterMaxRawBytes;
    private readonly AcceptWindow _acceptWindow;

    // Strings of values awaiting resolution, so a new value repeated within a chunk is allocated once.
    private readonly HashSet<string> _pending = new(StringComparer.Ordinal);
    private readonly HashSet<string>.AlternateLookup<ReadOnlySpan<char>> _pendingLookup;

    /// <param name="acceptWindow">
    /// Event times accepted relative to each message's receive time: the daemon passes
    /// <see cref="AcceptWindow.FromOptions"/>, the history import <see cref="AcceptWindow.None"/>.
    /// </param>
    /// <param name="deadLetters">
    /// The dead-letter budget shared by every worker (the daemon's); without one, this builder keeps its own with no
    /// per-source share (the history import, one operator-chosen source).
    /// </param>
    /// <param name="nodes">The worker's node attribution and per-node counts; null for one that reports none (import, tests).</param>
    public AccessRecordBuilder(
        DimensionCaches caches,
        SenderTimeZones zones,
        PipelineOptions options,
        TimeProvider timeProvider,
        AcceptWindow acceptWindow,
        DeadLetterBudget? deadLetters = null,
        MessageNodes? nodes = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(caches);
        Nodes = nodes ?? MessageNodes.Unreported(caches.Nodes, zones);
        _acceptWindow = acceptWindow;
        _caches = caches;
        _zones = zones;
        _deadLetterMaxRawBytes = options.DeadLetterMaxRawBytes;
        _deadLetters = deadLetters ?? new DeadLetterBudget(options.DeadLettersPerSecond, options.DeadLetterBytesPerDay, 100, timeProvider);
        _pendingLookup = _pending.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    public LineCounts Counts { get; } = new();

    public MessageNodes Nodes { get; }

    /// <summary>Call when a chunk has been handed on: pending strings no longer need sharing.</summary>
    public void ChunkSent()
    {
        _pending.Clear();
        Nodes.ChunkSent();
    }

    public void Append(in ReceivedMessage message, RecordChunk chunk)
    {
        ReadOnlySpan<byte> bytes = message.Bytes;
        SyslogMessage syslog = SyslogHeaderParser.Parse(bytes);
        NodeSighting? node = Nodes.Find(message, syslog.Hostname, chunk);
        if (XrayDateAsAppName.Matches(syslog.AppName, syslog.Message))
        {
            AppendRejoined(in message, ref syslog, node, chunk);
            return;
        }

        Append(in message, in syslog, node, syslog.Message, chunk);
    }

    /// <summary>A line whose date a relay took for the program name: parsed whole again, in a pooled buffer.</summary>
    private void AppendRejoined(in ReceivedMessage message, ref SyslogMessage syslog, NodeSighting? node, RecordChunk chunk)
    {
        byte[] rented = ArrayPool<byte>.Shared.Rent(XrayDateAsAppName.RejoinedLength(syslog.Message));
        try
        {
            ReadOnlySpan<byte> line = XrayDateAsAppName.Rejoin(syslog.AppName, syslog.Message, rented);
            syslog.AppName = default;
            Counts.Recovered(RecoveredReasons.XrayDateAsAppName);
            Append(in message, in syslog, node, line, chunk);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    private void Append(in ReceivedMessage message, in SyslogMessage syslog, NodeSighting? node, ReadOnlySpan<byte> xrayLine, RecordChunk chunk)
    {
        XrayLineKind kind = XrayLineParser.Parse(xrayLine, out XrayAccessLine line, out XrayMalformedReason malformed);
        switch (kind)
        {
            case XrayLineKind.Access:
                string? invalid = AppendRecord(ref line, in syslog, node, message.ReceivedAt, chunk);
                if (invalid is null)
                {
                    Counts.Parsed++;
                }
                else
                {
                    DeadLetter(message, invalid, chunk, node);
                }

                break;
            case XrayLineKind.Malformed:
                DeadLetter(message, malformed.Name(), chunk, node);
                break;
            default:
                Counts.Skipped(kind);
                break;
        }
    }

    /// <summary>Records a message the worker could not process at all (a bug), so it is still kept.</summary>
    public void AppendInternalError(in ReceivedMessage message, RecordChunk chunk) =>
        DeadLetter(message, DeadLetterReasons.InternalError, chunk, null);

    private string? AppendRecord(ref XrayAccessLine line, in SyslogMessage syslog, NodeSighting? node, DateTimeOffset receivedAt, RecordChunk chunk)
    {
        TimeZoneInfo zone = node?.Zone ?? (_zones.AllUtc ? TimeZoneInfo.Utc : _zones.Default);
        string? timeInvalid = EventTimeUtc(ref line, in syslog, zone, receivedAt, out DateTime timestampUtc)
            ?? _acceptWindow.Check(timestampUtc, receivedAt);
        if (timeInvalid is not null)
        {
            return timeInvalid;
        }

        ref AccessRecord record = ref chunk.Add();
        record.TimestampUtc = timestampUtc;
        record.SourceIp = line.SourceIp;
        record.SourcePort = line.SourcePort;
        record.Action = line.Action;
        record.DestinationPort = line.DestinationPort;
        record.ReceivedAtTicks = receivedAt.UtcTicks;
        if (node is not null)
        {
            record.Node = node.Value;
            record.NodeSlot = node.Slot;
        }

        string? invalid =
            Lookup(_caches.Protocols, Counts.Protocols, line.Protocol, SchemaLimits.ProtocolNameLength, DeadLetterReasons.ProtocolTooLong, out record.Protocol)
            ?? Lookup(_caches.Endpoints, Counts.Endpoints, line.DestinationHost, SchemaLimits.EndpointAddressLength, DeadLetterReasons.EndpointTooLong, out record.Destination)
            ?? LookupOptional(_caches.Tags, Counts.Tags, line.HasInboundTag, line.InboundTag, SchemaLimits.TagNameLength, DeadLetterReasons.TagTooLong, out record.InboundTag)
            ?? LookupOptional(_caches.Tags, Counts.Tags, line.HasOutboundTag, line.OutboundTag, SchemaLimits.TagNameLength, DeadLetterReasons.TagTooLong, out record.OutboundTag)
            ?? LookupOptional(_caches.Users, Counts.Users, line.HasEmail, line.Email, SchemaLimits.EmailLength, DeadLetterReasons.EmailTooLong, out record.User);
        if (invalid is not null)
        {
            chunk.RemoveLast();
        }

        return invalid;
    }

    /// <summary>
    /// The event time: the line's own timestamp in the node's zone (<paramref name="zone"/>, chosen by the node's
    /// identity, not by the HOSTNAME it claims); for a line without one (journald strips it), the syslog header's
    /// time. A header with an offset is exact; a local or year-less header is read in the node's zone, the year
    /// inferred from when the message arrived. No time at all is a dead letter.
    /// </summary>
    private string? EventTimeUtc(ref XrayAccessLine line, in SyslogMessage syslog, TimeZoneInfo zone, DateTimeOffset receivedAt, out DateTime utc)
    {
        utc = default;
        if (line.HasTimestamp)
        {
            utc = zone == TimeZoneInfo.Utc
                ? DateTime.SpecifyKind(line.LocalTimestamp, DateTimeKind.Utc)
                : _clock.ToUtc(line.LocalTimestamp, zone);
            return null;
        }

        switch (syslog.TimestampKind)
        {
            case SyslogTimestampKind.WithOffset:
                long ticks = syslog.Timestamp.Ticks - syslog.TimestampOffset.Ticks;
                if (ticks < DateTime.MinValue.Ticks || ticks > DateTime.MaxValue.Ticks)
                {
                    return XrayMalformedReason.InvalidTimestamp.Name();
                }

                utc = new DateTime(ticks, DateTimeKind.Utc);
                return null;
            case SyslogTimestampKind.Local:
                utc = _clock.ToUtc(syslog.Timestamp, zone);
                return null;
            case SyslogTimestampKind.NoYear:
                DateTime receivedLocal = zone == TimeZoneInfo.Utc ? receivedAt.UtcDateTime : TimeZoneInfo.ConvertTime(receivedAt, zone).DateTime;
                if (!SyslogYearInference.TryPlace(syslog.Timestamp, receivedLocal, out DateTime local))
                {
                    return XrayMalformedReason.InvalidTimestamp.Name();
                }

                utc = _clock.ToUtc(local, zone);
                return null;
            default:
                return XrayMalformedReason.NoTimestamp.Name();
        }
    }

    private string? LookupOptional(DimensionCache cache, DimensionLookupCounts counts, bool present, ReadOnlySpan<byte> utf8, int maxLength, string tooLong, out DimensionValue value)
    {
        if (!present)
        {
            value = default;
            return null;
        }

        return Lookup(cache, counts, utf8, maxLength, tooLong, out value);
    }

    private string? Lookup(DimensionCache cache, DimensionLookupCounts counts, ReadOnlySpan<byte> utf8, int maxLength, string tooLong, out DimensionValue value)
    {
        value = default;
        if (utf8.IsEmpty)
        {
            return null;
        }

        if (cache.TryGetId(utf8, out int id))
        {
            counts.Hits++;
            value = new DimensionValue(id);
            return null;
        }

        counts.Misses++;
        if (utf8.Contains((byte)0))
        {
            return DeadLetterReasons.NulInValue;
        }

        // VARCHAR(n) counts characters (code points) of the text as stored, i.e. after invalid UTF-8 became U+FFFD.
        if (!FitsInCharacters(utf8, maxLength))
        {
            return tooLong;
        }

        value = new DimensionValue(Materialise(utf8));
        return null;
    }

    private string Materialise(ReadOnlySpan<byte> utf8)
    {
        Span<char> chars = stackalloc char[utf8.Length];
        int written = Encoding.UTF8.GetChars(utf8, chars);
        ReadOnlySpan<char> text = chars[..written];
        if (_pendingLookup.TryGetValue(text, out string? existing))
        {
            return existing;
        }

        string created = new(text);
        _pending.Add(created);
        return created;
    }

    /// <summary>
    /// Whether <paramref name="utf8"/> decodes to at most <paramref name="maxLength"/> code points, counting each
    /// invalid sequence as the one U+FFFD the decoder turns it into (found by fuzzing: counting the bytes that are not
    /// continuation bytes missed stray continuation bytes, so an over-long value reached the database and failed there).
    /// </summary>
    private static bool FitsInCharacters(ReadOnlySpan<byte> utf8, int maxLength)
    {
        // Every code point, replacement included, takes at least one byte: a value this short always fits, which is
        // nearly every value, so the decode below runs only for the rare long one.
        if (utf8.Length <= maxLength)
        {
            return true;
        }

        // A code point takes at most 4 bytes and a replacement at least 1, so this many bytes are always too many.
        if (utf8.Length > maxLength * 4)
        {
            return false;
        }

        int characters = 0;
        while (!utf8.IsEmpty)
        {
            Rune.DecodeFromUtf8(utf8, out _, out int consumed);
            utf8 = utf8[consumed..];
            if (++characters > maxLength)
            {
                return false;
            }
        }

        return true;
    }

    private void DeadLetter(in ReceivedMessage message, string reason, RecordChunk chunk, NodeSighting? node)
    {
        Counts.DeadLettered(reason);
        if (node is not null)
        {
            Nodes.Tally.DeadLetter(node.Slot);
        }

        DeadLetterLimit limit = _deadLetters.TryTake(message.Peer, DeadLetterBudget.Cost(Math.Min(message.Length, _deadLetterMaxRawBytes), reason));
        if (limit != DeadLetterLimit.None)
        {
            Counts.Suppressed(reason, limit, message.Peer);
            return;
        }

        chunk.AddDeadLetter(new DeadLetter(message.ReceivedAt, message.Peer, reason, DeadLetterText.Render(message.Bytes, _deadLetterMaxRawBytes)));
    }
}
