using System.Net;
using System.Text;
using Microsoft.Extensions.Time.Testing;
using XraySyslogSink.Core;
using XraySyslogSink.Pipeline;
using XraySyslogSink.Storage;
using XraySyslogSink.Xray;

namespace XraySyslogSink.Tests.Pipeline;

/// <summary>
/// A value's length is judged in the characters PostgreSQL will count, after invalid UTF-8 became U+FFFD. Found by
/// scripts/fuzz.sh (xray-record, FuzzFindings/xray-record/stray-continuation-byte-*.bin): stray continuation bytes
/// were not counted, so an email of 256+ characters passed and failed only in the database.
/// </summary>
public sealed class AccessRecordBuilderLengthTests
{
    private const string Prefix = "2025/11/17 10:00:00.000000 from 1.2.3.4:5 accepted tcp:x.org:443 [in >> out] email: ";

    [Theory]
    [InlineData(255, 0, true)]
    [InlineData(256, 0, false)]
    [InlineData(250, 5, true)] // 250 letters + 5 stray bytes = 255 characters once stored
    [InlineData(250, 6, false)]
    [InlineData(0, 255, true)]
    [InlineData(0, 256, false)]
    public void Stray_continuation_bytes_count_as_the_characters_they_become(int letters, int strayBytes, bool fits)
    {
        byte[] email = [.. Encoding.ASCII.GetBytes(new string('a', letters)), .. Enumerable.Repeat((byte)0x80, strayBytes)];

        (RecordChunk chunk, _) = Build([.. Encoding.ASCII.GetBytes(Prefix), .. email]);

        if (fits)
        {
            Assert.Empty(chunk.DeadLetters);
            string stored = Assert.Single(chunk.Records.ToArray()).User.Text!;
            Assert.Equal(letters + strayBytes, stored.EnumerateRunes().Count());
        }
        else
        {
            Assert.Equal(0, chunk.Count);
            Assert.Equal(DeadLetterReasons.EmailTooLong, Assert.Single(chunk.DeadLetters).Reason);
        }
    }

    [Theory]
    [InlineData("é", 255, true)] // two bytes each
    [InlineData("é", 256, false)]
    [InlineData("😀", 255, true)] // four bytes and a surrogate pair each, one character
    [InlineData("😀", 256, false)]
    public void Multi_byte_characters_count_once(string character, int count, bool fits)
    {
        (RecordChunk chunk, _) = Build(Encoding.UTF8.GetBytes(Prefix + string.Concat(Enumerable.Repeat(character, count))));

        Assert.Equal(fits ? 1 : 0, chunk.Count);
        Assert.Equal(fits ? 0 : 1, chunk.DeadLetters.Count);
    }

    [Fact]
    public void A_truncated_sequence_at_the_end_is_one_character()
    {
        // 254 letters + the first two bytes of a three-byte sequence: 255 characters (one U+FFFD).
        byte[] email = [.. Encoding.ASCII.GetBytes(new string('a', 254)), 0xE2, 0x82];

        (RecordChunk chunk, _) = Build([.. Encoding.ASCII.GetBytes(Prefix), .. email]);

        Assert.Equal(255, Assert.Single(chunk.Records.ToArray()).User.Text!.EnumerateRunes().Count());
    }

    private static (RecordChunk Chunk, AccessRecordBuilder Builder) Build(byte[] message)
    {
        var builder = new AccessRecordBuilder(new DimensionCaches(new DimensionCacheOptions()), new SenderTimeZones(new XrayOptions()), new PipelineOptions { ParserWorkers = 1 }, new FakeTimeProvider(), AcceptWindow.None);
        var chunk = new RecordChunk();
        ReceivedMessage received = ReceivedMessage.Copy(message, InetValue.FromIPAddress(IPAddress.Loopback), Transport.Udp, new DateTimeOffset(2025, 11, 17, 10, 0, 0, TimeSpan.Zero));
        builder.Append(received, chunk);
        received.Release();
        return (chunk, builder);
    }
}
