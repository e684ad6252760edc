namespace XraySyslogSink.Storage;

/// <summary>
/// The analyses of the seed (docs/operations.md, "Reports"): a readable view over <c>logs</c> and one SQL function per report.
/// Every function takes a half-open time range <c>[p_from, p_to)</c> that filters <c>logs."timestamp"</c> directly,
/// so only the partitions of that range are scanned. The functions are plain, inlinable <c>LANGUAGE sql STABLE</c>
/// queries; <c>CREATE OR REPLACE</c> keeps the migration idempotent.
/// </summary>
internal static class AnalyticsSql
{
    public const string Objects = """
        CREATE OR REPLACE VIEW logs_readable AS
        SELECT l.id, l."timestamp", l.source_ip, l.source_port, l.action,
               p.name AS protocol, e.address AS destination, l.destination_port,
               ti.name AS inbound_tag, tou.name AS outbound_tag, u.email
        FROM logs l
        LEFT JOIN protocols p ON p.id = l.protocol_id
        LEFT JOIN endpoints e ON e.id = l.destination_id
        LEFT JOIN tags ti ON ti.id = l.inbound_tag_id
        LEFT JOIN tags tou ON tou.id = l.outbound_tag_id
        LEFT JOIN users u ON u.id = l.user_id;

        CREATE OR REPLACE FUNCTION report_user_sessions(
            p_from timestamptz, p_to timestamptz, p_gap interval DEFAULT interval '30 minutes', p_user text DEFAULT NULL)
        RETURNS TABLE (email text, session integer, started_at timestamptz, ended_at timestamptz, duration interval,
                       connections bigint, source_ips bigint, endpoints bigint)
        LANGUAGE sql STABLE AS $$
            WITH marked AS (
                SELECT l.user_id, l."timestamp", l.source_ip, l.destination_id,
                       CASE WHEN l."timestamp" - lag(l."timestamp") OVER w <= p_gap THEN 0 ELSE 1 END AS starts
                FROM logs l
                WHERE l."timestamp" >= p_from AND l."timestamp" < p_to AND l.user_id IS NOT NULL
                  AND (p_user IS NULL OR l.user_id = (SELECT s.id FROM users s WHERE s.email = p_user))
                WINDOW w AS (PARTITION BY l.user_id ORDER BY l."timestamp")
            ), numbered AS (
                SELECT m.user_id, m."timestamp", m.source_ip, m.destination_id,
                       (sum(m.starts) OVER (PARTITION BY m.user_id ORDER BY m."timestamp" ROWS UNBOUNDED PRECEDING))::integer AS session
                FROM marked m
            )
            SELECT u.email::text, n.session, min(n."timestamp"), max(n."timestamp"), max(n."timestamp") - min(n."timestamp"),
                   count(*), count(DISTINCT n.source_ip), count(DISTINCT n.destination_id)
            FROM numbered n JOIN users u ON u.id = n.user_id
            GROUP BY u.email, n.session
            ORDER BY u.email, n.session
        $$;

        CREATE OR REPLACE FUNCTION report_user_activity(
            p_from timestamptz, p_to timestamptz, p_bucket interval DEFAULT interval '1 hour', p_user text DEFAULT NULL)
        RETURNS TABLE (email text, period_start timestamptz, connections bigint, endpoints bigint, source_ips bigint)
        LANGUAGE sql STABLE AS $$
            SELECT u.email::text,
                   to_timestamp(floor(extract(epoch FROM l."timestamp") / extract(epoch FROM p_bucket)) * extract(epoch FROM p_bucket)),
                   count(*), count(DISTINCT l.destination_id), count(DISTINCT l.source_ip)
            FROM logs l JOIN users u ON u.id = l.user_id
            WHERE l."timestamp" >= p_from AND l."timestamp" < p_to AND (p_user IS NULL OR u.email = p_user)
            GROUP BY 1, 2
            ORDER BY 1, 2
        $$;

        CREATE OR REPLACE FUNCTION report_top_endpoints(p_from timestamptz, p_to timestamptz, p_user text DEFAULT NULL)
        RETURNS TABLE (endpoint text, connections bigint, users bigint, first_seen timestamptz, last_seen timestamptz)
        LANGUAGE sql STABLE AS $$
            SELECT e.address::text, count(*), count(DISTINCT l.user_id), min(l."timestamp"), max(l."timestamp")
            FROM logs l JOIN endpoints e ON e.id = l.destination_id
            WHERE l."timestamp" >= p_from AND l."timestamp" < p_to
              AND (p_user IS NULL OR l.user_id = (SELECT s.id FROM users s WHERE s.email = p_user))
            GROUP BY e.address
            ORDER BY count(*) DESC, e.address
        $$;

        CREATE OR REPLACE FUNCTION report_top_protocols(p_from timestamptz, p_to timestamptz, p_user text DEFAULT NULL)
        RETURNS TABLE (protocol text, connections bigint, users bigint, percent numeric)
        LANGUAGE sql STABLE AS $$
            SELECT p.name::text, count(*), count(DISTINCT l.user_id), round(100.0 * count(*) / sum(count(*)) OVER (), 2)
            FROM logs l LEFT JOIN protocols p ON p.id = l.protocol_id
            WHERE l."timestamp" >= p_from AND l."timestamp" < p_to
              AND (p_user IS NULL OR l.user_id = (SELECT s.id FROM users s WHERE s.email = p_user))
            GROUP BY p.name
            ORDER BY count(*) DESC, p.name
        $$;

        CREATE OR REPLACE FUNCTION report_routes(p_from timestamptz, p_to timestamptz, p_user text DEFAULT NULL)
        RETURNS TABLE (inbound text, outbound text, connections bigint, rejected bigint, users bigint, endpoints bigint)
        LANGUAGE sql STABLE AS $$
            SELECT ti.name::text, tou.name::text, count(*), count(*) FILTER (WHERE l.action = 'rejected'),
                   count(DISTINCT l.user_id), count(DISTINCT l.destination_id)
            FROM logs l
            LEFT JOIN tags ti ON ti.id = l.inbound_tag_id
            LEFT JOIN tags tou ON tou.id = l.outbound_tag_id
            WHERE l."timestamp" >= p_from AND l."timestamp" < p_to
              AND (p_user IS NULL OR l.user_id = (SELECT s.id FROM users s WHERE s.email = p_user))
            GROUP BY ti.name, tou.name
            ORDER BY count(*) DESC, ti.name, tou.name
        $$;

        CREATE OR REPLACE FUNCTION report_ips_per_user(p_from timestamptz, p_to timestamptz, p_user text DEFAULT NULL)
        RETURNS TABLE (email text, source_ips bigint, connections bigint, first_seen timestamptz, last_seen timestamptz, ips text)
        LANGUAGE sql STABLE AS $$
            SELECT u.email::text, count(DISTINCT l.source_ip), count(*), min(l."timestamp"), max(l."timestamp"),
                   string_agg(DISTINCT host(l.source_ip), ', ' ORDER BY host(l.source_ip))
            FROM logs l JOIN users u ON u.id = l.user_id
            WHERE l."timestamp" >= p_from AND l."timestamp" < p_to AND (p_user IS NULL OR u.email = p_user)
            GROUP BY u.email
            ORDER BY count(DISTINCT l.source_ip) DESC, u.email
        $$;

        CREATE OR REPLACE FUNCTION report_users_per_ip(p_from timestamptz, p_to timestamptz, p_user text DEFAULT NULL)
        RETURNS TABLE (source_ip text, users bigint, connections bigint, first_seen timestamptz, last_seen timestamptz, emails text)
        LANGUAGE sql STABLE AS $$
            SELECT host(l.source_ip), count(DISTINCT l.user_id), count(*), min(l."timestamp"), max(l."timestamp"),
                   string_agg(DISTINCT u.email::text, ', ' ORDER BY u.email::text)
            FROM logs l LEFT JOIN users u ON u.id = l.user_id
            WHERE l."timestamp" >= p_from AND l."timestamp" < p_to
              AND (p_user IS NULL OR l.source_ip IN (SELECT x.source_ip FROM logs x JOIN users s ON s.id = x.user_id
                                                     WHERE s.email = p_user AND x."timestamp" >= p_from AND x."timestamp" < p_to))
            GROUP BY l.source_ip
            ORDER BY count(DISTINCT l.user_id) DESC, count(*) DESC, l.source_ip
        $$;
        """;
}
