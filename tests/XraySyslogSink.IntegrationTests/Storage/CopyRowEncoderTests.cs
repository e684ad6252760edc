using Npgsql;
using NpgsqlTypes;
using XraySyslogSink.Core;
using XraySyslogSink.IntegrationTests.Infrastructure;
using XraySyslogSink.Storage;

namespace XraySyslogSink.IntegrationTests.Storage;

/// <summary>
/// The hand-encoded binary COPY stores exactly what Npgsql's own binary importer stores for the same records: the
/// library is the oracle, over the edge values of every column (both address families and network prefixes,
/// timestamps before PostgreSQL's epoch with sub-microsecond ticks, infinities, every NULL).
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class CopyRowEncoderTests(PostgresServer server)
{
    private const string Columns = "(\"timestamp\" timestamptz, source_ip inet, source_port integer, action varchar(16), protocol_id integer, destination_id integer, destination_port integer, inbound_tag_id integer, outbound_tag_id integer, user_id integer, node_id integer)";

    [Fact]
    public async Task Rows_read_back_as_the_ones_npgsqls_importer_writes()
    {
        await using StorageHarness db = await StorageHarness.CreateAsync(server);
        await db.ExecuteAsync($"CREATE TABLE encoded {Columns}; CREATE TABLE oracle {Columns}");
        AccessRecord[] records = EdgeRecords();

        // Small buffer: the rows cross several pieces, as a large batch does.
        var encoder = new CopyRowEncoder(CopyRowEncoder.MaxRowBytes * 3);
        await using (NpgsqlConnection connection = await db.DataSource.OpenConnectionAsync())
        {
            await using (NpgsqlRawCopyStream copy = await connection.BeginRawBinaryCopyAsync(CopyRowEncoder.CopyRowsSql("encoded", nodes: true)))
            {
                encoder.WriteHeader();
                foreach (AccessRecord record in records)
                {
                    if (!encoder.HasRoomForRow)
                    {
                        await copy.WriteAsync(encoder.Written);
                        encoder.Clear();
                    }

                    encoder.WriteRow(record, nodes: true);
                }

                encoder.WriteTrailer();
                await copy.WriteAsync(encoder.Written);
            }

            await WriteWithImporterAsync(connection, records);
        }

        const string Read = """
            SELECT "timestamp"::text, source_ip::text, source_port, action, protocol_id, destination_id, destination_port,
                   inbound_tag_id, outbound_tag_id, user_id, node_id FROM {0} ORDER BY source_port
            """;
        List<string?[]> oracle = await db.RowsAsync(string.Format(System.Globalization.CultureInfo.InvariantCulture, Read, "oracle"));
        List<string?[]> encoded = await db.RowsAsync(string.Format(System.Globalization.CultureInfo.InvariantCulture, Read, "encoded"));
        Assert.Equal(records.Length, oracle.Count);
        Assert.Equal(oracle, encoded);
    }

    private static AccessRecord[] EdgeRecords()
    {
        DateTime noon = new(2025, 11, 17, 12, 0, 0, DateTimeKind.Utc);
        DateTime[] times =
        [
            noon,
            noon.AddTicks(1234567),
            new DateTime(1999, 12, 31, 23, 59, 59, DateTimeKind.Utc).AddTicks(9999999),
            new DateTime(1970, 1, 1, 0, 0, 0, DateTimeKind.Utc).AddTicks(-3),
            new DateTime(2000, 1, 1, 0, 0, 0, DateTimeKind.Utc),
            DateTime.MinValue,
            DateTime.MaxValue,
            new DateTime(9999, 12, 31, 23, 59, 59, DateTimeKind.Utc),
            new DateTime(2025, 6, 30, 23, 59, 50, DateTimeKind.Unspecified),
        ];
        InetValue[] sources =
        [
            InetValue.FromIPv4(0x7F000001),
            InetValue.FromIPv4(0x01020000, 16),
            InetValue.FromIPv4(0xFFFFFFFF),
            InetValue.FromIPAddress(System.Net.IPAddress.Parse("2001:db8::7")),
            InetValue.FromIPAddress(System.Net.IPAddress.Parse("2001:db8::")).WithPrefixLength(64),
            InetValue.FromIPAddress(System.Net.IPAddress.Parse("::ffff:1.2.3.4")),
            default,
        ];
        List<AccessRecord> records = [];
        int port = 0;
        foreach (DateTime time in times)
        {
            foreach (InetValue source in sources)
            {
                int n = port++;
                records.Add(new AccessRecord
                {
                    TimestampUtc = time,
                    SourceIp = source,
                    SourcePort = n,
                    Action = (n % 3) switch { 0 => AccessAction.Accepted, 1 => AccessAction.Rejected, _ => (AccessAction)7 },
                    Protocol = n % 2 == 0 ? new DimensionValue(n + 1) : default,
                    Destination = new DimensionValue(int.MaxValue - n),
                    DestinationPort = n % 4 == 0 ? -1 : 65535 - n,
                    InboundTag = n % 5 == 0 ? default : new DimensionValue(-n - 1),
                    OutboundTag = new DimensionValue(n + 100),
                    User = n % 7 == 0 ? new DimensionValue("not yet resolved") : new DimensionValue(n + 1000),
                    Node = n % 3 == 0 ? default : new DimensionValue(n + 5),
                });
            }
        }

        return [.. records];
    }

    /// <summary>The same rows through Npgsql's typed importer, as the writer copied them before it encoded rows itself.</summary>
    private static async Task WriteWithImporterAsync(NpgsqlConnection connection, AccessRecord[] records)
    {
        await using NpgsqlBinaryImporter importer = await connection.BeginBinaryImportAsync(CopyRowEncoder.CopyRowsSql("oracle", nodes: true));
        foreach (AccessRecord record in records)
        {
            await importer.StartRowAsync();
            await importer.WriteAsync(PostgresLogStore.AsUtc(record.TimestampUtc), NpgsqlDbType.TimestampTz);
            if (record.SourceIp.HasValue)
            {
                await importer.WriteAsync(new NpgsqlInet(record.SourceIp.ToIPAddress(), record.SourceIp.PrefixLength), NpgsqlDbType.Inet);
            }
            else
            {
                await importer.WriteNullAsync();
            }

            await importer.WriteAsync(record.SourcePort, NpgsqlDbType.Integer);
            if (PostgresLogStore.ActionText(record.Action) is { } action)
            {
                await importer.WriteAsync(action, NpgsqlDbType.Varchar);
            }
            else
            {
                await importer.WriteNullAsync();
            }

            await WriteIdAsync(importer, record.Protocol);
            await WriteIdAsync(importer, record.Destination);
            if (record.DestinationPort < 0)
            {
                await importer.WriteNullAsync();
            }
            else
            {
                await importer.WriteAsync(record.DestinationPort, NpgsqlDbType.Integer);
            }

            await WriteIdAsync(importer, record.InboundTag);
            await WriteIdAsync(importer, record.OutboundTag);
            await WriteIdAsync(importer, record.User);
            await WriteIdAsync(importer, record.Node);
        }

        await importer.CompleteAsync();
    }

    private static Task WriteIdAsync(NpgsqlBinaryImporter importer, DimensionValue value) =>
        value.IsResolved ? importer.WriteAsync(value.Id, NpgsqlDbType.Integer) : importer.WriteNullAsync();
}
