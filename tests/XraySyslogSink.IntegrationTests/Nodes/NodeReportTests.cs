using System.Net;
using XraySyslogSink.Core;
using XraySyslogSink.IntegrationTests.Infrastructure;
using XraySyslogSink.Storage;

namespace XraySyslogSink.IntegrationTests.Nodes;

/// <summary>
/// The fleet reports over a known set of rows from three nodes, written through the real store (which keeps
/// <c>nodes.first_seen</c>, <c>last_seen</c> and <c>last_address</c>), compared as whole text.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class NodeReportTests(PostgresServer server)
{
    private static readonly DateTimeOffset Now = new(2026, 6, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly SemaphoreSlim Loading = new(1, 1);
    private static string? _database;

    /// <summary>(time, user, source, node): a user shared from four addresses on two nodes within the hour.</summary>
    private static readonly (string Time, string User, string Source, string Node)[] Connections =
    [
        ("08:00", "shared@example.com", "203.0.113.1", "node-a"),
        ("08:05", "shared@example.com", "203.0.113.2", "node-a"),
        ("08:20", "shared@example.com", "198.51.100.7", "node-b"),
        ("08:40", "shared@example.com", "198.51.100.8", "node-b"),
        ("09:00", "pair@example.com", "203.0.113.9", "node-a"),
        ("09:10", "pair@example.com", "203.0.113.10", "node-b"),
        ("10:00", "solo@example.com", "203.0.113.20", "node-c"),
        ("11:00", "shared@example.com", "203.0.113.1", "node-a"),
    ];

    private static readonly Dictionary<string, string> NodePeers = new()
    {
        ["node-a"] = "192.0.2.1",
        ["node-b"] = "192.0.2.2",
        ["node-c"] = "192.0.2.3",
    };

    public static TheoryData<string, string> Tables => new()
    {
        {
            "nodes --from 2025-11-17 --to 2025-11-17T11:10:00Z", """
            node    rows  first_seen           last_seen            silent_since         last_address
            ------  ----  -------------------  -------------------  -------------------  ------------
            node-a     4  2025-11-17 08:00:05  2025-11-17 11:00:05                       192.0.2.1
            node-b     3  2025-11-17 08:20:05  2025-11-17 09:10:05  2025-11-17 09:10:05  192.0.2.2
            node-c     1  2025-11-17 10:00:05  2025-11-17 10:00:05  2025-11-17 10:00:05  192.0.2.3
            (3 rows)

            """
        },
        {
            "nodes --from 2025-11-17T09:00:00Z --to 2025-11-17T11:10:00Z --silent 2h --node node-b", """
            node    rows  first_seen           last_seen            silent_since  last_address
            ------  ----  -------------------  -------------------  ------------  ------------
            node-b     1  2025-11-17 08:20:05  2025-11-17 09:10:05                192.0.2.2
            (1 row)

            """
        },
        {
            "shared-accounts --from 2025-11-17 --to 2025-11-17", """
            email               sources  window_start         window_end           connections  source_list                                           nodes
            ------------------  -------  -------------------  -------------------  -----------  ----------------------------------------------------  --------------
            shared@example.com        4  2025-11-17 08:00:00  2025-11-17 08:41:00            4  198.51.100.7, 198.51.100.8, 203.0.113.1, 203.0.113.2  node-a, node-b
            (1 row)

            """
        },
        {
            "shared-accounts --from 2025-11-17 --to 2025-11-17 --by-network --max-sources 1 --window 30m", """
            email               sources  window_start         window_end           connections  source_list                      nodes
            ------------------  -------  -------------------  -------------------  -----------  -------------------------------  --------------
            shared@example.com        2  2025-11-17 08:00:00  2025-11-17 08:21:00            3  198.51.100.0/24, 203.0.113.0/24  node-a, node-b
            (1 row)

            """
        },
        {
            "node-traffic --from 2025-11-17 --to 2025-11-17", """
            node    period_start         connections  rejected  users  source_ips
            ------  -------------------  -----------  --------  -----  ----------
            node-a  2025-11-17 08:00:00            2         0      1           2
            node-a  2025-11-17 09:00:00            1         0      1           1
            node-a  2025-11-17 11:00:00            1         0      1           1
            node-b  2025-11-17 08:00:00            2         0      1           2
            node-b  2025-11-17 09:00:00            1         0      1           1
            node-c  2025-11-17 10:00:00            1         0      1           1
            (6 rows)

            """
        },
        {
            "ips-per-user --from 2025-11-17 --to 2025-11-17 --node node-b", """
            email               source_ips  connections  first_seen           last_seen            ips
            ------------------  ----------  -----------  -------------------  -------------------  --------------------------
            shared@example.com           2            2  2025-11-17 08:20:00  2025-11-17 08:40:00  198.51.100.7, 198.51.100.8
            pair@example.com             1            1  2025-11-17 09:10:00  2025-11-17 09:10:00  203.0.113.10
            (2 rows)

            """
        },
    };

    [Theory]
    [MemberData(nameof(Tables))]
    [MemberData(nameof(CsvAndJson))]
    public async Task A_fleet_report_prints_exactly_this(string args, string expected)
    {
        CliRun run = await CliRunner.RunAsync(await LoadedAsync(), Now, ["report", .. args.Split(' ')]);

        Assert.Equal("", run.Error);
        Assert.Equal(0, run.ExitCode);
        Assert.Equal(expected.ReplaceLineEndings("\n"), run.Out);
    }

    public static TheoryData<string, string> CsvAndJson => new()
    {
        {
            "nodes --from 2025-11-17 --to 2025-11-17T11:10:00Z --node node-c --format csv", """
            node,rows,first_seen,last_seen,silent_since,last_address
            node-c,1,2025-11-17T10:00:05Z,2025-11-17T10:00:05Z,2025-11-17T10:00:05Z,192.0.2.3

            """
        },
        {
            "nodes --from 2025-11-17 --to 2025-11-17T11:10:00Z --format json", """
            [
              {
                "node": "node-a",
                "rows": 4,
                "first_seen": "2025-11-17T08:00:05Z",
                "last_seen": "2025-11-17T11:00:05Z",
                "silent_since": null,
                "last_address": "192.0.2.1"
              },
              {
                "node": "node-b",
                "rows": 3,
                "first_seen": "2025-11-17T08:20:05Z",
                "last_seen": "2025-11-17T09:10:05Z",
                "silent_since": "2025-11-17T09:10:05Z",
                "last_address": "192.0.2.2"
              },
              {
                "node": "node-c",
                "rows": 1,
                "first_seen": "2025-11-17T10:00:05Z",
                "last_seen": "2025-11-17T10:00:05Z",
                "silent_since": "2025-11-17T10:00:05Z",
                "last_address": "192.0.2.3"
              }
            ]

            """
        },
        {
            "shared-accounts --from 2025-11-17 --to 2025-11-17 --format csv", """
            email,sources,window_start,window_end,connections,source_list,nodes
            shared@example.com,4,2025-11-17T08:00:00Z,2025-11-17T08:41:00Z,4,"198.51.100.7, 198.51.100.8, 203.0.113.1, 203.0.113.2","node-a, node-b"

            """
        },
        {
            "shared-accounts --from 2025-11-17 --to 2025-11-17 --max-sources 1 --format json", """
            [
              {
                "email": "shared@example.com",
                "sources": 4,
                "window_start": "2025-11-17T08:00:00Z",
                "window_end": "2025-11-17T08:41:00Z",
                "connections": 4,
                "source_list": "198.51.100.7, 198.51.100.8, 203.0.113.1, 203.0.113.2",
                "nodes": "node-a, node-b"
              },
              {
                "email": "pair@example.com",
                "sources": 2,
                "window_start": "2025-11-17T09:00:00Z",
                "window_end": "2025-11-17T09:11:00Z",
                "connections": 2,
                "source_list": "203.0.113.10, 203.0.113.9",
                "nodes": "node-a, node-b"
              }
            ]

            """
        },
    };

    private async Task<string> LoadedAsync()
    {
        await Loading.WaitAsync();
        try
        {
            if (_database is null)
            {
                await using StorageHarness harness = await StorageHarness.CreateAsync(server);
                PostgresLogStore store = harness.CreateStore();
                foreach ((string time, string user, string source, string node) in Connections)
                {
                    // One batch per connection, so nodes' first and last seen are exact (they are written at most once a minute).
                    DateTime at = DateTime.Parse($"2025-11-17T{time}:00Z", System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AdjustToUniversal);
                    AccessRecord record = StorageHarness.Record(at, user, source: InetValue.FromIPAddress(IPAddress.Parse(source)));
                    record.Node = new DimensionValue(node);
                    RecordChunk chunk = StorageHarness.Chunk(record);
                    var sighting = new NodeSighting(node, new DimensionValue(node), 0, TimeZoneInfo.Utc);
                    sighting.Saw(InetValue.FromIPAddress(IPAddress.Parse(NodePeers[node])), new DateTimeOffset(at.AddSeconds(5)));
                    chunk.AddNode(sighting);
                    await store.WriteBatchAsync([chunk], CancellationToken.None);
                    chunk.Release();
                }

                _database = harness.ConnectionString;
            }

            return _database;
        }
        finally
        {
            Loading.Release();
        }
    }
}
