using System.Globalization;

namespace XraySyslogSink.Storage.Migrations;

/// <summary>
/// Step 2: what the internet-facing writer role may do to history is bounded by limits only the schema owner sets.
/// <c>xraysink_writer_limits</c> (one row, written by the owner's migration from its settings, no privilege for the
/// writer) holds the retention floor and the partition creation window; both partition functions apply them to every
/// caller that is not (a member of) the owner of <c>logs</c>. <c>spool_checkpoints</c> rows belong to the role that
/// wrote them (row-level security), so a collector with its own login role can advance only its own row.
/// </summary>
internal static class WriterLimitsSql
{
    public const string TableName = "xraysink_writer_limits";

    /// <summary>
    /// The limits the owner's migration stores (parameters: retention floor or NULL, days back, days ahead, dead-letter
    /// floor or NULL; the last column is step 3's).
    /// </summary>
    public const string UpdateSql = """
        UPDATE xraysink_writer_limits
        SET retention_min_days = $1, create_days_back = $2, create_days_ahead = $3, dead_letter_min_days = $4,
            updated_at = now(), updated_by = current_user
        WHERE only_row
        """;

    public static string Step(SchemaStepContext context) =>
        Table + CreatePartitionFunction(context.QuotedSchema) + DropPartitionFunction(context.QuotedSchema) + CheckpointOwnership;

    // Until the owner migrates with its settings: the writer drops nothing and creates the default accept window's days.
    private const string Table = """
        CREATE TABLE IF NOT EXISTS xraysink_writer_limits (
            only_row BOOLEAN PRIMARY KEY DEFAULT true CHECK (only_row),
            retention_min_days INTEGER CHECK (retention_min_days > 0),
            create_days_back INTEGER NOT NULL CHECK (create_days_back >= 0),
            create_days_ahead INTEGER NOT NULL CHECK (create_days_ahead >= 0),
            updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
            updated_by TEXT NOT NULL DEFAULT current_user
        );
        INSERT INTO xraysink_writer_limits (retention_min_days, create_days_back, create_days_ahead) VALUES (NULL, 31, 2)
        ON CONFLICT (only_row) DO NOTHING;
        REVOKE ALL ON xraysink_writer_limits FROM PUBLIC;

        """;

    /// <summary>
    /// <c>xraysink_create_partition(day)</c> as in the baseline, except that a caller who is not the owner of <c>logs</c>
    /// gets NULL (nothing created) for a day outside [today − create_days_back, today + create_days_ahead] (UTC): its rows
    /// are then routed through <c>logs</c>, find no partition and become dead letters, which are counted.
    /// </summary>
    private static string CreatePartitionFunction(string quotedSchema)
    {
        string s = Literal(quotedSchema);
        return $$"""
            CREATE OR REPLACE FUNCTION {{quotedSchema}}.{{SchemaSql.PartitionFunctionName}}(day date) RETURNS text
            LANGUAGE plpgsql SECURITY DEFINER
            SET search_path = pg_catalog, pg_temp
            AS $fn$
            DECLARE
                parent oid := '{{s}}.logs'::regclass;
                part text := 'logs_' || to_char(day, 'YYYY_MM_DD');
                today date := (now() AT TIME ZONE 'UTC')::date;
                back integer;
                ahead integer;
                acl record;
            BEGIN
                IF day IS NULL THEN
                    RAISE EXCEPTION 'day must not be NULL';
                END IF;
                IF NOT pg_has_role(session_user, (SELECT c.relowner FROM pg_class c WHERE c.oid = parent), 'USAGE') THEN
                    SELECT l.create_days_back, l.create_days_ahead INTO back, ahead FROM {{quotedSchema}}.xraysink_writer_limits l;
                    IF back IS NULL OR day < today - back OR day > today + ahead THEN
                        RETURN NULL;
                    END IF;
                END IF;
                EXECUTE format('CREATE TABLE IF NOT EXISTS %s.%I PARTITION OF %s.logs FOR VALUES FROM (%L) TO (%L)',
                    '{{s}}', part, '{{s}}',
                    to_char(day, 'YYYY-MM-DD') || ' 00:00:00+00', to_char(day + 1, 'YYYY-MM-DD') || ' 00:00:00+00');
                FOR acl IN
                    SELECT a.privilege_type, a.grantee
                    FROM pg_class c CROSS JOIN LATERAL aclexplode(c.relacl) a
                    WHERE c.oid = parent AND a.grantee <> c.relowner
                LOOP
                    EXECUTE format('GRANT %s ON TABLE %s.%I TO %s', acl.privilege_type, '{{s}}', part,
                        CASE WHEN acl.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(acl.grantee)) END);
                END LOOP;
                RETURN part;
            END
            $fn$;
            REVOKE ALL ON FUNCTION {{quotedSchema}}.{{SchemaSql.PartitionFunctionName}}(date) FROM PUBLIC;

            """;
    }

