using System.Globalization;

namespace XraySyslogSink.Storage.Migrations;

/// <summary>
/// Step 3: <c>dead_letters</c> becomes partitioned by UTC day of <c>received_at</c> like <c>logs</c>, so retention
/// (<c>Retention:DeadLetterDays</c>) drops whole days. An existing table is converted in the migration's transaction:
/// renamed aside, its rows copied with their ids into a day partition each, its privileges carried over, its id
/// sequence kept (ids continue), then dropped. The columns stay as they were; the primary key becomes
/// <c>(id, received_at)</c> because a partitioned table's key must hold the partition key. A catch-all partition
/// (<c>dead_letters_default</c>) takes a dead letter whose day has no partition, so a write never fails for want of one.
/// Both functions are <c>SECURITY DEFINER</c> with the owner's limits of <c>xraysink_writer_limits</c>: the writer role
/// creates days only within its creation window and expires only days older than the owner's floor
/// (<c>dead_letter_min_days</c>, from <c>Retention:DeadLetterDays</c>), nothing while it is unset.
/// </summary>
internal static class DeadLetterPartitionsSql
{
    public const string CreateFunctionName = "xraysink_create_dead_letter_partition";
    public const string ExpireFunctionName = "xraysink_expire_dead_letters";
    public const string DefaultPartition = "dead_letters_default";

    public static string Step(SchemaStepContext context) =>
        FloorColumn + Convert + CreateFunction(context.QuotedSchema) + ExpireFunction(context.QuotedSchema);

    private const string FloorColumn = """
        ALTER TABLE xraysink_writer_limits ADD COLUMN IF NOT EXISTS dead_letter_min_days INTEGER CHECK (dead_letter_min_days > 0);

        """;

    // Guarded, so it adopts a database converted already; the rows keep their ids and land in their own day.
    private const string Convert = """
        DO $convert$
        DECLARE
            day date;
            acl record;
        BEGIN
            IF (SELECT c.relkind FROM pg_class c WHERE c.oid = to_regclass('dead_letters')) = 'r' THEN
                ALTER TABLE dead_letters RENAME TO dead_letters_unpartitioned;
                ALTER INDEX IF EXISTS dead_letters_pkey RENAME TO dead_letters_unpartitioned_pkey;
                CREATE TABLE dead_letters (
                    id BIGINT NOT NULL DEFAULT nextval('dead_letters_id_seq'),
                    received_at TIMESTAMPTZ NOT NULL,
                    peer INET,
                    reason TEXT NOT NULL,
                    raw TEXT NOT NULL,
                    PRIMARY KEY (id, received_at)
                ) PARTITION BY RANGE (received_at);
                ALTER SEQUENCE dead_letters_id_seq OWNED BY dead_letters.id;
                CREATE TABLE dead_letters_default PARTITION OF dead_letters DEFAULT;
                FOR day IN SELECT DISTINCT (received_at AT TIME ZONE 'UTC')::date FROM dead_letters_unpartitioned LOOP
                    EXECUTE format('CREATE TABLE %I PARTITION OF dead_letters FOR VALUES FROM (%L) TO (%L)',
                        'dead_letters_' || to_char(day, 'YYYY_MM_DD'),
                        to_char(day, 'YYYY-MM-DD') || ' 00:00:00+00', to_char(day + 1, 'YYYY-MM-DD') || ' 00:00:00+00');
                END LOOP;
                INSERT INTO dead_letters (id, received_at, peer, reason, raw)
                    SELECT id, received_at, peer, reason, raw FROM dead_letters_unpartitioned;
                FOR acl IN
                    SELECT a.privilege_type, a.grantee
                    FROM pg_class c CROSS JOIN LATERAL aclexplode(c.relacl) a
                    WHERE c.oid = 'dead_letters_unpartitioned'::regclass AND a.grantee <> c.relowner
                LOOP
                    EXECUTE format('GRANT %s ON TABLE dead_letters TO %s', acl.privilege_type,
                        CASE WHEN acl.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(acl.grantee)) END);
                END LOOP;
                DROP TABLE dead_letters_unpartitioned;
            END IF;
        END
        $convert$;

        """;

    /// <summary>
    /// <c>xraysink_create_dead_letter_partition(day)</c>: creates <c>dead_letters_YYYY_MM_DD</c> and returns its name; NULL
    /// when nothing was created: for a non-owner a day outside its creation window, or a day the catch-all partition holds
    /// rows of already (those stay there until retention deletes them).
    /// </summary>
    private static string CreateFunction(string quotedSchema)
    {
        string s = Literal(quotedSchema);
        return $$"""
            CREATE OR REPLACE FUNCTION {{quotedSchema}}.{{CreateFunctionName}}(day date) RETURNS text
            LANGUAGE plpgsql SECURITY DEFINER
            SET search_path = pg_catalog, pg_temp
            AS $fn$
            DECLARE
                parent oid := '{{s}}.dead_letters'::regclass;
                part text := 'dead_letters_' || to_char(day, 'YYYY_MM_DD');
                today date := (now() AT TIME ZONE 'UTC')::date;
                back integer;
                ahead integer;
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
                BEGIN
                    EXECUTE format('CREATE TABLE IF NOT EXISTS %s.%I PARTITION OF %s.dead_letters FOR VALUES FROM (%L) TO (%L)',
                        '{{s}}', part, '{{s}}',
                        to_char(day, 'YYYY-MM-DD') || ' 00:00:00+00', to_char(day + 1, 'YYYY-MM-DD') || ' 00:00:00+00');
                EXCEPTION
                    WHEN check_violation THEN
                        RETURN NULL;
                    WHEN duplicate_table OR unique_violation THEN
                        NULL;
                END;
                RETURN part;
            END
            $fn$;
            REVOKE ALL ON FUNCTION {{quotedSchema}}.{{CreateFunctionName}}(date) FROM PUBLIC;

            """;
    }

