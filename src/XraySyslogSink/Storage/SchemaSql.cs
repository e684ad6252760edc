using System.Globalization;

namespace XraySyslogSink.Storage;

/// <summary>
/// The seed schema's DDL (docs/schema.md), verbatim, plus the sink's own <c>dead_letters</c>, <c>spool_checkpoints</c> and
/// <c>import_files</c>, and the grants and checks of the writer role. The versioned steps (<see cref="Migrations.SchemaSteps"/>)
/// are made of these pieces.
/// </summary>
internal static class SchemaSql
{
    public const string Tables = """
        CREATE TABLE IF NOT EXISTS users (
            id SERIAL PRIMARY KEY,
            email VARCHAR(255) UNIQUE NOT NULL
        );

        CREATE TABLE IF NOT EXISTS protocols (
            id SERIAL PRIMARY KEY,
            name VARCHAR(10) UNIQUE NOT NULL
        );

        CREATE TABLE IF NOT EXISTS endpoints (
            id SERIAL PRIMARY KEY,
            address VARCHAR(255) UNIQUE NOT NULL
        );

        CREATE TABLE IF NOT EXISTS tags (
            id SERIAL PRIMARY KEY,
            name VARCHAR(100) UNIQUE NOT NULL
        );

        CREATE TABLE IF NOT EXISTS logs (
            id BIGSERIAL,
            "timestamp" TIMESTAMPTZ NOT NULL,
            source_ip INET NOT NULL,
            source_port INTEGER NOT NULL,
            action VARCHAR(50),
            protocol_id INTEGER REFERENCES protocols(id),
            destination_id INTEGER REFERENCES endpoints(id),
            destination_port INTEGER,
            inbound_tag_id INTEGER REFERENCES tags(id),
            outbound_tag_id INTEGER REFERENCES tags(id),
            user_id INTEGER REFERENCES users(id)
        ) PARTITION BY RANGE ("timestamp");

        CREATE INDEX IF NOT EXISTS idx_logs_timestamp
            ON logs ("timestamp");

        CREATE INDEX IF NOT EXISTS idx_logs_user_id
            ON logs (user_id);

        CREATE INDEX IF NOT EXISTS idx_logs_source_ip
            ON logs (source_ip);

        CREATE INDEX IF NOT EXISTS idx_logs_destination_id
            ON logs (destination_id);

        CREATE TABLE IF NOT EXISTS dead_letters (
            id BIGSERIAL PRIMARY KEY,
            received_at TIMESTAMPTZ NOT NULL,
            peer INET,
            reason TEXT NOT NULL,
            raw TEXT NOT NULL
        );

        CREATE TABLE IF NOT EXISTS spool_checkpoints (
            collector_id TEXT PRIMARY KEY,
            sequence BIGINT NOT NULL,
            updated_at TIMESTAMPTZ NOT NULL
        );
        """;

    /// <summary>
    /// <c>xraysink import</c>'s progress per input, keyed by the SHA-256 of its (decompressed) content: the number
    /// of lines whose rows are committed, advanced in the same transaction as those rows (like <c>spool_checkpoints</c>).
    /// </summary>
    public const string ImportFiles = """
        CREATE TABLE IF NOT EXISTS import_files (
            sha256 TEXT PRIMARY KEY,
            file_name TEXT NOT NULL,
            lines_total BIGINT NOT NULL,
            lines_committed BIGINT NOT NULL,
            started_at TIMESTAMPTZ NOT NULL,
            updated_at TIMESTAMPTZ NOT NULL
        );
        """;

    /// <summary>
    /// <see cref="Tables"/>, or for <c>Schema:ForeignKeys=false</c> the same DDL with <c>logs</c>' five
    /// <c>REFERENCES</c> removed and nothing else changed.
    /// </summary>
    public static string TablesFor(bool foreignKeys) => foreignKeys
        ? Tables
        : Tables
            .Replace(" REFERENCES protocols(id)", string.Empty, StringComparison.Ordinal)
            .Replace(" REFERENCES endpoints(id)", string.Empty, StringComparison.Ordinal)
            .Replace(" REFERENCES tags(id)", string.Empty, StringComparison.Ordinal)
            .Replace(" REFERENCES users(id)", string.Empty, StringComparison.Ordinal);

    public const string CompositeUserTimestampIndex = """
        CREATE INDEX IF NOT EXISTS idx_logs_user_ts
            ON logs (user_id, "timestamp");
        """;

