using Npgsql;
using NpgsqlTypes;
using XraySyslogSink.Core;

namespace XraySyslogSink.Storage;

/// <summary>
/// Keeps <c>nodes.first_seen</c>, <c>nodes.last_seen</c> and <c>nodes.last_address</c> from live messages: per batch, the latest sighting of each node (from the
/// chunks' <see cref="NodeSighting"/>s) is written in the batch's transaction when the row was not written by this
/// writer yet or its last write is a minute older, so a busy node costs one small UPDATE a minute, not one a batch.
/// Never moves <c>last_seen</c> back (another collector may have written a later one). Memory is bounded: the
/// record of what was written is forgotten past <see cref="MaxTracked"/> nodes (they are then written once more).
/// </summary>
internal sealed class NodeActivity
{
    public const int MaxTracked = 100_000;

    // first_seen starts as the row's insert time and moves back to the first message's arrival; last_seen and
    // last_address only move forward.
    private const string UpdateSql = """
        UPDATE nodes AS n
        SET first_seen = LEAST(n.first_seen, a.seen),
            last_seen = GREATEST(n.last_seen, a.seen),
            last_address = CASE WHEN n.last_seen IS NULL OR a.seen >= n.last_seen THEN a.address::inet ELSE n.last_address END
        FROM unnest($1::integer[], $2::timestamptz[], $3::text[]) AS a(id, seen, address)
        WHERE n.id = a.id AND (n.last_seen IS NULL OR n.last_seen < a.seen OR n.first_seen > a.seen)
        """;

    private static readonly TimeSpan Interval = TimeSpan.FromMinutes(1);

    private readonly Dictionary<int, DateTimeOffset> _written = [];

    /// <summary>The nodes of <paramref name="chunks"/> whose row is due for a write, by id (ascending: lock order).</summary>
    public SortedDictionary<int, NodeSighting> Due(IReadOnlyList<RecordChunk> chunks)
    {
        ArgumentNullException.ThrowIfNull(chunks);
        SortedDictionary<int, NodeSighting> due = [];
        foreach (RecordChunk chunk in chunks)
        {
            foreach (NodeSighting sighting in chunk.Nodes)
            {
                // Imported history has no peer: it says nothing about whether the node is alive now.
                if (!sighting.Value.IsResolved || !sighting.LastPeer.HasValue)
                {
                    continue;
                }

                int id = sighting.Value.Id;
                if (_written.TryGetValue(id, out DateTimeOffset last) && sighting.LastReceived - last < Interval)
                {
                    continue;
                }

                if (!due.TryGetValue(id, out NodeSighting? other) || sighting.LastReceived > other.LastReceived)
                {
                    due[id] = sighting;
                }
            }
        }

        return due;
    }

    public static async Task WriteAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, SortedDictionary<int, NodeSighting> due, CancellationToken cancellationToken)
    {
        if (due.Count == 0)
        {
            return;
        }

        await using var command = new NpgsqlCommand(UpdateSql, connection, transaction);
        command.Parameters.Add(new NpgsqlParameter<int[]> { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Integer, TypedValue = [.. due.Keys] });
        command.Parameters.Add(new NpgsqlParameter<DateTime[]>
        {
            NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.TimestampTz,
            TypedValue = [.. due.Values.Select(s => s.LastReceived.UtcDateTime)],
        });
        command.Parameters.Add(new NpgsqlParameter<string[]>
        {
            NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text,
            TypedValue = [.. due.Values.Select(s => s.LastPeer.ToIPAddress().ToString())],
        });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Call after the batch committed: these rows are current.</summary>
    public void Written(SortedDictionary<int, NodeSighting> due)
    {
        ArgumentNullException.ThrowIfNull(due);
        if (_written.Count + due.Count > MaxTracked)
        {
            _written.Clear();
        }

        foreach ((int id, NodeSighting sighting) in due)
        {
            _written[id] = sighting.LastReceived;
        }
    }
}
