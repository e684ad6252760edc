using Npgsql;

namespace XraySyslogSink.IntegrationTests.Infrastructure;

/// <summary>Small query helpers for asserting on what the daemon committed.</summary>
public static class Database
{
    /// <summary>Polls <paramref name="countSql"/> until it reaches <paramref name="expected"/> or the timeout passes; returns the last count.</summary>
    public static async Task<long> WaitForCountAsync(string connectionString, string countSql, long expected, TimeSpan? timeout = null)
    {
        DateTime deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        long count = -1;
        while (DateTime.UtcNow < deadline)
        {
            count = await ScalarAsync<long>(connectionString, countSql);
            if (count >= expected)
            {
                return count;
            }

            await Task.Delay(100);
        }

        return count;
    }

    /// <summary>
    /// Polls <paramref name="countSql"/> until it reaches <paramref name="expected"/> or stops moving for
    /// <paramref name="quiet"/> (for counts that may legitimately stay short: lost lines), bounded by <paramref name="timeout"/>.
    /// </summary>
    public static async Task<long> WaitForSettledCountAsync(string connectionString, string countSql, long expected, TimeSpan quiet, TimeSpan timeout)
    {
        DateTime deadline = DateTime.UtcNow + timeout;
        long last = -1;
        DateTime changed = DateTime.UtcNow;
        while (true)
        {
            long now = await ScalarAsync<long>(connectionString, countSql);
            if (now >= expected || DateTime.UtcNow >= deadline)
            {
                return now;
            }

            if (now != last)
            {
                last = now;
                changed = DateTime.UtcNow;
            }
            else if (DateTime.UtcNow - changed > quiet)
            {
                return now;
            }

            await Task.Delay(250);
        }
    }

    public static async Task<T> ScalarAsync<T>(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        object? value = await command.ExecuteScalarAsync();
        return (T)value!;
    }

    /// <summary>Runs a query and returns every row as an array of values (DBNull as null).</summary>
    public static async Task<List<object?[]>> RowsAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync();
        var rows = new List<object?[]>();
        while (await reader.ReadAsync())
        {
            object?[] row = new object?[reader.FieldCount];
            for (int i = 0; i < row.Length; i++)
            {
                row[i] = reader.IsDBNull(i) ? null : reader.GetValue(i);
            }

            rows.Add(row);
        }

        return rows;
    }

    /// <summary>The <c>logs</c> rows with every dimension joined back to its text, ordered by source port.</summary>
    public const string LogsWithDimensions = """
        SELECT l."timestamp", host(l.source_ip) || '/' || masklen(l.source_ip), l.source_port, l.action, p.name, e.address,
               l.destination_port, ti.name, tou.name, u.email, l.tableoid::regclass::text
        FROM logs l
        LEFT JOIN protocols p ON p.id = l.protocol_id
        LEFT JOIN endpoints e ON e.id = l.destination_id
        LEFT JOIN tags ti ON ti.id = l.inbound_tag_id
        LEFT JOIN tags tou ON tou.id = l.outbound_tag_id
        LEFT JOIN users u ON u.id = l.user_id
        ORDER BY l.source_port, l."timestamp"
        """;
}
