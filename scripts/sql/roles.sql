-- Least-privilege roles for XraySyslogSink. Run as a superuser (or the database's owner with CREATEROLE), once per
-- database and again whenever you like (idempotent):
--
--   psql -d xraysink -f scripts/sql/roles.sql
--
-- It sets no passwords. Set each role's password from a root-only file with
--
--   xraysink set-password xraysink_owner --password-file /etc/xraysink/owner.pw \
--            --ConnectionStrings:Postgres="Host=/var/run/postgresql;Database=xraysink;Username=postgres"
--   (the same for xraysink_writer with /etc/xraysink/db-password and xraysink_reader with /etc/xraysink/reader-password)
--
-- which sends only the password's SCRAM-SHA-256 verifier: no password on a command line (ps, shell history) and none
-- in the server's log when it logs DDL (log_statement=ddl or all) or in pg_stat_statements. psql's interactive
-- \password ROLE does the same at a terminal.
--
-- Creates (if missing):
--   xraysink_owner   owns the schema: runs `xraysink migrate` (tables, indexes, the partition function, grants).
--   xraysink_writer  the daemon at run time. Gets nothing here but CONNECT and USAGE on the schema; the migration
--                    run as the owner with --Schema:WriterRole=xraysink_writer grants exactly what the daemon needs
--                    (SchemaSql.WriterGrants): SELECT+INSERT on users/protocols/endpoints/tags, INSERT on logs and
--                    dead_letters, SELECT+INSERT+UPDATE on spool_checkpoints, USAGE on the id sequences, EXECUTE on
--                    xraysink_create_partition(date), xraysink_drop_partition(date) (retention, only whole
--                    past days of our own partitions), xraysink_create_dead_letter_partition(date) and
--                    xraysink_expire_dead_letters(date) (dead-letter retention, only as far as the owner allows);
--                    with the nodes extension (not under Schema:SeedOnly) also SELECT+INSERT on nodes, UPDATE of its
--                    first_seen/last_seen/last_address and USAGE on nodes_id_seq (NodeSql.WriterGrants).
--                    No UPDATE/DELETE of data, no SELECT on logs, no DDL.
--   xraysink_reader  `xraysink report` and the Grafana dashboards. Gets CONNECT and USAGE here, and every session is
--                    read-only (default_transaction_read_only); the migration run as the owner with
--                    --Schema:ReaderRole=xraysink_reader grants exactly SELECT on logs (and its partitions), users,
--                    protocols, endpoints, tags, nodes (when present) and the logs_readable view, and EXECUTE on the
--                    report_* functions (SchemaSql.ReaderGrants, NodeSql.ReaderGrants). No INSERT/UPDATE/DELETE, no
--                    dead letters, no partition functions.
-- Then:
--   xraysink migrate --ConnectionStrings:Postgres="Host=…;Database=xraysink;Username=xraysink_owner" \
--                    --Database:PasswordFile=/etc/xraysink/owner.pw --Schema:WriterRole=xraysink_writer \
--                    --Schema:ReaderRole=xraysink_reader
--   and run the daemon with Username=xraysink_writer (Database:PasswordFile for its password), the reports with
--   Reports:ConnectionString (Username=xraysink_reader) and Reports:PasswordFile.
-- Tables a superuser created before (an older install) are handed to xraysink_owner below.
\set ON_ERROR_STOP on

-- Passwords given to psql (-v owner_password=… as earlier versions documented) would sit on the command line and,
-- as ALTER ROLE … PASSWORD '…', in the server's log: refuse them and name the way that keeps them secret.
\if :{?owner_password}
\set xraysink_password_given 1
\elif :{?writer_password}
\set xraysink_password_given 1
\elif :{?reader_password}
\set xraysink_password_given 1
\else
\set xraysink_password_given 0
\endif
\if :xraysink_password_given
DO $$ BEGIN RAISE EXCEPTION 'roles.sql no longer takes passwords with -v (they would be on the command line and in the server log)'
  USING HINT = 'run it without them, then: xraysink set-password ROLE --password-file FILE'; END $$;
\endif

SELECT 'CREATE ROLE xraysink_owner LOGIN'
WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'xraysink_owner') \gexec
SELECT 'CREATE ROLE xraysink_writer LOGIN'
WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'xraysink_writer') \gexec
SELECT 'CREATE ROLE xraysink_reader LOGIN'
WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'xraysink_reader') \gexec

-- No role is privileged beyond its objects; the reader's sessions cannot write even where a grant would let them.
ALTER ROLE xraysink_owner LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS;
ALTER ROLE xraysink_writer LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS;
ALTER ROLE xraysink_reader LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS;
ALTER ROLE xraysink_reader SET default_transaction_read_only = on;

-- This database: all three may connect; only the owner may create objects in the schema.
SELECT format('GRANT CONNECT ON DATABASE %I TO xraysink_owner, xraysink_writer, xraysink_reader', current_database()) \gexec
SELECT format('REVOKE CREATE ON SCHEMA %I FROM PUBLIC', current_schema()) \gexec
SELECT format('GRANT USAGE, CREATE ON SCHEMA %I TO xraysink_owner', current_schema()) \gexec
SELECT format('GRANT USAGE ON SCHEMA %I TO xraysink_writer, xraysink_reader', current_schema()) \gexec

-- An existing schema (made by a superuser or the old single role) becomes the owner's, so its migrations can
-- replace what they created: tables, the logs_readable view, the partition and report functions. Sequences owned
-- by a column follow their table; partitions are tables of their own.
SELECT format('ALTER %s %s OWNER TO xraysink_owner', CASE c.relkind WHEN 'v' THEN 'VIEW' ELSE 'TABLE' END, c.oid::regclass)
FROM pg_class c
WHERE c.relnamespace = current_schema()::regnamespace
  AND c.relkind IN ('r', 'p', 'v')
  AND (c.relname IN ('users', 'protocols', 'endpoints', 'tags', 'nodes', 'logs', 'dead_letters', 'spool_checkpoints', 'import_files', 'schema_migrations', 'xraysink_writer_limits',
                     'logs_readable')
       OR c.oid IN (SELECT inhrelid FROM pg_inherits WHERE inhparent IN (to_regclass('logs'), to_regclass('dead_letters'))))
  AND pg_get_userbyid(c.relowner) <> 'xraysink_owner' \gexec
SELECT format('ALTER FUNCTION %s OWNER TO xraysink_owner', p.oid::regprocedure)
FROM pg_proc p
WHERE p.pronamespace = current_schema()::regnamespace
  AND p.proname IN ('xraysink_create_partition', 'xraysink_drop_partition', 'xraysink_create_dead_letter_partition', 'xraysink_expire_dead_letters',
                    'xraysink_stamp_checkpoint_role', 'report_user_sessions', 'report_user_activity', 'report_top_endpoints',
                    'report_top_protocols', 'report_routes', 'report_ips_per_user', 'report_users_per_ip', 'report_nodes',
                    'report_node_traffic', 'report_shared_accounts')
  AND pg_get_userbyid(p.proowner) <> 'xraysink_owner' \gexec
