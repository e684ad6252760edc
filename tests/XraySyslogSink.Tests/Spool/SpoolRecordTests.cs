using System.Buffers.Binary;
using XraySyslogSink.Core;
using XraySyslogSink.Spool;

namespace XraySyslogSink.Tests.Spool;

public sealed class SpoolRecordTests
{
    internal static readonly byte[] KeyBytes = [.. Enumerable.Range(1, 32).Select(i => (byte)i)];

    internal static readonly SpoolKey Key = new(KeyBytes);

    /// <summary>The keyed record formats: the HMAC one earlier releases wrote, and the current one.</summary>
    public static TheoryData<int> KeyedFormats => [SpoolSegment.HmacVersion, SpoolSegment.Blake3Version];

    [Theory]
    [MemberData(nameof(KeyedFormats))]
    public void A_message_record_reads_back_every_field(int format)
    {
        using RecordMac mac = Key.CreateMac(format);
        byte[] record = Write(42, "hello"u8.ToArray(), mac);

        Assert.Equal(RecordStatus.Valid, SpoolRecord.TryRead(record, mac, out SpoolRecordView view));
        Assert.Equal(SpoolRecordKind.Message, view.Kind);
        Assert.Equal(record.Length, view.Size);
        Assert.Equal(42, view.Sequence);
        Assert.Equal(SpoolHarness.Now.UtcTicks, view.ReceivedAtTicks);
        Assert.Equal(Transport.Tcp, view.Transport);
        Assert.Equal(InetValue.FromIPv4(0x0A000001), view.Peer);
        Assert.Equal("hello"u8.ToArray(), view.Payload.ToArray());
    }

    [Theory]
    [MemberData(nameof(KeyedFormats))]
    public void A_message_accepted_under_a_node_identity_keeps_it_in_its_record(int format)
    {
        using RecordMac mac = Key.CreateMac(format);
        var node = new NodeIdentity("узел-1", NodeIdentitySource.Certificate);
        byte[] record = Write(42, "hello"u8.ToArray(), mac, node: node);

        // The fixed header, then flag bit 0's extension: source, name length, UTF-8 name; then the payload.
        int nameLength = System.Text.Encoding.UTF8.GetByteCount(node.Name!);
        Assert.Equal(SpoolRecord.HeaderLength + 3 + nameLength + 5, record.Length);
        Assert.Equal(SpoolRecord.HeaderLength + 3 + nameLength, BinaryPrimitives.ReadUInt16LittleEndian(record.AsSpan(4)));
        Assert.Equal(SpoolRecord.NodeFlag, record[7]);
        Assert.Equal(record.Length, SpoolRecord.SizeOf(SpoolHarness.Message("hello"u8.ToArray(), node: node)));

        Assert.Equal(RecordStatus.Valid, SpoolRecord.TryRead(record, mac, out SpoolRecordView view));
        Assert.Equal(42, view.Sequence);
        Assert.Equal("hello"u8.ToArray(), view.Payload.ToArray());
        Assert.Equal(NodeIdentitySource.Certificate, view.NodeSource);
        ReceivedMessage replayed = view.ToMessage(42, SpoolHarness.Now, new SpoolNodeNames());
        Assert.Equal(node, replayed.Node);
        replayed.Release();
    }

    [Theory]
    [MemberData(nameof(KeyedFormats))]
    public void A_message_without_a_node_identity_is_written_exactly_as_before(int format)
    {
        using RecordMac mac = Key.CreateMac(format);
        byte[] record = Write(42, "hello"u8.ToArray(), mac);

        Assert.Equal(SpoolRecord.SizeOf(5), record.Length);
        Assert.Equal(SpoolRecord.HeaderLength, BinaryPrimitives.ReadUInt16LittleEndian(record.AsSpan(4)));
        Assert.Equal(0, record[7]);
        Assert.Equal(RecordStatus.Valid, SpoolRecord.TryRead(record, mac, out SpoolRecordView view));
        Assert.Equal(NodeIdentitySource.None, view.NodeSource);
        ReceivedMessage replayed = view.ToMessage(42, SpoolHarness.Now, new SpoolNodeNames());
        Assert.Equal(default, replayed.Node);
        replayed.Release();
    }