    public const string BrinTimestampIndex = """
        CREATE INDEX IF NOT EXISTS idx_logs_timestamp_brin
            ON logs USING brin ("timestamp")
            WITH (pages_per_range = 256);
        """;

    /// <summary>The function that creates a day's partition, in <paramref name="quotedSchema"/> (quote_ident'ed by the server).</summary>
    /// <remarks>
    /// <c>CREATE TABLE … PARTITION OF logs</c> requires owning <c>logs</c>, so a writer role creates partitions through
    /// this <c>SECURITY DEFINER</c> function, owned by the role that ran the migration. Its search_path is pinned to
    /// <c>pg_catalog, pg_temp</c> and every name in it is schema-qualified, so a caller cannot substitute objects; it
    /// takes only a date, and the new partition gets the privileges <c>logs</c> has (the writer's INSERT, readers'
    /// SELECT), so rows can be copied into it directly. EXECUTE is revoked from PUBLIC and granted to the writer role.
    /// </remarks>
    public static string PartitionFunction(string quotedSchema)
    {
        // Inside the body the schema appears in SQL string literals.
        string s = quotedSchema.Replace("'", "''", StringComparison.Ordinal);
        return $$"""
            CREATE OR REPLACE FUNCTION {{quotedSchema}}.{{PartitionFunctionName}}(day date) RETURNS text
            LANGUAGE plpgsql SECURITY DEFINER
            SET search_path = pg_catalog, pg_temp
            AS $fn$
            DECLARE
                part text := 'logs_' || to_char(day, 'YYYY_MM_DD');
                acl record;
            BEGIN
                IF day IS NULL THEN
                    RAISE EXCEPTION 'day must not be NULL';
                END IF;
                EXECUTE format('CREATE TABLE IF NOT EXISTS %s.%I PARTITION OF %s.logs FOR VALUES FROM (%L) TO (%L)',
                    '{{s}}', part, '{{s}}',
                    to_char(day, 'YYYY-MM-DD') || ' 00:00:00+00', to_char(day + 1, 'YYYY-MM-DD') || ' 00:00:00+00');
                FOR acl IN
                    SELECT a.privilege_type, a.grantee
                    FROM pg_class c CROSS JOIN LATERAL aclexplode(c.relacl) a
                    WHERE c.oid = '{{s}}.logs'::regclass AND a.grantee <> c.relowner
                LOOP
                    EXECUTE format('GRANT %s ON TABLE %s.%I TO %s', acl.privilege_type, '{{s}}', part,
                        CASE WHEN acl.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(acl.grantee)) END);
                END LOOP;
                RETURN part;
            END
            $fn$;
            REVOKE ALL ON FUNCTION {{quotedSchema}}.{{PartitionFunctionName}}(date) FROM PUBLIC;
            """;
    }

    public const string PartitionFunctionName = "xraysink_create_partition";

    /// <summary>The function that detaches and drops one day's partition, in <paramref name="quotedSchema"/> (quote_ident'ed by the server).</summary>
    /// <remarks>
    /// <c>DETACH PARTITION</c> and <c>DROP TABLE</c> require owning <c>logs</c>, so retention goes through this
    /// <c>SECURITY DEFINER</c> function for every role (the owner and the writer share one path). It drops only a table
    /// attached to <c>logs</c>, in its schema, named exactly <c>logs_YYYY_MM_DD</c> for <c>day</c> and bounded by exactly
    /// that UTC day (the rule <see cref="PartitionCatalog"/> lists by), and returns false when there is none. As a safety
    /// net it refuses a day that has not ended yet on the server's clock. It takes the partitions' advisory lock under a
    /// 30 s <c>lock_timeout</c> (a long query on the day holds a lock DETACH needs: give up rather than stall every
    /// writer). search_path is pinned, every name schema-qualified, the table is dropped by the oid it was checked by,
    /// and the zone and date style that bounds are printed in are fixed for the call. EXECUTE is revoked from PUBLIC.
    /// </remarks>
    public static string DropPartitionFunction(string quotedSchema)
    {
        string s = quotedSchema.Replace("'", "''", StringComparison.Ordinal);
        string lockKey = AdvisoryLockKeys.Partitions.ToString(CultureInfo.InvariantCulture);
        return $$"""
            CREATE OR REPLACE FUNCTION {{quotedSchema}}.{{DropPartitionFunctionName}}(day date) RETURNS boolean
            LANGUAGE plpgsql SECURITY DEFINER
            SET search_path = pg_catalog, pg_temp
            SET TimeZone = 'UTC'
            SET DateStyle = 'ISO, YMD'
            SET lock_timeout = '30s'
            AS $fn$
            DECLARE
                parent oid := '{{s}}.logs'::regclass;
                part text := 'logs_' || to_char(day, 'YYYY_MM_DD');
                child oid;
            BEGIN
                IF day IS NULL THEN
                    RAISE EXCEPTION 'day must not be NULL';
                END IF;
                IF (day + 1)::timestamp AT TIME ZONE 'UTC' > now() THEN
                    RAISE EXCEPTION 'refusing to drop %: its day has not ended yet', part;
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
            REVOKE ALL ON FUNCTION {{quotedSchema}}.{{DropPartitionFunctionName}}(date) FROM PUBLIC;
            """;
    }

