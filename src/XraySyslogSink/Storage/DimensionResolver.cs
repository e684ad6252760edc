using Microsoft.Extensions.Logging;
using Npgsql;
using NpgsqlTypes;
using XraySyslogSink.Core;

namespace XraySyslogSink.Storage;

/// <summary>
/// Turns the unresolved dimension texts of a batch into ids: inserts the missing ones, reads back all ids,
/// fills the caches and rewrites the records in place. Values the database refuses are reported, not thrown.
/// </summary>
/// <remarks>
/// Each dimension is one autocommitted round trip (INSERT … ON CONFLICT DO NOTHING plus SELECT in one
/// <see cref="NpgsqlBatch"/>), committed before the rows' transaction, so the cache never holds the id of a
/// rolled-back row and a retried batch finds its values already resolved.
/// </remarks>
internal sealed partial class DimensionResolver
{
    private readonly DimensionCaches _caches;
    private readonly ILogger _logger;

    public DimensionResolver(DimensionCaches caches, ILogger logger)
    {
        _caches = caches;
        _logger = logger;
    }

    /// <summary>
    /// The values of <paramref name="chunks"/> neither resolved nor in the caches, by table; values the caches know
    /// are rewritten to their ids on the way (the parser may have met them before another batch resolved them).
    /// </summary>
    /// <param name="nodes">Whether node names count too (the database has <c>nodes</c> and <c>logs.node_id</c>).</param>
    public PendingValues Collect(IReadOnlyList<RecordChunk> chunks, bool nodes)
    {
        PendingValues pending = new();
        foreach (RecordChunk chunk in chunks)
        {
            foreach (ref AccessRecord record in chunk.Records)
            {
                CollectValue(ref record.User, _caches.Users, pending.Users);
                CollectValue(ref record.Protocol, _caches.Protocols, pending.Protocols);
                CollectValue(ref record.Destination, _caches.Endpoints, pending.Endpoints);
                CollectValue(ref record.InboundTag, _caches.Tags, pending.Tags);
                CollectValue(ref record.OutboundTag, _caches.Tags, pending.Tags);
            }

            if (nodes)
            {
                // Sightings of nodes whose lines made no row still name the node (nodes.last_seen).
                foreach (NodeSighting sighting in chunk.Nodes)
                {
                    CollectValue(ref sighting.Value, _caches.Nodes, pending.Nodes);
                }
            }
        }

        return pending;
    }

    /// <param name="limit">Caps new rows per table and minute; null (history import, tests) means no cap.</param>
    /// <param name="nodes">Whether to resolve node names too (the database has <c>nodes</c> and <c>logs.node_id</c>).</param>
    public Task<DimensionRejections> ResolveAsync(NpgsqlConnection connection, IReadOnlyList<RecordChunk> chunks, NewValueLimit? limit, bool nodes, CancellationToken cancellationToken) =>
        ResolveAsync(connection, chunks, Collect(chunks, nodes), limit, nodes, findRefused: true, cancellationToken);

    /// <summary>
    /// Inserts and reads back <paramref name="pending"/> (what <see cref="Collect"/> found in <paramref name="chunks"/>)
    /// and rewrites the chunks' records to the ids.
    /// </summary>
    /// <param name="findRefused">
    /// Whether to find the values the database refuses (by halving the statement until each culprit is alone) and
    /// report them; when false, a table whose statement is refused is left unresolved for a later resolve that does.
    /// </param>
    public async Task<DimensionRejections> ResolveAsync(
        NpgsqlConnection connection, IReadOnlyList<RecordChunk> chunks, PendingValues pending, NewValueLimit? limit, bool nodes, bool findRefused, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(pending);
        DimensionRejections rejections = new() { NodesStored = nodes };
        if (pending.IsEmpty)
        {
            if (nodes)
            {
                ApplyNodes(chunks, []);
            }

            return rejections;
        }

        ParkedValues parked = new();
        Dictionary<string, int> userIds = await ResolveTableAsync(connection, DimensionTable.Users, _caches.Users, pending.Users, rejections.Users, limit, parked.Users, findRefused, cancellationToken);
        Dictionary<string, int> protocolIds = await ResolveTableAsync(connection, DimensionTable.Protocols, _caches.Protocols, pending.Protocols, rejections.Protocols, limit, parked.Protocols, findRefused, cancellationToken);
        Dictionary<string, int> endpointIds = await ResolveTableAsync(connection, DimensionTable.Endpoints, _caches.Endpoints, pending.Endpoints, rejections.Endpoints, limit, parked.Endpoints, findRefused, cancellationToken);
        Dictionary<string, int> tagIds = await ResolveTableAsync(connection, DimensionTable.Tags, _caches.Tags, pending.Tags, rejections.Tags, limit, parked.Tags, findRefused, cancellationToken);
        Dictionary<string, int> nodeIds = await ResolveTableAsync(connection, DimensionTable.Nodes, _caches.Nodes, pending.Nodes, rejections.Nodes, limit, parked.Nodes, findRefused, cancellationToken);

        foreach (RecordChunk chunk in chunks)
        {
            foreach (ref AccessRecord record in chunk.Records)
            {
                if (limit is not null && !parked.IsEmpty)
                {
                    Park(ref record, parked, limit, chunk);
                }

                Apply(ref record.User, userIds);
                Apply(ref record.Protocol, protocolIds);
                Apply(ref record.Destination, endpointIds);
                Apply(ref record.InboundTag, tagIds);
                Apply(ref record.OutboundTag, tagIds);
            }
        }

        if (nodes)
        {
            ApplyNodes(chunks, nodeIds);
        }

        return rejections;
    }