    [Theory]
    [MemberData(nameof(KeyedFormats))]
    public void A_node_extension_that_does_not_fit_its_header_is_not_trusted_and_an_unknown_source_is_no_identity(int format)
    {
        using RecordMac mac = Key.CreateMac(format);
        byte[] record = Write(42, "hello"u8.ToArray(), mac, node: new NodeIdentity("node-1", NodeIdentitySource.Network));

        // A name length beyond the header: not a record this version writes, even under the right key.
        byte[] overlong = (byte[])record.Clone();
        BinaryPrimitives.WriteUInt16LittleEndian(overlong.AsSpan(SpoolRecord.HeaderLength + 1), 200);
        mac.Compute(overlong.AsSpan(0, 12), overlong.AsSpan(28), overlong.AsSpan(12, RecordMac.Length));
        Assert.Equal(RecordStatus.Corrupt, SpoolRecord.TryRead(overlong, mac, out _));

        // A source this version does not know (a later one's): the message replays, its node left to the parser.
        byte[] unknown = (byte[])record.Clone();
        unknown[SpoolRecord.HeaderLength] = 0x7F;
        mac.Compute(unknown.AsSpan(0, 12), unknown.AsSpan(28), unknown.AsSpan(12, RecordMac.Length));
        Assert.Equal(RecordStatus.Valid, SpoolRecord.TryRead(unknown, mac, out SpoolRecordView view));
        Assert.Equal(NodeIdentitySource.None, view.NodeSource);
        Assert.Equal("hello"u8.ToArray(), view.Payload.ToArray());
    }

    [Fact]
    public void Replayed_names_are_made_once_per_node_not_once_per_message()
    {
        var names = new SpoolNodeNames();
        NodeIdentity first = names.Identity(NodeIdentitySource.Certificate, "node-1"u8);
        NodeIdentity again = names.Identity(NodeIdentitySource.Certificate, "node-1"u8);
        NodeIdentity network = names.Identity(NodeIdentitySource.Network, "node-1"u8);

        Assert.Same(first.Name, again.Name);
        Assert.Equal(new NodeIdentity("node-1", NodeIdentitySource.Network), network);
        for (int i = 0; i < 10 * SpoolNodeNames.Capacity; i++)
        {
            Assert.Equal($"node-{i}", names.Identity(NodeIdentitySource.Certificate, System.Text.Encoding.UTF8.GetBytes($"node-{i}")).Name);
        }
    }

    [Theory]
    [MemberData(nameof(KeyedFormats))]
    public void Any_flipped_byte_fails_the_check(int format)
    {
        using RecordMac mac = Key.CreateMac(format);
        byte[] record = Write(7, "abcdefgh"u8.ToArray(), mac, node: new NodeIdentity("node-1", NodeIdentitySource.Certificate));
        Assert.NotEqual(SpoolRecord.SizeOf(8), record.Length);
        for (int i = 0; i < record.Length; i++)
        {
            byte[] damaged = (byte[])record.Clone();
            damaged[i] ^= 0x01;
            Assert.NotEqual(RecordStatus.Valid, SpoolRecord.TryRead(damaged, mac, out _));
        }
    }

    [Theory]
    [MemberData(nameof(KeyedFormats))]
    public void A_record_written_under_another_key_is_not_trusted(int format)
    {
        var other = new SpoolKey(new byte[32]);
        using RecordMac otherMac = other.CreateMac(format);
        using RecordMac mac = Key.CreateMac(format);
        byte[] record = Write(7, "abc"u8.ToArray(), otherMac);

        Assert.Equal(RecordStatus.Corrupt, SpoolRecord.TryRead(record, mac, out _));
    }