    public const string DropPartitionFunctionName = "xraysink_drop_partition";

    /// <summary>
    /// Exactly what the daemon needs at run time, granted to <paramref name="quotedRole"/> (already a quoted
    /// identifier): resolve dimensions (SELECT, INSERT and their sequences), copy rows and dead letters (INSERT),
    /// advance its spool checkpoint (SELECT, INSERT, UPDATE), read the schema version, create partitions and (retention) drop them through
    /// the two functions. No UPDATE or DELETE on data, no SELECT on logs or dead_letters, no DDL. Existing partitions
    /// get INSERT too; new ones inherit it from logs through the function.
    /// </summary>
    public static string WriterGrants(string quotedRole) => $$"""
        GRANT SELECT, INSERT ON users, protocols, endpoints, tags TO {{quotedRole}};
        GRANT INSERT ON logs, dead_letters TO {{quotedRole}};
        GRANT SELECT, INSERT, UPDATE ON spool_checkpoints TO {{quotedRole}};
        GRANT SELECT ON schema_migrations TO {{quotedRole}};
        GRANT USAGE ON SEQUENCE users_id_seq, protocols_id_seq, endpoints_id_seq, tags_id_seq, logs_id_seq, dead_letters_id_seq TO {{quotedRole}};
        GRANT EXECUTE ON FUNCTION {{PartitionFunctionName}}(date) TO {{quotedRole}};
        GRANT EXECUTE ON FUNCTION {{DropPartitionFunctionName}}(date) TO {{quotedRole}};
        GRANT EXECUTE ON FUNCTION {{Migrations.DeadLetterPartitionsSql.CreateFunctionName}}(date) TO {{quotedRole}};
        GRANT EXECUTE ON FUNCTION {{Migrations.DeadLetterPartitionsSql.ExpireFunctionName}}(date) TO {{quotedRole}};
        DO $grants$
        DECLARE
            part regclass;
        BEGIN
            FOR part IN SELECT inhrelid::regclass FROM pg_inherits WHERE inhparent = 'logs'::regclass LOOP
                EXECUTE format('GRANT INSERT ON TABLE %s TO %s', part, {{QuoteLiteral(quotedRole)}});
            END LOOP;
        END
        $grants$;
        """;

    /// <summary>
    /// The report functions are the reader's: EXECUTE is revoked from PUBLIC (they are <c>SECURITY INVOKER</c>, so
    /// this takes no data from anyone; it keeps the grant list exact). Run after every function is created.
    /// </summary>
    public const string ReportFunctionsPrivate = $$"""
        DO $private$
        DECLARE
            fn regprocedure;
        BEGIN
            FOR fn IN {{ReportFunctionsQuery}} LOOP
                EXECUTE format('REVOKE ALL ON FUNCTION %s FROM PUBLIC', fn);
            END LOOP;
        END
        $private$;
        """;

    /// <summary>
    /// What reports and dashboards need, granted to <paramref name="quotedRole"/> (already a quoted identifier): SELECT
    /// on the data (<c>logs</c> and its partitions, the dimensions, <c>logs_readable</c>) and EXECUTE on every report
    /// function. No INSERT, UPDATE or DELETE, no dead letters, checkpoints or import records, no partition functions.
    /// New partitions inherit the SELECT from logs through the partition function.
    /// </summary>
    public static string ReaderGrants(string quotedRole) => $$"""
        GRANT SELECT ON logs, users, protocols, endpoints, tags, logs_readable TO {{quotedRole}};
        DO $grants$
        DECLARE
            part regclass;
            fn regprocedure;
        BEGIN
            FOR part IN SELECT inhrelid::regclass FROM pg_inherits WHERE inhparent = 'logs'::regclass LOOP
                EXECUTE format('GRANT SELECT ON TABLE %s TO %s', part, {{QuoteLiteral(quotedRole)}});
            END LOOP;
            FOR fn IN {{ReportFunctionsQuery}} LOOP
                EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO %s', fn, {{QuoteLiteral(quotedRole)}});
            END LOOP;
        END
        $grants$;
        """;

