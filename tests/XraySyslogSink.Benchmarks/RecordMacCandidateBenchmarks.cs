using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using NSec.Cryptography;
using XraySyslogSink.Core;
using XraySyslogSink.LoadGenerator;
using XraySyslogSink.Spool;

namespace XraySyslogSink.Benchmarks;

/// <summary>
/// The candidates for the record MAC of spool segment format 3, each as the spool computes it: over the load
/// generator's records, in two parts around the MAC field, 16 bytes out, one reused calculator. HMAC-SHA256 is
/// format 2's (<see cref="HmacRecordMac"/>); keyed BLAKE3 the managed <c>Blake3</c> package (<see cref="Blake3RecordMac"/>,
/// the one chosen); keyed BLAKE2b-128 libsodium's through <c>NSec.Cryptography</c> (native). The decision and its
/// reasons: docs/performance.md, "Spool: a faster record MAC".
/// </summary>
[MemoryDiagnoser]
public class RecordMacCandidateBenchmarks
{
    private static readonly MacAlgorithm Blake2b = MacAlgorithm.Blake2b_128;

    private readonly byte[] _secret = RandomNumberGenerator.GetBytes(32);
    private readonly byte[] _tag = new byte[RecordMac.Length];
    private byte[][] _records = [];
    private HmacRecordMac _hmac = null!;
    private Blake3RecordMac _blake3 = null!;
    private Key _blake2bKey = null!;

    [GlobalSetup]
    public void Setup()
    {
        _hmac = new HmacRecordMac(_secret);
        _blake3 = new Blake3RecordMac(Blake3RecordMac.DeriveKey(_secret));
        _blake2bKey = Key.Import(Blake2b, _secret, KeyBlobFormat.RawSymmetricKey);
        DateTimeOffset now = new(2025, 6, 30, 23, 59, 50, TimeSpan.Zero);
        _records = [.. Lines.Messages(HeaderStyle.Rfc5424).Select(line =>
        {
            ReceivedMessage message = ReceivedMessage.Copy(line, InetValue.FromIPv4(0x7F000001), Transport.Tcp, now);
            byte[] record = new byte[SpoolRecord.SizeOf(message)];
            SpoolRecord.WriteMessage(record, 1, message, _hmac);
            message.Release();
            return record;
        })];
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _hmac.Dispose();
        _blake3.Dispose();
        _blake2bKey.Dispose();
    }

    /// <summary>ns per record: format 2's MAC.</summary>
    [Benchmark(Baseline = true, OperationsPerInvoke = Lines.Count)]
    public int HmacSha256() => MacAll(_hmac);

    /// <summary>ns per record: keyed BLAKE3 (managed), format 3's MAC.</summary>
    [Benchmark(OperationsPerInvoke = Lines.Count)]
    public int Blake3Keyed() => MacAll(_blake3);

    /// <summary>ns per record: keyed BLAKE2b-128 through libsodium's incremental interface.</summary>
    [Benchmark(OperationsPerInvoke = Lines.Count)]
    public int Blake2bKeyed()
    {
        int sum = 0;
        foreach (byte[] record in _records)
        {
            IncrementalMac.Initialize(_blake2bKey, out IncrementalMac state);
            IncrementalMac.Update(ref state, record.AsSpan(0, 12));
            IncrementalMac.Update(ref state, record.AsSpan(12 + RecordMac.Length));
            IncrementalMac.Finalize(ref state, _tag);
            sum += _tag[0];
        }

        return sum;
    }

    private int MacAll(RecordMac mac)
    {
        int sum = 0;
        foreach (byte[] record in _records)
        {
            mac.Compute(record.AsSpan(0, 12), record.AsSpan(12 + RecordMac.Length), _tag);
            sum += _tag[0];
        }

        return sum;
    }
}