    /// <summary>
    /// Gives each record its node's resolved id (records share their chunk's sighting; a record made before the
    /// sighting's id was known still holds the text), and resolves the sightings themselves.
    /// </summary>
    private void ApplyNodes(IReadOnlyList<RecordChunk> chunks, Dictionary<string, int> nodeIds)
    {
        foreach (RecordChunk chunk in chunks)
        {
            foreach (NodeSighting sighting in chunk.Nodes)
            {
                Apply(ref sighting.Value, nodeIds);
            }

            foreach (ref AccessRecord record in chunk.Records)
            {
                if (!record.Node.IsResolved && record.Node.Text is { } text)
                {
                    if (nodeIds.TryGetValue(text, out int id) || _caches.Nodes.TryGetId(text, out id))
                    {
                        record.Node = new DimensionValue(id);
                    }
                }
            }
        }
    }

    /// <summary>
    /// A row holding a value over the cap: the row as it arrived goes to the chunk's dead letters (committed with
    /// the rows, and already there if the batch is retried), then the parked values become NULL.
    /// </summary>
    private static void Park(ref AccessRecord record, ParkedValues parked, NewValueLimit limit, RecordChunk chunk)
    {
        DimensionTable? first = parked.FirstIn(in record);
        if (first is null)
        {
            return;
        }

        limit.CountParked(first);
        string reason = NewValueLimit.ReasonFor(first.Table);
        string raw = RowRenderer.Render(record);
        if (limit.DeadLetters.TryTake(default, DeadLetterBudget.Cost(raw.Length, reason)) == DeadLetterLimit.None)
        {
            chunk.AddDeadLetter(new DeadLetter(DateTimeOffset.UtcNow, default, reason, raw));
        }
        else
        {
            limit.CountSuppressed();
        }

        ParkedValues.Clear(ref record.User, parked.Users);
        ParkedValues.Clear(ref record.Protocol, parked.Protocols);
        ParkedValues.Clear(ref record.Destination, parked.Endpoints);
        ParkedValues.Clear(ref record.InboundTag, parked.Tags);
        ParkedValues.Clear(ref record.OutboundTag, parked.Tags);
        ParkedValues.Clear(ref record.Node, parked.Nodes);
    }

    private static void CollectValue(ref DimensionValue value, DimensionCache cache, HashSet<string> pending)
    {
        if (value.IsResolved || value.Text is not { } text)
        {
            return;
        }

        // The parser may have met the value before another chunk's flush resolved it.
        if (cache.TryGetId(text, out int id))
        {
            value = new DimensionValue(id);
        }
        else
        {
            pending.Add(text);
        }
    }

    private static void Apply(ref DimensionValue value, Dictionary<string, int> ids)
    {
        if (!value.IsResolved && value.Text is { } text && ids.TryGetValue(text, out int id))
        {
            value = new DimensionValue(id);
        }
    }

    private async Task<Dictionary<string, int>> ResolveTableAsync(
        NpgsqlConnection connection,
        DimensionTable table,
        DimensionCache cache,
        HashSet<string> pending,
        Dictionary<string, string> rejected,
        NewValueLimit? limit,
        HashSet<string> parked,
        bool findRefused,
        CancellationToken cancellationToken)
    {
        Dictionary<string, int> ids = new(pending.Count, StringComparer.Ordinal);
        if (pending.Count == 0)
        {
            return ids;
        }

        List<string> values = new(pending.Count);
        foreach (string value in pending)
        {
            // Npgsql's strict UTF-8 encoder would throw on a lone surrogate before the server sees it.
            if (TextSanitizer.HasLoneSurrogate(value))
            {
                rejected[value] = DeadLetterReasons.DatabaseRejected("22021", "text is not valid UTF-16 (lone surrogate)");
            }
            else
            {
                values.Add(value);
            }
        }

        // Sorted (ordinal) so that bisection and logs are deterministic.
        string[] sorted = [.. values];
        Array.Sort(sorted, StringComparer.Ordinal);
        int remaining = limit?.Remaining(table) ?? int.MaxValue;
        if (sorted.Length <= remaining)
        {
            // Within the cap even if every value is new: the usual single round trip.
            int inserted = await ResolveRangeAsync(connection, table, sorted, ids, rejected, findRefused, cancellationToken);
            limit?.Consume(table, inserted);
        }
        else
        {
            // Possibly over the cap: values the table already holds are free; only the new ones count.
            await SelectAsync(connection, table, sorted, ids, cancellationToken);
            List<string> fresh = new(sorted.Length - ids.Count);
            foreach (string value in sorted)
            {
                if (!ids.ContainsKey(value))
                {
                    fresh.Add(value);
                }
            }

            int allowed = Math.Min(remaining, fresh.Count);
            int inserted = await ResolveRangeAsync(connection, table, fresh[..allowed].ToArray(), ids, rejected, findRefused, cancellationToken);
            limit!.Consume(table, inserted);
            for (int i = allowed; i < fresh.Count; i++)
            {
                parked.Add(fresh[i]);
            }

            if (fresh.Count > allowed && limit.ShouldWarn(table))
            {
                LogValuesParked(_logger, fresh.Count - allowed, table.Table, limit.CapOf(table));
            }
        }

        foreach ((string value, int id) in ids)
        {
            cache.Set(value, id);
        }

        return ids;
    }

