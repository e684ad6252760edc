using System.Net;
using System.Text;
using Microsoft.Extensions.Time.Testing;
using XraySyslogSink.Core;
using XraySyslogSink.Pipeline;
using XraySyslogSink.Storage;
using XraySyslogSink.Xray;

namespace XraySyslogSink.Tests.Corpus;

/// <summary>
/// Every real line of the corpus goes through what the daemon runs per message (syslog header, xray line,
/// record builder with real dimension caches) and must come out as the row, the counted skip or the dead
/// letter an operator should find. Sources and coverage: <c>Corpus/README.md</c>.
/// </summary>
public sealed class RealLineCorpusTests
{
    // When the corpus messages "arrive"; only year-less headers without an xray timestamp would depend on it.
    private static readonly DateTimeOffset ReceivedAt = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    // Values the caches already know, so both ways a dimension reaches the writer (id, text) are exercised.
    private static readonly Dictionary<string, int> KnownProtocols = new() { ["tcp"] = 1 };
    private static readonly Dictionary<string, int> KnownTags = new() { ["direct"] = 11, ["proxy"] = 12 };
    private static readonly Dictionary<string, int> KnownEndpoints = new() { ["www.google.com"] = 21 };
    private static readonly Dictionary<string, int> KnownUsers = new() { ["MAIN@Xray.com"] = 31 };

    public static TheoryData<int, string> Lines()
    {
        var data = new TheoryData<int, string>();
        foreach (RealLine line in RealLine.All)
        {
            data.Add(line.FileLine, line.Source);
        }

        return data;
    }

    [Fact]
    public void The_corpus_holds_at_least_60_distinct_real_lines_each_with_a_source()
    {
        Assert.True(RealLine.All.Count >= 60, $"{RealLine.All.Count} lines");
        Assert.Equal(RealLine.All.Count, RealLine.All.Select(l => l.Message).Distinct(StringComparer.Ordinal).Count());
        Assert.All(RealLine.All, l => Assert.Matches(@"^[\w.-]+/[\w.-]+#\d+$", l.Source));
    }

    [Theory]
    [MemberData(nameof(Lines))]
    public void A_real_line_lands_as_the_operator_expects(int fileLine, string source)
    {
        RealLine expected = RealLine.All.Single(l => l.FileLine == fileLine);
        Assert.Equal(source, expected.Source);

        var caches = new DimensionCaches(new DimensionCacheOptions());
        Seed(caches.Protocols, KnownProtocols);
        Seed(caches.Tags, KnownTags);
        Seed(caches.Endpoints, KnownEndpoints);
        Seed(caches.Users, KnownUsers);
        var zones = new SenderTimeZones(new XrayOptions { TimeZone = expected.Zone.Length == 0 ? "UTC" : expected.Zone });
        var builder = new AccessRecordBuilder(caches, zones, new PipelineOptions { ParserWorkers = 1 }, new FakeTimeProvider(), AcceptWindow.None);
        var chunk = new RecordChunk();
        ReceivedMessage message = ReceivedMessage.Copy(Encoding.UTF8.GetBytes(expected.Message), InetValue.FromIPAddress(IPAddress.Loopback), Transport.Udp, ReceivedAt);
        try
        {
            builder.Append(message, chunk);

            if (expected.IsRow)
            {
                Assert.Empty(chunk.DeadLetters);
                Assert.Equal(1, chunk.Count);
                Assert.Equal(1, builder.Counts.Parsed);
                AssertRow(expected, chunk.Records[0]);
            }
            else if (expected.Expect.StartsWith("skip:", StringComparison.Ordinal))
            {
                Assert.Equal(0, chunk.Count);
                Assert.Empty(chunk.DeadLetters);
                XrayLineKind kind = Enum.GetValues<XrayLineKind>().Single(k => k.Name() == expected.Expect["skip:".Length..]);
                Assert.Equal(1, builder.Counts.SkippedSinceReport(kind));
            }
            else
            {
                Assert.StartsWith("dead:", expected.Expect, StringComparison.Ordinal);
                Assert.Equal(0, chunk.Count);
                DeadLetter dead = Assert.Single(chunk.DeadLetters);
                Assert.Equal(expected.Expect["dead:".Length..], dead.Reason);
                Assert.Equal(expected.Message, dead.Raw);
                Assert.Equal(ReceivedAt, dead.ReceivedAt);
            }
        }
        finally
        {
            message.Release();
            chunk.Release();
        }
    }

    private static void AssertRow(RealLine expected, AccessRecord row)
    {
        Assert.Equal(expected.ExpectedUtc, row.TimestampUtc);
        Assert.Equal(DateTimeKind.Utc, row.TimestampUtc.Kind);
        Assert.Equal(expected.SourceIp, row.SourceIp.ToString());
        Assert.Equal(int.Parse(expected.SourcePort, System.Globalization.CultureInfo.InvariantCulture), row.SourcePort);
        Assert.Equal(expected.Action, row.Action == AccessAction.Accepted ? "accepted" : "rejected");
        Assert.Equal(expected.Protocol, Text(row.Protocol, KnownProtocols));
        Assert.Equal(expected.Destination, Text(row.Destination, KnownEndpoints));
        Assert.Equal(expected.DestinationPort.Length == 0 ? -1 : int.Parse(expected.DestinationPort, System.Globalization.CultureInfo.InvariantCulture), row.DestinationPort);
        Assert.Equal(expected.InboundTag, Text(row.InboundTag, KnownTags));
        Assert.Equal(expected.OutboundTag, Text(row.OutboundTag, KnownTags));
        Assert.Equal(expected.Email, Text(row.User, KnownUsers));
    }

    /// <summary>The value a dimension column will hold; "" for NULL (the corpus's empty cell).</summary>
    private static string Text(DimensionValue value, Dictionary<string, int> known)
    {
        if (value.IsNull)
        {
            return string.Empty;
        }

        if (value.Text is not null)
        {
            Assert.False(known.ContainsKey(value.Text), $"'{value.Text}' is cached and should have come as its id");
            return value.Text;
        }

        return known.Single(k => k.Value == value.Id).Key;
    }

    private static void Seed(DimensionCache cache, Dictionary<string, int> values)
    {
        foreach ((string value, int id) in values)
        {
            cache.Set(value, id);
        }
    }
}