    /// <summary>
    /// Privileges the daemon checks for at start when it does not own the schema (a writer role), so a missing grant
    /// stops the start with one clear message instead of failing at the first flush.
    /// </summary>
    public const string RunTimePrivileges = """
        SELECT what FROM (VALUES
            ('INSERT on users', has_table_privilege('users', 'INSERT')),
            ('SELECT on users', has_table_privilege('users', 'SELECT')),
            ('INSERT on protocols', has_table_privilege('protocols', 'INSERT')),
            ('SELECT on protocols', has_table_privilege('protocols', 'SELECT')),
            ('INSERT on endpoints', has_table_privilege('endpoints', 'INSERT')),
            ('SELECT on endpoints', has_table_privilege('endpoints', 'SELECT')),
            ('INSERT on tags', has_table_privilege('tags', 'INSERT')),
            ('SELECT on tags', has_table_privilege('tags', 'SELECT')),
            ('INSERT on logs', has_table_privilege('logs', 'INSERT')),
            ('INSERT on dead_letters', has_table_privilege('dead_letters', 'INSERT')),
            ('SELECT, INSERT, UPDATE on spool_checkpoints', has_table_privilege('spool_checkpoints', 'SELECT, INSERT, UPDATE')),
            ('SELECT on schema_migrations', has_table_privilege('schema_migrations', 'SELECT')),
            ('USAGE on the id sequences', has_sequence_privilege('users_id_seq', 'USAGE') AND has_sequence_privilege('protocols_id_seq', 'USAGE')
                AND has_sequence_privilege('endpoints_id_seq', 'USAGE') AND has_sequence_privilege('tags_id_seq', 'USAGE')
                AND has_sequence_privilege('logs_id_seq', 'USAGE') AND has_sequence_privilege('dead_letters_id_seq', 'USAGE')),
            ('EXECUTE on xraysink_create_partition(date)', to_regprocedure('xraysink_create_partition(date)') IS NOT NULL
                AND has_function_privilege('xraysink_create_partition(date)', 'EXECUTE')),
            ('EXECUTE on xraysink_drop_partition(date)', to_regprocedure('xraysink_drop_partition(date)') IS NOT NULL
                AND has_function_privilege('xraysink_drop_partition(date)', 'EXECUTE')),
            ('EXECUTE on xraysink_create_dead_letter_partition(date)', to_regprocedure('xraysink_create_dead_letter_partition(date)') IS NOT NULL
                AND has_function_privilege('xraysink_create_dead_letter_partition(date)', 'EXECUTE')),
            ('EXECUTE on xraysink_expire_dead_letters(date)', to_regprocedure('xraysink_expire_dead_letters(date)') IS NOT NULL
                AND has_function_privilege('xraysink_expire_dead_letters(date)', 'EXECUTE')),
            -- The nodes extension (NodeSql.WriterGrants), when the schema has it (not under Schema:SeedOnly).
            ('SELECT, INSERT on nodes', coalesce(has_table_privilege(to_regclass('nodes'), 'SELECT') AND has_table_privilege(to_regclass('nodes'), 'INSERT'), true)),
            ('UPDATE (first_seen, last_seen, last_address) on nodes', coalesce(has_column_privilege(to_regclass('nodes'), 'first_seen', 'UPDATE')
                AND has_column_privilege(to_regclass('nodes'), 'last_seen', 'UPDATE') AND has_column_privilege(to_regclass('nodes'), 'last_address', 'UPDATE'), true)),
            ('USAGE on nodes_id_seq', coalesce(has_sequence_privilege(to_regclass('nodes_id_seq'), 'USAGE'), true))
        ) AS p(what, granted)
        WHERE NOT granted
        """;

    // Every report_* function of the schema (AnalyticsSql), whatever its arguments.
    private const string ReportFunctionsQuery =
        "SELECT p.oid::regprocedure FROM pg_proc p WHERE p.pronamespace = current_schema()::regnamespace AND p.proname LIKE 'report\\_%'";

    private static string QuoteLiteral(string text) => "'" + text.Replace("'", "''", StringComparison.Ordinal) + "'";
}