    /// <summary>
    /// <c>xraysink_drop_partition(day)</c> as in the baseline, except that a caller who is not the owner of <c>logs</c>
    /// may drop only a day that ended at least <c>retention_min_days</c> days ago, and nothing while the owner has set
    /// no floor (insufficient_privilege, with the fix in the message).
    /// </summary>
    private static string DropPartitionFunction(string quotedSchema)
    {
        string s = Literal(quotedSchema);
        string lockKey = AdvisoryLockKeys.Partitions.ToString(CultureInfo.InvariantCulture);
        return $$"""
            CREATE OR REPLACE FUNCTION {{quotedSchema}}.{{SchemaSql.DropPartitionFunctionName}}(day date) RETURNS boolean
            LANGUAGE plpgsql SECURITY DEFINER
            SET search_path = pg_catalog, pg_temp
            SET TimeZone = 'UTC'
            SET DateStyle = 'ISO, YMD'
            SET lock_timeout = '30s'
            AS $fn$
            DECLARE
                parent oid := '{{s}}.logs'::regclass;
                part text := 'logs_' || to_char(day, 'YYYY_MM_DD');
                floor_days integer;
                child oid;
            BEGIN
                IF day IS NULL THEN
                    RAISE EXCEPTION 'day must not be NULL';
                END IF;
                IF (day + 1)::timestamp AT TIME ZONE 'UTC' > now() THEN
                    RAISE EXCEPTION 'refusing to drop %: its day has not ended yet', part;
                END IF;
                IF NOT pg_has_role(session_user, (SELECT c.relowner FROM pg_class c WHERE c.oid = parent), 'USAGE') THEN
                    SELECT l.retention_min_days INTO floor_days FROM {{quotedSchema}}.xraysink_writer_limits l;
                    IF floor_days IS NULL THEN
                        RAISE EXCEPTION USING ERRCODE = 'insufficient_privilege',
                            MESSAGE = format('refusing to drop %s: the schema owner has not allowed %s to drop partitions', part, session_user),
                            HINT = 'Retention belongs to the owner: run `xraysink migrate --Retention:Days=N` as the owner to let the writer drop days older than N, or `xraysink partitions drop` as the owner.';
                    END IF;
                    IF (day + 1)::timestamp AT TIME ZONE 'UTC' > now() - make_interval(days => floor_days) THEN
                        RAISE EXCEPTION USING ERRCODE = 'insufficient_privilege',
                            MESSAGE = format('refusing to drop %s: %s may drop only days that ended %s or more days ago (set by the schema owner)', part, session_user, floor_days),
                            HINT = 'Run `xraysink migrate --Retention:Days=N` as the owner to change the floor, or `xraysink partitions drop` as the owner.';
                    END IF;
                END IF;
                PERFORM pg_advisory_xact_lock({{lockKey}});
                SELECT c.oid INTO child
                FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
                WHERE i.inhparent = parent
                  AND c.relname = part
                  AND c.relnamespace = (SELECT p.relnamespace FROM pg_class p WHERE p.oid = parent)
                  AND pg_get_expr(c.relpartbound, c.oid) = format('FOR VALUES FROM (%L) TO (%L)',
                      to_char(day, 'YYYY-MM-DD') || ' 00:00:00+00', to_char(day + 1, 'YYYY-MM-DD') || ' 00:00:00+00');
                IF child IS NULL THEN
                    RETURN false;
                END IF;
                EXECUTE format('ALTER TABLE %s.logs DETACH PARTITION %s', '{{s}}', child::regclass);
                EXECUTE format('DROP TABLE %s', child::regclass);
                RETURN true;
            END
            $fn$;
            REVOKE ALL ON FUNCTION {{quotedSchema}}.{{SchemaSql.DropPartitionFunctionName}}(date) FROM PUBLIC;

            """;
    }

    // Each row belongs to the role that wrote it (a trigger stamps current_user); rows from before (NULL) are claimed by the
    // first role that advances them. The owner is not subject to the policy (no FORCE).
    private const string CheckpointOwnership = """
        ALTER TABLE spool_checkpoints ADD COLUMN IF NOT EXISTS writer_role TEXT;
        CREATE OR REPLACE FUNCTION xraysink_stamp_checkpoint_role() RETURNS trigger
        LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $fn$
        BEGIN
            NEW.writer_role := current_user;
            RETURN NEW;
        END
        $fn$;
        REVOKE ALL ON FUNCTION xraysink_stamp_checkpoint_role() FROM PUBLIC;
        DROP TRIGGER IF EXISTS spool_checkpoints_writer_role ON spool_checkpoints;
        CREATE TRIGGER spool_checkpoints_writer_role BEFORE INSERT OR UPDATE ON spool_checkpoints
            FOR EACH ROW EXECUTE FUNCTION xraysink_stamp_checkpoint_role();
        ALTER TABLE spool_checkpoints ENABLE ROW LEVEL SECURITY;
        DROP POLICY IF EXISTS own_rows ON spool_checkpoints;
        CREATE POLICY own_rows ON spool_checkpoints
            USING (writer_role IS NULL OR writer_role = current_user)
            WITH CHECK (writer_role = current_user);

        """;

    private static string Literal(string quotedSchema) => quotedSchema.Replace("'", "''", StringComparison.Ordinal);
}
