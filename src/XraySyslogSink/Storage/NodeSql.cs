namespace XraySyslogSink.Storage;

/// <summary>
/// The nodes extension (docs/nodes.md, docs/schema.md): the <c>nodes</c> dimension, <c>logs.node_id</c>, the node
/// column of <c>logs_readable</c>, a <c>p_node</c> filter on every report and the three fleet reports. One versioned
/// migration step; <c>Schema:SeedOnly</c> skips it.
/// </summary>
internal static class NodeSql
{
    /// <summary>The report functions of the baseline with their argument types, dropped to gain <c>p_node</c>.</summary>
    private static readonly string[] BaselineReports =
    [
        "report_user_sessions(timestamptz, timestamptz, interval, text)",
        "report_user_activity(timestamptz, timestamptz, interval, text)",
        "report_top_endpoints(timestamptz, timestamptz, text)",
        "report_top_protocols(timestamptz, timestamptz, text)",
        "report_routes(timestamptz, timestamptz, text)",
        "report_ips_per_user(timestamptz, timestamptz, text)",
        "report_users_per_ip(timestamptz, timestamptz, text)",
    ];

    /// <summary>
    /// The whole step. <c>ADD COLUMN</c> of a nullable column without a default changes only the catalog (no rewrite
    /// of <c>logs</c>); its reference (with <paramref name="foreignKeys"/>, as <c>Schema:ForeignKeys</c>) is checked
    /// against the existing rows by one read of each partition, all of them NULL.
    /// </summary>
    public static string Step(bool foreignKeys) =>
        Tables(foreignKeys) + ReadableView + string.Concat(BaselineReports.Select(f => $"DROP FUNCTION IF EXISTS {f};\n")) + NodeAware(AnalyticsSql.Objects) + FleetReports;

    /// <summary>The table and the column; the name rule is the seed's (<c>VARCHAR(255) UNIQUE NOT NULL</c>).</summary>
    public static string Tables(bool foreignKeys) => $$"""
        CREATE TABLE IF NOT EXISTS nodes (
            id SERIAL PRIMARY KEY,
            name VARCHAR(255) UNIQUE NOT NULL,
            first_seen TIMESTAMPTZ NOT NULL DEFAULT now(),
            last_seen TIMESTAMPTZ,
            last_address INET
        );

        ALTER TABLE logs ADD COLUMN IF NOT EXISTS node_id INTEGER{{(foreignKeys ? " REFERENCES nodes(id)" : string.Empty)}};

        """;

    /// <summary>What the writer role needs on top of the seed's grants (<paramref name="quotedRole"/>, a quoted identifier); nothing under <c>Schema:SeedOnly</c>.</summary>
    public static string WriterGrants(string quotedRole) => WhenNodesExist($"""
        GRANT SELECT, INSERT ON nodes TO {quotedRole};
        GRANT UPDATE (first_seen, last_seen, last_address) ON nodes TO {quotedRole};
        GRANT USAGE ON SEQUENCE nodes_id_seq TO {quotedRole};
        """);

    /// <summary>What the reader role needs on top of the seed's grants; nothing under <c>Schema:SeedOnly</c>.</summary>
    public static string ReaderGrants(string quotedRole) => WhenNodesExist($"GRANT SELECT ON nodes TO {quotedRole};");

    private static string WhenNodesExist(string grants) => $$"""
        DO $nodes$
        BEGIN
            IF to_regclass('nodes') IS NOT NULL THEN
                EXECUTE {{QuoteLiteral(grants)}};
            END IF;
        END
        $nodes$;

        """;

    private static string QuoteLiteral(string text) => "'" + text.Replace("'", "''", StringComparison.Ordinal) + "'";

    private const string ReadableView = """
        CREATE OR REPLACE VIEW logs_readable AS
        SELECT l.id, l."timestamp", l.source_ip, l.source_port, l.action,
               p.name AS protocol, e.address AS destination, l.destination_port,
               ti.name AS inbound_tag, tou.name AS outbound_tag, u.email, n.name AS node
        FROM logs l
        LEFT JOIN protocols p ON p.id = l.protocol_id
        LEFT JOIN endpoints e ON e.id = l.destination_id
        LEFT JOIN tags ti ON ti.id = l.inbound_tag_id
        LEFT JOIN tags tou ON tou.id = l.outbound_tag_id
        LEFT JOIN users u ON u.id = l.user_id
        LEFT JOIN nodes n ON n.id = l.node_id;

        """;

    private const string RangeFilter = "WHERE l.\"timestamp\" >= p_from AND l.\"timestamp\" < p_to";

    private const string NodeFilter = " AND (p_node IS NULL OR l.node_id = (SELECT nf.id FROM nodes nf WHERE nf.name = p_node))";

    /// <summary>
    /// The baseline's report functions with a last parameter <c>p_node text DEFAULT NULL</c> that keeps only that
    /// node's rows (its one lookup is done once per call). Derived from the released text, so the reports cannot drift.
    /// </summary>
    private static string NodeAware(string baseline)
    {
        string withParameter = baseline.Replace("p_user text DEFAULT NULL)", "p_user text DEFAULT NULL, p_node text DEFAULT NULL)", StringComparison.Ordinal);
        string[] parts = withParameter.Split("CREATE OR REPLACE FUNCTION", StringSplitOptions.None);

        // parts[0] is the baseline's view, replaced above by the one with the node column.
        return string.Concat(parts.Skip(1).Select(f => "CREATE OR REPLACE FUNCTION" + f.Replace(RangeFilter, RangeFilter + NodeFilter, StringComparison.Ordinal)));
    }

