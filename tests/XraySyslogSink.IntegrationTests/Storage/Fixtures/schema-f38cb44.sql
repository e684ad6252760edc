-- The schema the first released migrator made (commit f38cb44, the oldest SchemaSql.cs / SchemaMigrator.cs): the seed
-- tables and dead_letters, nothing else (no spool_checkpoints, import_files, functions or views), and the daily
-- partitions that version created directly with CREATE TABLE … PARTITION OF. SchemaUpgradeTests upgrades it.
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

CREATE TABLE IF NOT EXISTS logs_2026_11_30 PARTITION OF logs FOR VALUES FROM ('2026-11-30 00:00:00+00') TO ('2026-12-01 00:00:00+00');
CREATE TABLE IF NOT EXISTS logs_2026_12_01 PARTITION OF logs FOR VALUES FROM ('2026-12-01 00:00:00+00') TO ('2026-12-02 00:00:00+00');
