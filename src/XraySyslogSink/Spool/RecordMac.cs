using System.Security.Cryptography;
using Blake3;

namespace XraySyslogSink.Spool;

/// <summary>
/// A keyed MAC over a record with its MAC field left out, truncated to <see cref="Length"/> bytes. Each keyed record
/// format has its own algorithm (<see cref="Version"/>); a calculator keeps state between calls, so one per thread.
/// </summary>
internal abstract class RecordMac : IDisposable
{
    public const int Length = 16;

    /// <summary>The record format (segment version) whose records this MAC seals.</summary>
    public abstract int Version { get; }

    /// <summary>Writes the MAC of <paramref name="before"/> followed by <paramref name="after"/> to <paramref name="destination"/> (<see cref="Length"/> bytes).</summary>
    public abstract void Compute(ReadOnlySpan<byte> before, ReadOnlySpan<byte> after, Span<byte> destination);

    public bool Verify(ReadOnlySpan<byte> before, ReadOnlySpan<byte> after, ReadOnlySpan<byte> expected)
    {
        Span<byte> actual = stackalloc byte[Length];
        Compute(before, after, actual);
        return CryptographicOperations.FixedTimeEquals(actual, expected);
    }

    public abstract void Dispose();
}

/// <summary>
/// Format 2: HMAC-SHA256 under the spool key (OpenSSL through <see cref="IncrementalHash"/>). Still read, so that
/// segments written before format 3 replay; new segments are format 3, whose MAC costs less than half as much
/// per record (OpenSSL's per-call overhead, not the hashing, dominated this one: docs/performance.md).
/// </summary>
internal sealed class HmacRecordMac(byte[] secret) : RecordMac
{
    private readonly IncrementalHash _hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, secret);
    private readonly byte[] _full = new byte[32];

    public override int Version => SpoolSegment.HmacVersion;

    public override void Compute(ReadOnlySpan<byte> before, ReadOnlySpan<byte> after, Span<byte> destination)
    {
        _hmac.AppendData(before);
        _hmac.AppendData(after);
        _hmac.GetHashAndReset(_full);
        _full.AsSpan(0, Length).CopyTo(destination);
    }

    public override void Dispose() => _hmac.Dispose();
}

/// <summary>
/// Format 3: BLAKE3 in its keyed mode (keyed_hash, a MAC by design), the first <see cref="RecordMac.Length"/> bytes
/// of its output, under a key derived from the spool key by BLAKE3's own derive_key mode (<see cref="DeriveKey"/>).
/// The managed <c>Blake3</c> package: no native library, no per-call interop.
/// </summary>
internal sealed class Blake3RecordMac : RecordMac
{
    /// <summary>
    /// derive_key's context string: globally unique and fixed for good (changing it changes every MAC). BLAKE3's
    /// recommended form: application, a date, purpose.
    /// </summary>
    private const string KeyContext = "xraysink 2026-12-03 spool record MAC, segment format 3";

    // Hasher is a mutable struct: a readonly field would hash into defensive copies.
#pragma warning disable IDE0044
    private Hasher _hasher;
#pragma warning restore IDE0044

    /// <param name="key">The derived key (<see cref="DeriveKey"/>), 32 bytes.</param>
    public Blake3RecordMac(byte[] key) => _hasher = Hasher.NewKeyed(key);

    public override int Version => SpoolSegment.Blake3Version;

    /// <summary>The 32-byte key of this MAC for the spool key <paramref name="secret"/>, computed once when the key is loaded.</summary>
    public static byte[] DeriveKey(byte[] secret)
    {
        using Hasher derive = Hasher.NewDeriveKey(KeyContext);
        derive.Update(secret);
        byte[] key = new byte[32];
        derive.Finalize(key);
        return key;
    }

    public override void Compute(ReadOnlySpan<byte> before, ReadOnlySpan<byte> after, Span<byte> destination)
    {
        _hasher.Update(before);
        _hasher.Update(after);
        _hasher.Finalize(destination[..Length]);
        _hasher.Reset();
    }

    public override void Dispose() => _hasher.Dispose();
}

/// <summary>The MAC calculators of one thread under one key, one per keyed format, each made when first needed.</summary>
internal sealed class RecordMacs(SpoolKey key) : IDisposable
{
    private RecordMac? _hmac;
    private RecordMac? _blake3;

    /// <summary>The calculator for segments of format <paramref name="version"/>; null for the unkeyed format 1.</summary>
    public RecordMac? For(int version) => version switch
    {
        SpoolSegment.LegacyVersion => null,
        SpoolSegment.HmacVersion => _hmac ??= key.CreateMac(version),
        _ => _blake3 ??= key.CreateMac(version),
    };

    public void Dispose()
    {
        _hmac?.Dispose();
        _blake3?.Dispose();
    }
}