    [Theory]
    [MemberData(nameof(KeyedFormats))]
    public void A_cut_record_asks_for_more_bytes(int format)
    {
        using RecordMac mac = Key.CreateMac(format);
        byte[] record = Write(7, new byte[100], mac);
        foreach (int length in new[] { 0, 2, 4, 40, 64, 163 })
        {
            Assert.Equal(RecordStatus.Incomplete, SpoolRecord.TryRead(record.AsSpan(0, length), mac, out _));
        }
    }

    [Theory]
    [MemberData(nameof(KeyedFormats))]
    public void A_longer_header_of_a_later_version_is_read_up_to_the_fields_this_version_knows(int format)
    {
        // A later version adds 16 bytes of header (say, the node identity) after the fields known today.
        using RecordMac mac = Key.CreateMac(format);
        byte[] current = Write(9, "payload"u8.ToArray(), mac);
        byte[] later = new byte[current.Length + 16];
        current.AsSpan(0, SpoolRecord.HeaderLength).CopyTo(later);
        later.AsSpan(SpoolRecord.HeaderLength, 16).Fill(0xEE);
        current.AsSpan(SpoolRecord.HeaderLength).CopyTo(later.AsSpan(SpoolRecord.HeaderLength + 16));
        BinaryPrimitives.WriteUInt16LittleEndian(later.AsSpan(4), SpoolRecord.HeaderLength + 16);
        mac.Compute(later.AsSpan(0, 12), later.AsSpan(28), later.AsSpan(12, RecordMac.Length));

        Assert.Equal(RecordStatus.Valid, SpoolRecord.TryRead(later, mac, out SpoolRecordView view));
        Assert.Equal(9, view.Sequence);
        Assert.Equal(later.Length, view.Size);
        Assert.Equal("payload"u8.ToArray(), view.Payload.ToArray());
    }

    [Fact]
    public void A_record_of_one_keyed_format_is_not_trusted_as_the_other_even_with_its_magic_changed()
    {
        using RecordMac hmac = Key.CreateMac(SpoolSegment.HmacVersion);
        using RecordMac blake3 = Key.CreateMac(SpoolSegment.Blake3Version);
        byte[] format2 = Write(7, "abc"u8.ToArray(), hmac);
        byte[] format3 = Write(7, "abc"u8.ToArray(), blake3);

        Assert.Equal(SpoolRecord.HmacMagic, BinaryPrimitives.ReadUInt32LittleEndian(format2));
        Assert.Equal(SpoolRecord.Blake3Magic, BinaryPrimitives.ReadUInt32LittleEndian(format3));
        Assert.Equal(format2.AsSpan(4, 8).ToArray(), format3.AsSpan(4, 8).ToArray());
        Assert.Equal(format2.AsSpan(28).ToArray(), format3.AsSpan(28).ToArray());
        Assert.Equal(RecordStatus.Corrupt, SpoolRecord.TryRead(format2, blake3, out _));
        Assert.Equal(RecordStatus.Corrupt, SpoolRecord.TryRead(format3, hmac, out _));
        BinaryPrimitives.WriteUInt32LittleEndian(format2, SpoolRecord.Blake3Magic);
        BinaryPrimitives.WriteUInt32LittleEndian(format3, SpoolRecord.HmacMagic);
        Assert.Equal(RecordStatus.Corrupt, SpoolRecord.TryRead(format2, blake3, out _));
        Assert.Equal(RecordStatus.Corrupt, SpoolRecord.TryRead(format3, hmac, out _));
    }

    [Fact]
    public void Format_2_records_are_still_sealed_by_hmac_sha256_under_the_spool_key_itself()
    {
        using RecordMac mac = Key.CreateMac(SpoolSegment.HmacVersion);
        byte[] record = Write(7, "abc"u8.ToArray(), mac);

        byte[] expected = System.Security.Cryptography.HMACSHA256.HashData(KeyBytes, (byte[])[.. record.AsSpan(0, 12), .. record.AsSpan(28)]);
        Assert.Equal(expected[..RecordMac.Length], record.AsSpan(12, RecordMac.Length).ToArray());
    }