    /// <summary>Inserts the missing values and reads back every id; returns how many rows were inserted.</summary>
    private async Task<int> ResolveRangeAsync(
        NpgsqlConnection connection,
        DimensionTable table,
        ArraySegment<string> values,
        Dictionary<string, int> ids,
        Dictionary<string, string> rejected,
        bool findRefused,
        CancellationToken cancellationToken)
    {
        if (values.Count == 0)
        {
            return 0;
        }

        try
        {
            return await InsertAndSelectAsync(connection, table, values, ids, cancellationToken);
        }
        catch (PostgresException e) when (!findRefused && PostgresErrors.IsRowError(e))
        {
            // The statement ran alone (autocommitted) and took nothing: the prepare's resolve finds the culprits.
            return 0;
        }
        catch (PostgresException e) when (PostgresErrors.IsRowError(e))
        {
            // A value too long, a NUL byte…: find the culprits by halving; the rest still resolves.
            if (values.Count == 1)
            {
                string reason = DeadLetterReasons.DatabaseRejected(e.SqlState, e.MessageText);
                rejected[values[0]] = reason;
                LogValueRejected(_logger, table.Table, e.SqlState, e.MessageText);
                return 0;
            }

            int half = values.Count / 2;
            return await ResolveRangeAsync(connection, table, values[..half], ids, rejected, findRefused, cancellationToken)
                + await ResolveRangeAsync(connection, table, values[half..], ids, rejected, findRefused, cancellationToken);
        }
    }

    /// <summary>
    /// Runs <paramref name="table"/>'s insert and read-back with no values (they change nothing), so that their
    /// parameter and result types are resolved and their code compiled before the first batch needs them.
    /// </summary>
    public static async Task WarmUpAsync(NpgsqlConnection connection, DimensionTable table, CancellationToken cancellationToken)
    {
        Dictionary<string, int> ids = [];
        await InsertAndSelectAsync(connection, table, new ArraySegment<string>([]), ids, cancellationToken);
        await SelectAsync(connection, table, [], ids, cancellationToken);
    }

    /// <summary>Reads the ids of those <paramref name="values"/> the table already holds.</summary>
    private static async Task SelectAsync(NpgsqlConnection connection, DimensionTable table, string[] values, Dictionary<string, int> ids, CancellationToken cancellationToken)
    {
        await using NpgsqlCommand select = new(table.SelectSql, connection);
        select.Parameters.Add(new NpgsqlParameter<string[]> { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text, TypedValue = values });
        await using NpgsqlDataReader reader = await select.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            ids[reader.GetString(1)] = reader.GetInt32(0);
        }
    }

    /// <summary>
    /// Inserts <paramref name="values"/> the table lacks, taking the new ids from RETURNING, then reads the ids of
    /// those it held already. When every value is new (the usual case: the cache knows the others) the read is
    /// skipped, which saves PostgreSQL an index probe per new value.
    /// </summary>
    private static async Task<int> InsertAndSelectAsync(
        NpgsqlConnection connection,
        DimensionTable table,
        ArraySegment<string> values,
        Dictionary<string, int> ids,
        CancellationToken cancellationToken)
    {
        string[] array = values.Offset == 0 && values.Count == values.Array!.Length ? values.Array : [.. values];
        int inserted = 0;
        await using (NpgsqlCommand insert = new(table.InsertSql, connection))
        {
            insert.Parameters.Add(new NpgsqlParameter<string[]> { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text, TypedValue = array });
            await using NpgsqlDataReader reader = await insert.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                ids[reader.GetString(1)] = reader.GetInt32(0);
                inserted++;
            }
        }

        if (inserted < array.Length)
        {
            // Held already, or inserted meanwhile by another writer (a statement of its own sees that commit).
            await SelectAsync(connection, table, [.. array.Where(value => !ids.ContainsKey(value))], ids, cancellationToken);
        }

        return inserted;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Count} new {Table} values over their cap ({PerMinute} a minute: Cache:MaxNewValuesPerMinute, Nodes:MaxNewPerMinute for nodes) this minute: their rows are stored with the value NULL and go whole to dead_letters (logged once per minute; see xraysink.dimension_values.parked)")]
    private static partial void LogValuesParked(ILogger logger, int count, string table, int perMinute);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Database refused a {Table} value: {SqlState} {Error}; its rows go to dead_letters")]
    private static partial void LogValueRejected(ILogger logger, string table, string sqlState, string error);
}