    private const string FleetReports = """

        CREATE OR REPLACE FUNCTION report_nodes(
            p_from timestamptz, p_to timestamptz, p_silent interval DEFAULT interval '15 minutes', p_user text DEFAULT NULL, p_node text DEFAULT NULL)
        RETURNS TABLE (node text, rows bigint, first_seen timestamptz, last_seen timestamptz, silent_since timestamptz, last_address text)
        LANGUAGE sql STABLE AS $$
            SELECT n.name::text, coalesce(r.rows, 0), n.first_seen, n.last_seen,
                   CASE WHEN coalesce(n.last_seen, n.first_seen) < p_to - p_silent THEN coalesce(n.last_seen, n.first_seen) END,
                   host(n.last_address)
            FROM nodes n
            LEFT JOIN (
                SELECT l.node_id, count(*) AS rows
                FROM logs l
                WHERE l."timestamp" >= p_from AND l."timestamp" < p_to
                  AND (p_user IS NULL OR l.user_id = (SELECT s.id FROM users s WHERE s.email = p_user))
                GROUP BY l.node_id
            ) r ON r.node_id = n.id
            WHERE p_node IS NULL OR n.name = p_node
            ORDER BY n.name
        $$;

        CREATE OR REPLACE FUNCTION report_node_traffic(
            p_from timestamptz, p_to timestamptz, p_bucket interval DEFAULT interval '1 hour', p_user text DEFAULT NULL, p_node text DEFAULT NULL)
        RETURNS TABLE (node text, period_start timestamptz, connections bigint, rejected bigint, users bigint, source_ips bigint)
        LANGUAGE sql STABLE AS $$
            SELECT n.name::text,
                   to_timestamp(floor(extract(epoch FROM l."timestamp") / extract(epoch FROM p_bucket)) * extract(epoch FROM p_bucket)),
                   count(*), count(*) FILTER (WHERE l.action = 'rejected'), count(DISTINCT l.user_id), count(DISTINCT l.source_ip)
            FROM logs l LEFT JOIN nodes n ON n.id = l.node_id
            WHERE l."timestamp" >= p_from AND l."timestamp" < p_to
              AND (p_node IS NULL OR l.node_id = (SELECT nf.id FROM nodes nf WHERE nf.name = p_node))
              AND (p_user IS NULL OR l.user_id = (SELECT s.id FROM users s WHERE s.email = p_user))
            GROUP BY 1, 2
            ORDER BY 1, 2
        $$;

        -- Accounts used from more than p_max_sources distinct source addresses (or, with p_networks, /24 and /64
        -- networks) within any window of p_window (to the minute), over every node: for each account its busiest
        -- window, the sources in it and the nodes that saw them. Only rows in [p_from, p_to) are read.
        CREATE OR REPLACE FUNCTION report_shared_accounts(
            p_from timestamptz, p_to timestamptz, p_window interval DEFAULT interval '1 hour', p_max_sources integer DEFAULT 2,
            p_networks boolean DEFAULT false, p_user text DEFAULT NULL, p_node text DEFAULT NULL)
        RETURNS TABLE (email text, sources bigint, window_start timestamptz, window_end timestamptz, connections bigint,
                       source_list text, nodes text)
        LANGUAGE sql STABLE AS $$
            WITH points AS (
                SELECT l.user_id,
                       CASE WHEN p_networks THEN network(set_masklen(l.source_ip, CASE WHEN family(l.source_ip) = 4 THEN 24 ELSE 64 END))
                            ELSE l.source_ip END AS source,
                       to_timestamp(floor(extract(epoch FROM l."timestamp") / 60) * 60) AS minute,
                       l.node_id, count(*) AS connections
                FROM logs l
                WHERE l."timestamp" >= p_from AND l."timestamp" < p_to AND l.user_id IS NOT NULL
                  AND (p_node IS NULL OR l.node_id = (SELECT nf.id FROM nodes nf WHERE nf.name = p_node))
                  AND (p_user IS NULL OR l.user_id = (SELECT s.id FROM users s WHERE s.email = p_user))
                GROUP BY 1, 2, 3, 4
            ), ends AS (
                SELECT DISTINCT user_id, minute FROM points
            ), windows AS (
                SELECT e.user_id, e.minute AS window_end, count(DISTINCT p.source) AS sources, sum(p.connections) AS connections,
                       min(p.minute) AS window_start
                FROM ends e
                JOIN points p ON p.user_id = e.user_id AND p.minute <= e.minute AND p.minute > e.minute - p_window
                GROUP BY e.user_id, e.minute
                HAVING count(DISTINCT p.source) > p_max_sources
            ), busiest AS (
                SELECT DISTINCT ON (w.user_id) w.user_id, w.sources, w.window_start, w.window_end, w.connections
                FROM windows w
                ORDER BY w.user_id, w.sources DESC, w.window_end
            )
            SELECT u.email::text, b.sources, b.window_start, b.window_end + interval '1 minute', b.connections::bigint,
                   (SELECT string_agg(DISTINCT CASE WHEN p_networks THEN p.source::text ELSE host(p.source) END, ', '
                                      ORDER BY CASE WHEN p_networks THEN p.source::text ELSE host(p.source) END)
                    FROM points p WHERE p.user_id = b.user_id AND p.minute >= b.window_start AND p.minute <= b.window_end),
                   (SELECT string_agg(DISTINCT coalesce(n.name::text, '(none)'), ', ' ORDER BY coalesce(n.name::text, '(none)'))
                    FROM points p LEFT JOIN nodes n ON n.id = p.node_id
                    WHERE p.user_id = b.user_id AND p.minute >= b.window_start AND p.minute <= b.window_end)
            FROM busiest b JOIN users u ON u.id = b.user_id
            ORDER BY b.sources DESC, u.email
        $$;

        """;
}
