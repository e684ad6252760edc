using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.Time.Testing;
using XraySyslogSink.Core;
using XraySyslogSink.LoadGenerator;
using XraySyslogSink.Pipeline;
using XraySyslogSink.Spool;
using XraySyslogSink.Storage;
using XraySyslogSink.Xray;

namespace XraySyslogSink.Benchmarks;

/// <summary>
/// The writer's per-row work on the daemon's side of a batch: encoding each record as a binary COPY tuple
/// (<see cref="CopyRowEncoder"/>) into the buffer handed to the raw COPY stream, for records the parser built from
/// the load generator's mix (all dimension values resolved, as after the first batches).
/// </summary>
[MemoryDiagnoser]
public class CopyEncodingBenchmarks
{
    private readonly CopyRowEncoder _encoder = new();
    private AccessRecord[] _records = [];

    [GlobalSetup]
    public void Setup()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2025, 6, 30, 23, 59, 50, TimeSpan.Zero));
        var builder = new AccessRecordBuilder(new DimensionCaches(new DimensionCacheOptions()), new SenderTimeZones(new XrayOptions()), new PipelineOptions(), time, AcceptWindow.FromOptions(new XrayOptions()));
        var chunk = new RecordChunk(Lines.Count);
        foreach (byte[] raw in Lines.Messages(HeaderStyle.Rfc5424))
        {
            ReceivedMessage message = ReceivedMessage.Copy(raw, InetValue.FromIPv4(0x7F000001), Transport.Tcp, time.GetUtcNow());
            builder.Append(message, chunk);
            message.Release();
        }

        int id = 1;
        _records = [.. chunk.Records];
        for (int i = 0; i < _records.Length; i++)
        {
            ref AccessRecord record = ref _records[i];
            record.Protocol = Resolved(record.Protocol, ref id);
            record.Destination = Resolved(record.Destination, ref id);
            record.InboundTag = Resolved(record.InboundTag, ref id);
            record.OutboundTag = Resolved(record.OutboundTag, ref id);
            record.User = Resolved(record.User, ref id);
        }

        chunk.Release();
    }

    /// <summary>ns per row (each operation encodes every record once, handing on the buffer when it is full).</summary>
    [Benchmark(OperationsPerInvoke = Lines.Count)]
    public int EncodeRows()
    {
        int bytes = 0;
        _encoder.Clear();
        _encoder.WriteHeader();
        foreach (ref readonly AccessRecord record in _records.AsSpan())
        {
            if (!_encoder.HasRoomForRow)
            {
                bytes += _encoder.Written.Length;
                _encoder.Clear();
            }

            _encoder.WriteRow(in record, nodes: true);
        }

        _encoder.WriteTrailer();
        return bytes + _encoder.Written.Length;
    }

    private static DimensionValue Resolved(DimensionValue value, ref int id) =>
        value.Text is null ? value : new DimensionValue(id++);
}

/// <summary>
/// The spool's per-message work under its lock: the record header, the payload copy and the record's MAC
/// (<see cref="SpoolRecord.WriteMessage(Span{byte}, long, in ReceivedMessage, RecordMac)"/>), and the MAC alone, for the load generator's messages, in each keyed format;
/// and the replay's check of a record read back: by its MAC, or by the digest the writer kept
/// (<see cref="RecentRecordDigests"/>), and what keeping that digest costs the writer.
/// </summary>
[MemoryDiagnoser]
public class SpoolRecordBenchmarks
{
    private readonly byte[] _destination = new byte[64 * 1024];
    private RecordMac _mac = null!;
    private ReceivedMessage[] _messages = [];
    private byte[] _records = [];
    private int[] _offsets = [];
    private RecentRecordDigests _digests = null!;

    /// <summary>The record format: 2 (HMAC-SHA256, what earlier releases wrote) or 3 (keyed BLAKE3, what new segments are).</summary>
    [Params(SpoolSegment.HmacVersion, SpoolSegment.Blake3Version)]
    public int Format { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _mac = new SpoolKey(new byte[32]).CreateMac(Format);
        DateTimeOffset now = new(2025, 6, 30, 23, 59, 50, TimeSpan.Zero);
        _messages = [.. Lines.Messages(HeaderStyle.Rfc5424).Select(m => ReceivedMessage.Copy(m, InetValue.FromIPv4(0x7F000001), Transport.Tcp, now))];
        _records = new byte[_messages.Sum(m => SpoolRecord.SizeOf(m))];
        _offsets = new int[_messages.Length];
        _digests = new RecentRecordDigests(RecentRecordDigests.MaxCapacity);
        int offset = 0;
        for (int i = 0; i < _messages.Length; i++)
        {
            _offsets[i] = offset;
            int size = SpoolRecord.WriteMessage(_records.AsSpan(offset), i + 1, _messages[i], _mac);
            _digests.Remember(i + 1, offset, _records.AsSpan(offset, size));
            offset += size;
        }
    }

    [GlobalCleanup]
    public void Cleanup() => _mac.Dispose();

    /// <summary>ns per message: header, copy and MAC.</summary>
    [Benchmark(OperationsPerInvoke = Lines.Count)]
    public int WriteRecords()
    {
        int bytes = 0;
        long sequence = 1;
        foreach (ReceivedMessage message in _messages)
        {
            bytes += SpoolRecord.WriteMessage(_destination, sequence++, message, _mac);
        }

        return bytes;
    }

    /// <summary>ns per message: the MAC over a record's bytes alone.</summary>
    [Benchmark(OperationsPerInvoke = Lines.Count)]
    public int MacOnly()
    {
        Span<byte> tag = stackalloc byte[RecordMac.Length];
        int sum = 0;
        foreach (ReceivedMessage message in _messages)
        {
            _mac.Compute(message.Bytes[..12], message.Bytes[12..], tag);
            sum += tag[0];
        }

        return sum;
    }

    /// <summary>ns per message: what the writer adds to keep a record's digest for the replay.</summary>
    [Benchmark(OperationsPerInvoke = Lines.Count)]
    public int RememberDigest()
    {
        for (int i = 0; i < _offsets.Length; i++)
        {
            int end = i + 1 < _offsets.Length ? _offsets[i + 1] : _records.Length;
            _digests.Remember(i + 1, _offsets[i], _records.AsSpan(_offsets[i], end - _offsets[i]));
        }

        return _offsets.Length;
    }

    /// <summary>ns per message: the replay's check of a record read back, by its MAC (a record appended before a restart).</summary>
    [Benchmark(OperationsPerInvoke = Lines.Count)]
    public int ReplayCheckByMac() => ReadAll(null);

    /// <summary>ns per message: the same check by the digest the writer kept (a record appended in this run).</summary>
    [Benchmark(OperationsPerInvoke = Lines.Count)]
    public int ReplayCheckByDigest() => ReadAll(_digests);

    private int ReadAll(RecentRecordDigests? digests)
    {
        int read = 0;
        foreach (int offset in _offsets)
        {
            if (SpoolRecord.TryRead(_records.AsSpan(offset), _mac, out SpoolRecordView record, digests, offset) == RecordStatus.Valid)
            {
                read += record.Size;
            }
        }

        return read;
    }
}