    /// <summary>
    /// <c>xraysink_expire_dead_letters(before)</c>: drops every daily dead-letter partition (attached, in the schema, named
    /// <c>dead_letters_YYYY_MM_DD</c>, bounded by exactly that UTC day) that ends at or before <c>before</c> and deletes the
    /// catch-all partition's rows received before it; returns the names of the partitions dropped. Never a day not yet
    /// ended; a non-owner only when <c>before</c> is at least the owner's floor in the past (insufficient_privilege otherwise).
    /// </summary>
    private static string ExpireFunction(string quotedSchema)
    {
        string s = Literal(quotedSchema);
        string lockKey = AdvisoryLockKeys.Partitions.ToString(CultureInfo.InvariantCulture);
        return $$"""
            CREATE OR REPLACE FUNCTION {{quotedSchema}}.{{ExpireFunctionName}}(before date) RETURNS SETOF text
            LANGUAGE plpgsql SECURITY DEFINER
            SET search_path = pg_catalog, pg_temp
            SET TimeZone = 'UTC'
            SET DateStyle = 'ISO, YMD'
            SET lock_timeout = '30s'
            AS $fn$
            DECLARE
                parent oid := '{{s}}.dead_letters'::regclass;
                today date := (now() AT TIME ZONE 'UTC')::date;
                floor_days integer;
                child record;
                day date;
            BEGIN
                IF before IS NULL THEN
                    RAISE EXCEPTION 'before must not be NULL';
                END IF;
                IF before > today THEN
                    RAISE EXCEPTION 'refusing to expire dead letters of % or later: that day has not ended yet', today;
                END IF;
                IF NOT pg_has_role(session_user, (SELECT c.relowner FROM pg_class c WHERE c.oid = parent), 'USAGE') THEN
                    SELECT l.dead_letter_min_days INTO floor_days FROM {{quotedSchema}}.xraysink_writer_limits l;
                    IF floor_days IS NULL THEN
                        RAISE EXCEPTION USING ERRCODE = 'insufficient_privilege',
                            MESSAGE = format('refusing to expire dead letters: the schema owner has not allowed %s to', session_user),
                            HINT = 'Retention belongs to the owner: run `xraysink migrate --Retention:DeadLetterDays=N` as the owner to let the writer expire dead letters older than N days.';
                    END IF;
                    IF before > today - floor_days THEN
                        RAISE EXCEPTION USING ERRCODE = 'insufficient_privilege',
                            MESSAGE = format('refusing to expire dead letters received on or after %s: %s may expire only days that ended %s or more days ago (set by the schema owner)', before, session_user, floor_days),
                            HINT = 'Run `xraysink migrate --Retention:DeadLetterDays=N` as the owner to change the floor.';
                    END IF;
                END IF;
                PERFORM pg_advisory_xact_lock({{lockKey}});
                FOR child IN
                    SELECT c.oid, c.relname::text AS name, pg_get_expr(c.relpartbound, c.oid) AS bound
                    FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
                    WHERE i.inhparent = parent
                      AND c.relnamespace = (SELECT p.relnamespace FROM pg_class p WHERE p.oid = parent)
                      AND c.relname ~ '^dead_letters_[0-9]{4}_[0-9]{2}_[0-9]{2}$'
                    ORDER BY c.relname
                LOOP
                    BEGIN
                        day := to_date(substr(child.name, 14), 'YYYY_MM_DD');
                    EXCEPTION WHEN others THEN
                        CONTINUE;
                    END;
                    IF 'dead_letters_' || to_char(day, 'YYYY_MM_DD') = child.name
                       AND day + 1 <= before
                       AND child.bound = format('FOR VALUES FROM (%L) TO (%L)',
                           to_char(day, 'YYYY-MM-DD') || ' 00:00:00+00', to_char(day + 1, 'YYYY-MM-DD') || ' 00:00:00+00') THEN
                        EXECUTE format('ALTER TABLE %s.dead_letters DETACH PARTITION %s', '{{s}}', child.oid::regclass);
                        EXECUTE format('DROP TABLE %s', child.oid::regclass);
                        RETURN NEXT child.name;
                    END IF;
                END LOOP;
                IF to_regclass('{{s}}.{{DefaultPartition}}') IS NOT NULL THEN
                    EXECUTE format('DELETE FROM %s.%I WHERE received_at < %L', '{{s}}', '{{DefaultPartition}}', to_char(before, 'YYYY-MM-DD') || ' 00:00:00+00');
                END IF;
                RETURN;
            END
            $fn$;
            REVOKE ALL ON FUNCTION {{quotedSchema}}.{{ExpireFunctionName}}(date) FROM PUBLIC;

            """;
    }

    private static string Literal(string quotedSchema) => quotedSchema.Replace("'", "''", StringComparison.Ordinal);
}
