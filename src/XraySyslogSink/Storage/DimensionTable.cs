using XraySyslogSink.Core;

namespace XraySyslogSink.Storage;

/// <summary>One dimension table (the seed's four and <c>nodes</c>): where its values live and the SQL that resolves them.</summary>
internal sealed class DimensionTable
{
    public static readonly DimensionTable Users = new(DimensionNames.Users, "email", SchemaLimits.EmailLength);
    public static readonly DimensionTable Protocols = new(DimensionNames.Protocols, "name", SchemaLimits.ProtocolNameLength);
    public static readonly DimensionTable Endpoints = new(DimensionNames.Endpoints, "address", SchemaLimits.EndpointAddressLength);
    public static readonly DimensionTable Tags = new(DimensionNames.Tags, "name", SchemaLimits.TagNameLength);

    /// <summary>The nodes rows come from (docs/nodes.md): not part of the seed, created by a versioned migration.</summary>
    public static readonly DimensionTable Nodes = new("nodes", "name", SchemaLimits.NodeNameLength);

    public static readonly IReadOnlyList<DimensionTable> All = [Users, Protocols, Endpoints, Tags, Nodes];

    private DimensionTable(string table, string column, int maxLength)
    {
        Table = table;
        Column = column;
        MaxLength = maxLength;

        // Table and column names are the constants above, never input; values are bound as $1.
        // ORDER BY makes concurrent writers insert (and lock unique-index entries) in the same order,
        // so they wait for each other instead of deadlocking.
        // RETURNING gives the new rows' ids; ON CONFLICT DO NOTHING returns nothing for rows that already existed,
        // hence SelectSql for those.
        InsertSql = $"INSERT INTO {table} ({column}) SELECT v FROM unnest($1::text[]) AS t(v) ORDER BY 1 ON CONFLICT ({column}) DO NOTHING RETURNING id, {column}";

        SelectSql = $"SELECT id, {column} FROM {table} WHERE {column} = ANY($1::text[])";
    }

    public string Table { get; }

    public string Column { get; }

    public int MaxLength { get; }

    public string InsertSql { get; }

    public string SelectSql { get; }
}
