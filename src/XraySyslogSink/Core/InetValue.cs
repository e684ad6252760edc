using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace XraySyslogSink.Core;

/// <summary>
/// An IPv4 or IPv6 address, or a network (address plus prefix length), held by value so that
/// the hot path can carry source and peer addresses without allocating an <see cref="IPAddress"/>.
/// Maps onto PostgreSQL's <c>inet</c>: a host has the full prefix length (32 or 128).
/// </summary>
internal readonly struct InetValue : IEquatable<InetValue>
{
    // IPv4 is kept in the low 32 bits of _low so equality and hashing need no family branch.
    private readonly ulong _high;
    private readonly ulong _low;

    private InetValue(ulong high, ulong low, bool isIPv6, byte prefixLength)
    {
        _high = high;
        _low = low;
        IsIPv6 = isIPv6;
        PrefixLength = prefixLength;
    }

    public bool IsIPv6 { get; }

    /// <summary>The upper 64 bits of an IPv6 address (0 for IPv4).</summary>
    internal ulong High => _high;

    /// <summary>The lower 64 bits of an IPv6 address, or the IPv4 address in its low 32 bits.</summary>
    internal ulong Low => _low;

    /// <summary>32 or 128 for a host address; less for a network such as a masked <c>1.2.*.*</c>.</summary>
    public byte PrefixLength { get; }

    /// <summary>False only for <c>default(InetValue)</c>, which stands for "no address".</summary>
    public bool HasValue => PrefixLength != 0 || _high != 0 || _low != 0 || IsIPv6;

    public bool IsHost => PrefixLength == (IsIPv6 ? 128 : 32);

    public static InetValue FromIPv4(uint address, byte prefixLength = 32) =>
        new(0, address, false, prefixLength);

    public static InetValue FromIPv6(ulong high, ulong low, byte prefixLength = 128) =>
        new(high, low, true, prefixLength);

    public static InetValue FromIPAddress(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out int written);
        return address.AddressFamily == AddressFamily.InterNetwork
            ? FromIPv4(BinaryPrimitives.ReadUInt32BigEndian(bytes), 32)
            : FromIPv6(BinaryPrimitives.ReadUInt64BigEndian(bytes), BinaryPrimitives.ReadUInt64BigEndian(bytes[8..written]), 128);
    }

    /// <summary>The same address with a shorter prefix, e.g. <c>1.2.0.0/16</c>.</summary>
    public InetValue WithPrefixLength(byte prefixLength) => new(_high, _low, IsIPv6, prefixLength);

    /// <summary>
    /// Parses an address written as UTF-8 text (<c>1.2.3.4</c>, <c>2001:db8::1</c>), without brackets
    /// or port, without allocating. Plain IPv6 forms (hex groups, one <c>::</c>, an IPv4 tail) are parsed here;
    /// anything else that might still be IPv6 (a zone, odd spellings) goes through <see cref="IPAddress"/>, so
    /// the accepted set is exactly the framework's.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> utf8, out InetValue value)
    {
        if (TryParseIPv4(utf8, out uint v4))
        {
            value = FromIPv4(v4);
            return true;
        }

        if (TryParseIPv6(utf8, out ulong high, out ulong low))
        {
            value = FromIPv6(high, low);
            return true;
        }

        value = default;
        if (utf8.IsEmpty || utf8.Length > 64 || utf8.IndexOf((byte)':') < 0)
        {
            return false;
        }

        // Only IPv6 needs the framework parser; its text is ASCII, so widening is exact.
        Span<char> chars = stackalloc char[utf8.Length];
        for (int i = 0; i < utf8.Length; i++)
        {
            if (utf8[i] >= 0x80)
            {
                return false;
            }

            chars[i] = (char)utf8[i];
        }

        if (!IPAddress.TryParse(chars, out IPAddress? address) || address.AddressFamily != AddressFamily.InterNetworkV6 || address.ScopeId != 0)
        {
            return false;
        }

        value = FromIPAddress(address);
        return true;
    }

    /// <summary>
    /// RFC 4291 text without zone: up to eight groups of 1–4 hex digits, at most one <c>::</c>, optionally
    /// ending in a dotted IPv4 address. False means "not in this simple form", not "invalid".
    /// </summary>
    internal static bool TryParseIPv6(ReadOnlySpan<byte> utf8, out ulong high, out ulong low)
    {
        high = 0;
        low = 0;
        Span<ushort> groups = stackalloc ushort[8];
        int count = 0;
        int gap = -1;
        int i = 0;
        if (utf8.Length < 2)
        {
            return false;
        }

        if (utf8[0] == ':')
        {
            if (utf8[1] != ':')
            {
                return false;
            }

            gap = 0;
            i = 2;
        }

        while (i < utf8.Length)
        {
            int start = i;
            int value = 0;
            while (i < utf8.Length && i - start < 5 && HexValue(utf8[i]) is int digit and >= 0)
            {
                value = (value << 4) | digit;
                i++;
            }

            if (i < utf8.Length && utf8[i] == '.')
            {
                // An IPv4 tail fills the last two groups.
                if (count > 6 || !TryParseIPv4(utf8[start..], out uint v4))
                {
                    return false;
                }

                groups[count++] = (ushort)(v4 >> 16);
                groups[count++] = (ushort)v4;
                i = utf8.Length;
                break;
            }

            if (i == start || i - start > 4 || count == 8)
            {
                return false;
            }

            groups[count++] = (ushort)value;
            if (i == utf8.Length)
            {
                break;
            }

            if (utf8[i] != ':' || ++i == utf8.Length)
            {
                return false;
            }

            if (utf8[i] == ':')
            {
                if (gap >= 0)
                {
                    return false;
                }

                gap = count;
                i++;
            }
        }

        if (gap < 0 ? count != 8 : count > 7)
        {
            return false;
        }

        Span<ushort> full = stackalloc ushort[8];
        full.Clear();
        int tail = gap < 0 ? 0 : count - gap;
        int head = count - tail;
        groups[..head].CopyTo(full);
        groups.Slice(head, tail).CopyTo(full[(8 - tail)..]);
        for (int g = 0; g < 4; g++)
        {
            high = (high << 16) | full[g];
            low = (low << 16) | full[g + 4];
        }

        return true;
    }

    private static int HexValue(byte c) => c switch
    {
        >= (byte)'0' and <= (byte)'9' => c - '0',
        >= (byte)'a' and <= (byte)'f' => c - 'a' + 10,
        >= (byte)'A' and <= (byte)'F' => c - 'A' + 10,
        _ => -1,
    };

    private static bool TryParseIPv4(ReadOnlySpan<byte> utf8, out uint address)
    {
        address = 0;
        int octets = 0;
        int i = 0;
        while (true)
        {
            int start = i;
            uint part = 0;
            while (i < utf8.Length && (uint)(utf8[i] - '0') <= 9)
            {
                part = (part * 10) + (uint)(utf8[i] - '0');
                i++;
                if (i - start > 3)
                {
                    return false;
                }
            }

            if (i == start || part > 255)
            {
                return false;
            }

            address = (address << 8) | part;
            octets++;
            if (octets == 4)
            {
                return i == utf8.Length;
            }

            if (i >= utf8.Length || utf8[i] != '.')
            {
                return false;
            }

            i++;
        }
    }

    public IPAddress ToIPAddress()
    {
        if (!IsIPv6)
        {
            return new IPAddress(BinaryPrimitives.ReverseEndianness((uint)_low));
        }

        Span<byte> bytes = stackalloc byte[16];
        BinaryPrimitives.WriteUInt64BigEndian(bytes, _high);
        BinaryPrimitives.WriteUInt64BigEndian(bytes[8..], _low);
        return new IPAddress(bytes);
    }

    public bool Equals(InetValue other) =>
        _high == other._high && _low == other._low && IsIPv6 == other.IsIPv6 && PrefixLength == other.PrefixLength;

    public override bool Equals(object? obj) => obj is InetValue other && Equals(other);

    public override int GetHashCode() => HashCode.Combine(_high, _low, IsIPv6, PrefixLength);

    public static bool operator ==(InetValue left, InetValue right) => left.Equals(right);

    public static bool operator !=(InetValue left, InetValue right) => !left.Equals(right);

    /// <summary>Bytes <see cref="WriteTo"/> writes: family flag, prefix length and the 16 address bytes.</summary>
    internal const int SerializedLength = 18;

    /// <summary>Writes the value in a fixed layout (the spool stores peers this way).</summary>
    internal void WriteTo(Span<byte> destination)
    {
        destination[0] = IsIPv6 ? (byte)1 : (byte)0;
        destination[1] = PrefixLength;
        BinaryPrimitives.WriteUInt64LittleEndian(destination[2..], _high);
        BinaryPrimitives.WriteUInt64LittleEndian(destination[10..], _low);
    }

    /// <summary>Reads what <see cref="WriteTo"/> wrote.</summary>
    internal static InetValue ReadFrom(ReadOnlySpan<byte> source) =>
        new(BinaryPrimitives.ReadUInt64LittleEndian(source[2..]), BinaryPrimitives.ReadUInt64LittleEndian(source[10..]), source[0] == 1, source[1]);

    public override string ToString() =>
        !HasValue ? string.Empty : IsHost ? ToIPAddress().ToString() : $"{ToIPAddress()}/{PrefixLength}";
}