    [Fact]
    public void Format_3_seals_under_a_key_derived_from_the_spool_key_never_under_the_key_itself()
    {
        using RecordMac mac = Key.CreateMac(SpoolSegment.Blake3Version);
        byte[] record = Write(7, "abc"u8.ToArray(), mac);
        byte[] derived = Blake3RecordMac.DeriveKey(KeyBytes);

        Assert.NotEqual(KeyBytes, derived);
        Assert.Equal(derived, Blake3RecordMac.DeriveKey(KeyBytes));
        using var underSecret = new Blake3RecordMac(KeyBytes);
        using var underDerived = new Blake3RecordMac(derived);
        Assert.False(underSecret.Verify(record.AsSpan(0, 12), record.AsSpan(28), record.AsSpan(12, RecordMac.Length)));
        Assert.True(underDerived.Verify(record.AsSpan(0, 12), record.AsSpan(28), record.AsSpan(12, RecordMac.Length)));

        // Pinned: the derivation's context string and the MAC are part of the format; segments on disk rely on them.
        Assert.Equal("c5e858f4fb3aff9e88be2e61232c0d49", Convert.ToHexStringLower(record.AsSpan(12, RecordMac.Length)));
    }

    [Theory]
    [InlineData(1, 0, "6d7878dfff2f485635d39013278ae14f")]
    [InlineData(1023, 12, "c951ecdf03288d0fcc96ee3413563d8a")]
    [InlineData(1025, 700, "357dc55de0c7e382c900fd6e320acc04")]
    public void Format_3_mac_is_blake3_keyed_hash_truncated_to_16_bytes(int length, int split, string expected)
    {
        // BLAKE3's published test vectors (keyed_hash mode): input bytes 0, 1, ..., 250, 0, 1, ...; the record's two
        // parts around its MAC field are fed as one input, and calls in a row start afresh.
        byte[] input = [.. Enumerable.Range(0, length).Select(i => (byte)(i % 251))];
        using var mac = new Blake3RecordMac("whats the Elvish word for friend"u8.ToArray());
        byte[] tag = new byte[RecordMac.Length];
        for (int round = 0; round < 2; round++)
        {
            mac.Compute(input.AsSpan(0, split), input.AsSpan(split), tag);
            Assert.Equal(expected, Convert.ToHexStringLower(tag));
        }
    }

    [Fact]
    public void An_old_unkeyed_record_reads_back_and_its_crc_catches_a_flip()
    {
        ReceivedMessage message = SpoolHarness.Message("old line"u8.ToArray());
        byte[] record = new byte[LegacySpoolRecord.HeaderLength + message.Length];
        LegacySpoolRecord.Write(record, 5, message);
        message.Release();

        Assert.Equal(RecordStatus.Valid, LegacySpoolRecord.TryRead(record, out SpoolRecordView view));
        Assert.Equal(5, view.Sequence);
        Assert.Equal("old line"u8.ToArray(), view.Payload.ToArray());
        record[^1] ^= 1;
        Assert.Equal(RecordStatus.Corrupt, LegacySpoolRecord.TryRead(record, out _));
    }

    internal static byte[] Write(long sequence, byte[] payload, RecordMac mac, DateTimeOffset? receivedAt = null, NodeIdentity node = default)
    {
        ReceivedMessage message = SpoolHarness.Message(payload, receivedAt, node);
        byte[] record = new byte[SpoolRecord.SizeOf(message)];
        SpoolRecord.WriteMessage(record, sequence, message, mac);
        message.Release();
        return record;
    }

    internal static byte[] WriteLegacy(long sequence, byte[] payload, DateTimeOffset? receivedAt = null)
    {
        ReceivedMessage message = SpoolHarness.Message(payload, receivedAt);
        byte[] record = new byte[LegacySpoolRecord.HeaderLength + payload.Length];
        LegacySpoolRecord.Write(record, sequence, message);
        message.Release();
        return record;
    }
}
