-- The schema `xraysink migrate` made just before versioned migrations (commit 68f937b), as pg_dump printed it
-- (--schema-only --no-owner --no-privileges --no-comments, psql meta-commands removed), with two daily partitions
-- and the rows of schema-rows.sql. SchemaUpgradeTests upgrades it through the versioned migrations.

SET statement_timeout = 0;
SET lock_timeout = 0;
SET idle_in_transaction_session_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
SET check_function_bodies = false;
SET xmloption = content;
SET client_min_messages = warning;
SET row_security = off;

-- Name: report_ips_per_user(timestamp with time zone, timestamp with time zone, text); Type: FUNCTION; Schema: public; Owner: -

CREATE FUNCTION public.report_ips_per_user(p_from timestamp with time zone, p_to timestamp with time zone, p_user text DEFAULT NULL::text) RETURNS TABLE(email text, source_ips bigint, connections bigint, first_seen timestamp with time zone, last_seen timestamp with time zone, ips text)
    LANGUAGE sql STABLE
    AS $$
    SELECT u.email::text, count(DISTINCT l.source_ip), count(*), min(l."timestamp"), max(l."timestamp"),
           string_agg(DISTINCT host(l.source_ip), ', ' ORDER BY host(l.source_ip))
    FROM logs l JOIN users u ON u.id = l.user_id
    WHERE l."timestamp" >= p_from AND l."timestamp" < p_to AND (p_user IS NULL OR u.email = p_user)
    GROUP BY u.email
    ORDER BY count(DISTINCT l.source_ip) DESC, u.email
$$;

-- Name: report_routes(timestamp with time zone, timestamp with time zone, text); Type: FUNCTION; Schema: public; Owner: -

CREATE FUNCTION public.report_routes(p_from timestamp with time zone, p_to timestamp with time zone, p_user text DEFAULT NULL::text) RETURNS TABLE(inbound text, outbound text, connections bigint, rejected bigint, users bigint, endpoints bigint)
    LANGUAGE sql STABLE
    AS $$
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

-- Name: report_top_endpoints(timestamp with time zone, timestamp with time zone, text); Type: FUNCTION; Schema: public; Owner: -

CREATE FUNCTION public.report_top_endpoints(p_from timestamp with time zone, p_to timestamp with time zone, p_user text DEFAULT NULL::text) RETURNS TABLE(endpoint text, connections bigint, users bigint, first_seen timestamp with time zone, last_seen timestamp with time zone)
    LANGUAGE sql STABLE
    AS $$
    SELECT e.address::text, count(*), count(DISTINCT l.user_id), min(l."timestamp"), max(l."timestamp")
    FROM logs l JOIN endpoints e ON e.id = l.destination_id
    WHERE l."timestamp" >= p_from AND l."timestamp" < p_to
      AND (p_user IS NULL OR l.user_id = (SELECT s.id FROM users s WHERE s.email = p_user))
    GROUP BY e.address
    ORDER BY count(*) DESC, e.address
$$;

-- Name: report_top_protocols(timestamp with time zone, timestamp with time zone, text); Type: FUNCTION; Schema: public; Owner: -

CREATE FUNCTION public.report_top_protocols(p_from timestamp with time zone, p_to timestamp with time zone, p_user text DEFAULT NULL::text) RETURNS TABLE(protocol text, connections bigint, users bigint, percent numeric)
    LANGUAGE sql STABLE
    AS $$
    SELECT p.name::text, count(*), count(DISTINCT l.user_id), round(100.0 * count(*) / sum(count(*)) OVER (), 2)
    FROM logs l LEFT JOIN protocols p ON p.id = l.protocol_id
    WHERE l."timestamp" >= p_from AND l."timestamp" < p_to
      AND (p_user IS NULL OR l.user_id = (SELECT s.id FROM users s WHERE s.email = p_user))
    GROUP BY p.name
    ORDER BY count(*) DESC, p.name
$$;

-- Name: report_user_activity(timestamp with time zone, timestamp with time zone, interval, text); Type: FUNCTION; Schema: public; Owner: -

CREATE FUNCTION public.report_user_activity(p_from timestamp with time zone, p_to timestamp with time zone, p_bucket interval DEFAULT '01:00:00'::interval, p_user text DEFAULT NULL::text) RETURNS TABLE(email text, period_start timestamp with time zone, connections bigint, endpoints bigint, source_ips bigint)
    LANGUAGE sql STABLE
    AS $$
    SELECT u.email::text,
           to_timestamp(floor(extract(epoch FROM l."timestamp") / extract(epoch FROM p_bucket)) * extract(epoch FROM p_bucket)),
           count(*), count(DISTINCT l.destination_id), count(DISTINCT l.source_ip)
    FROM logs l JOIN users u ON u.id = l.user_id
    WHERE l."timestamp" >= p_from AND l."timestamp" < p_to AND (p_user IS NULL OR u.email = p_user)
    GROUP BY 1, 2
    ORDER BY 1, 2
$$;

-- Name: report_user_sessions(timestamp with time zone, timestamp with time zone, interval, text); Type: FUNCTION; Schema: public; Owner: -

CREATE FUNCTION public.report_user_sessions(p_from timestamp with time zone, p_to timestamp with time zone, p_gap interval DEFAULT '00:30:00'::interval, p_user text DEFAULT NULL::text) RETURNS TABLE(email text, session integer, started_at timestamp with time zone, ended_at timestamp with time zone, duration interval, connections bigint, source_ips bigint, endpoints bigint)
    LANGUAGE sql STABLE
    AS $$
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

-- Name: report_users_per_ip(timestamp with time zone, timestamp with time zone, text); Type: FUNCTION; Schema: public; Owner: -

CREATE FUNCTION public.report_users_per_ip(p_from timestamp with time zone, p_to timestamp with time zone, p_user text DEFAULT NULL::text) RETURNS TABLE(source_ip text, users bigint, connections bigint, first_seen timestamp with time zone, last_seen timestamp with time zone, emails text)
    LANGUAGE sql STABLE
    AS $$
    SELECT host(l.source_ip), count(DISTINCT l.user_id), count(*), min(l."timestamp"), max(l."timestamp"),
           string_agg(DISTINCT u.email::text, ', ' ORDER BY u.email::text)
    FROM logs l LEFT JOIN users u ON u.id = l.user_id
    WHERE l."timestamp" >= p_from AND l."timestamp" < p_to
      AND (p_user IS NULL OR l.source_ip IN (SELECT x.source_ip FROM logs x JOIN users s ON s.id = x.user_id
                                             WHERE s.email = p_user AND x."timestamp" >= p_from AND x."timestamp" < p_to))
    GROUP BY l.source_ip
    ORDER BY count(DISTINCT l.user_id) DESC, count(*) DESC, l.source_ip
$$;

-- Name: xraysink_create_partition(date); Type: FUNCTION; Schema: public; Owner: -

CREATE FUNCTION public.xraysink_create_partition(day date) RETURNS text
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    part text := 'logs_' || to_char(day, 'YYYY_MM_DD');
    acl record;
BEGIN
    IF day IS NULL THEN
        RAISE EXCEPTION 'day must not be NULL';
    END IF;
    EXECUTE format('CREATE TABLE IF NOT EXISTS %s.%I PARTITION OF %s.logs FOR VALUES FROM (%L) TO (%L)',
        'public', part, 'public',
        to_char(day, 'YYYY-MM-DD') || ' 00:00:00+00', to_char(day + 1, 'YYYY-MM-DD') || ' 00:00:00+00');
    FOR acl IN
        SELECT a.privilege_type, a.grantee
        FROM pg_class c CROSS JOIN LATERAL aclexplode(c.relacl) a
        WHERE c.oid = 'public.logs'::regclass AND a.grantee <> c.relowner
    LOOP
        EXECUTE format('GRANT %s ON TABLE %s.%I TO %s', acl.privilege_type, 'public', part,
            CASE WHEN acl.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(acl.grantee)) END);
    END LOOP;
    RETURN part;
END
$$;

-- Name: xraysink_drop_partition(date); Type: FUNCTION; Schema: public; Owner: -

CREATE FUNCTION public.xraysink_drop_partition(day date) RETURNS boolean
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET "TimeZone" TO 'UTC'
    SET "DateStyle" TO 'ISO, YMD'
    SET lock_timeout TO '30s'
    AS $$
DECLARE
    parent oid := 'public.logs'::regclass;
    part text := 'logs_' || to_char(day, 'YYYY_MM_DD');
    child oid;
BEGIN
    IF day IS NULL THEN
        RAISE EXCEPTION 'day must not be NULL';
    END IF;
    IF (day + 1)::timestamp AT TIME ZONE 'UTC' > now() THEN
        RAISE EXCEPTION 'refusing to drop %: its day has not ended yet', part;
    END IF;
    PERFORM pg_advisory_xact_lock(6364221075333139970);
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
    EXECUTE format('ALTER TABLE %s.logs DETACH PARTITION %s', 'public', child::regclass);
    EXECUTE format('DROP TABLE %s', child::regclass);
    RETURN true;
END
$$;

SET default_tablespace = '';

SET default_table_access_method = heap;

-- Name: dead_letters; Type: TABLE; Schema: public; Owner: -

CREATE TABLE public.dead_letters (
    id bigint NOT NULL,
    received_at timestamp with time zone NOT NULL,
    peer inet,
    reason text NOT NULL,
    raw text NOT NULL
);

-- Name: dead_letters_id_seq; Type: SEQUENCE; Schema: public; Owner: -

CREATE SEQUENCE public.dead_letters_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

-- Name: dead_letters_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -

ALTER SEQUENCE public.dead_letters_id_seq OWNED BY public.dead_letters.id;

-- Name: endpoints; Type: TABLE; Schema: public; Owner: -

CREATE TABLE public.endpoints (
    id integer NOT NULL,
    address character varying(255) NOT NULL
);

-- Name: endpoints_id_seq; Type: SEQUENCE; Schema: public; Owner: -

CREATE SEQUENCE public.endpoints_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

-- Name: endpoints_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -

ALTER SEQUENCE public.endpoints_id_seq OWNED BY public.endpoints.id;

-- Name: import_files; Type: TABLE; Schema: public; Owner: -

CREATE TABLE public.import_files (
    sha256 text NOT NULL,
    file_name text NOT NULL,
    lines_total bigint NOT NULL,
    lines_committed bigint NOT NULL,
    started_at timestamp with time zone NOT NULL,
    updated_at timestamp with time zone NOT NULL
);

-- Name: logs; Type: TABLE; Schema: public; Owner: -

CREATE TABLE public.logs (
    id bigint NOT NULL,
    "timestamp" timestamp with time zone NOT NULL,
    source_ip inet NOT NULL,
    source_port integer NOT NULL,
    action character varying(50),
    protocol_id integer,
    destination_id integer,
    destination_port integer,
    inbound_tag_id integer,
    outbound_tag_id integer,
    user_id integer
)
PARTITION BY RANGE ("timestamp");

-- Name: logs_id_seq; Type: SEQUENCE; Schema: public; Owner: -

CREATE SEQUENCE public.logs_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

-- Name: logs_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -

ALTER SEQUENCE public.logs_id_seq OWNED BY public.logs.id;

-- Name: logs_2026_11_30; Type: TABLE; Schema: public; Owner: -

CREATE TABLE public.logs_2026_11_30 (
    id bigint DEFAULT nextval('public.logs_id_seq'::regclass) NOT NULL,
    "timestamp" timestamp with time zone NOT NULL,
    source_ip inet NOT NULL,
    source_port integer NOT NULL,
    action character varying(50),
    protocol_id integer,
    destination_id integer,
    destination_port integer,
    inbound_tag_id integer,
    outbound_tag_id integer,
    user_id integer
);

-- Name: logs_2026_12_01; Type: TABLE; Schema: public; Owner: -

CREATE TABLE public.logs_2026_12_01 (
    id bigint DEFAULT nextval('public.logs_id_seq'::regclass) NOT NULL,
    "timestamp" timestamp with time zone NOT NULL,
    source_ip inet NOT NULL,
    source_port integer NOT NULL,
    action character varying(50),
    protocol_id integer,
    destination_id integer,
    destination_port integer,
    inbound_tag_id integer,
    outbound_tag_id integer,
    user_id integer
);

-- Name: protocols; Type: TABLE; Schema: public; Owner: -

CREATE TABLE public.protocols (
    id integer NOT NULL,
    name character varying(10) NOT NULL
);

-- Name: tags; Type: TABLE; Schema: public; Owner: -

CREATE TABLE public.tags (
    id integer NOT NULL,
    name character varying(100) NOT NULL
);

-- Name: users; Type: TABLE; Schema: public; Owner: -

CREATE TABLE public.users (
    id integer NOT NULL,
    email character varying(255) NOT NULL
);

-- Name: logs_readable; Type: VIEW; Schema: public; Owner: -

CREATE VIEW public.logs_readable AS
 SELECT l.id,
    l."timestamp",
    l.source_ip,
    l.source_port,
    l.action,
    p.name AS protocol,
    e.address AS destination,
    l.destination_port,
    ti.name AS inbound_tag,
    tou.name AS outbound_tag,
    u.email
   FROM (((((public.logs l
     LEFT JOIN public.protocols p ON ((p.id = l.protocol_id)))
     LEFT JOIN public.endpoints e ON ((e.id = l.destination_id)))
     LEFT JOIN public.tags ti ON ((ti.id = l.inbound_tag_id)))
     LEFT JOIN public.tags tou ON ((tou.id = l.outbound_tag_id)))
     LEFT JOIN public.users u ON ((u.id = l.user_id)));

-- Name: protocols_id_seq; Type: SEQUENCE; Schema: public; Owner: -

CREATE SEQUENCE public.protocols_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

-- Name: protocols_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -

ALTER SEQUENCE public.protocols_id_seq OWNED BY public.protocols.id;

-- Name: spool_checkpoints; Type: TABLE; Schema: public; Owner: -

CREATE TABLE public.spool_checkpoints (
    collector_id text NOT NULL,
    sequence bigint NOT NULL,
    updated_at timestamp with time zone NOT NULL
);

-- Name: tags_id_seq; Type: SEQUENCE; Schema: public; Owner: -

CREATE SEQUENCE public.tags_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

-- Name: tags_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -

ALTER SEQUENCE public.tags_id_seq OWNED BY public.tags.id;

-- Name: users_id_seq; Type: SEQUENCE; Schema: public; Owner: -

CREATE SEQUENCE public.users_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

-- Name: users_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -

ALTER SEQUENCE public.users_id_seq OWNED BY public.users.id;

-- Name: logs_2026_11_30; Type: TABLE ATTACH; Schema: public; Owner: -

ALTER TABLE ONLY public.logs ATTACH PARTITION public.logs_2026_11_30 FOR VALUES FROM ('2026-11-30 00:00:00+00') TO ('2026-12-01 00:00:00+00');

-- Name: logs_2026_12_01; Type: TABLE ATTACH; Schema: public; Owner: -

ALTER TABLE ONLY public.logs ATTACH PARTITION public.logs_2026_12_01 FOR VALUES FROM ('2026-12-01 00:00:00+00') TO ('2026-12-02 00:00:00+00');

-- Name: dead_letters id; Type: DEFAULT; Schema: public; Owner: -

ALTER TABLE ONLY public.dead_letters ALTER COLUMN id SET DEFAULT nextval('public.dead_letters_id_seq'::regclass);

-- Name: endpoints id; Type: DEFAULT; Schema: public; Owner: -

ALTER TABLE ONLY public.endpoints ALTER COLUMN id SET DEFAULT nextval('public.endpoints_id_seq'::regclass);

-- Name: logs id; Type: DEFAULT; Schema: public; Owner: -

ALTER TABLE ONLY public.logs ALTER COLUMN id SET DEFAULT nextval('public.logs_id_seq'::regclass);

-- Name: protocols id; Type: DEFAULT; Schema: public; Owner: -

ALTER TABLE ONLY public.protocols ALTER COLUMN id SET DEFAULT nextval('public.protocols_id_seq'::regclass);

-- Name: tags id; Type: DEFAULT; Schema: public; Owner: -

ALTER TABLE ONLY public.tags ALTER COLUMN id SET DEFAULT nextval('public.tags_id_seq'::regclass);

-- Name: users id; Type: DEFAULT; Schema: public; Owner: -

ALTER TABLE ONLY public.users ALTER COLUMN id SET DEFAULT nextval('public.users_id_seq'::regclass);

-- Name: dead_letters dead_letters_pkey; Type: CONSTRAINT; Schema: public; Owner: -

ALTER TABLE ONLY public.dead_letters
    ADD CONSTRAINT dead_letters_pkey PRIMARY KEY (id);

-- Name: endpoints endpoints_address_key; Type: CONSTRAINT; Schema: public; Owner: -

ALTER TABLE ONLY public.endpoints
    ADD CONSTRAINT endpoints_address_key UNIQUE (address);

-- Name: endpoints endpoints_pkey; Type: CONSTRAINT; Schema: public; Owner: -

ALTER TABLE ONLY public.endpoints
    ADD CONSTRAINT endpoints_pkey PRIMARY KEY (id);

-- Name: import_files import_files_pkey; Type: CONSTRAINT; Schema: public; Owner: -

ALTER TABLE ONLY public.import_files
    ADD CONSTRAINT import_files_pkey PRIMARY KEY (sha256);

-- Name: protocols protocols_name_key; Type: CONSTRAINT; Schema: public; Owner: -

ALTER TABLE ONLY public.protocols
    ADD CONSTRAINT protocols_name_key UNIQUE (name);

-- Name: protocols protocols_pkey; Type: CONSTRAINT; Schema: public; Owner: -

ALTER TABLE ONLY public.protocols
    ADD CONSTRAINT protocols_pkey PRIMARY KEY (id);

-- Name: spool_checkpoints spool_checkpoints_pkey; Type: CONSTRAINT; Schema: public; Owner: -

ALTER TABLE ONLY public.spool_checkpoints
    ADD CONSTRAINT spool_checkpoints_pkey PRIMARY KEY (collector_id);

-- Name: tags tags_name_key; Type: CONSTRAINT; Schema: public; Owner: -

ALTER TABLE ONLY public.tags
    ADD CONSTRAINT tags_name_key UNIQUE (name);

-- Name: tags tags_pkey; Type: CONSTRAINT; Schema: public; Owner: -

ALTER TABLE ONLY public.tags
    ADD CONSTRAINT tags_pkey PRIMARY KEY (id);

-- Name: users users_email_key; Type: CONSTRAINT; Schema: public; Owner: -

ALTER TABLE ONLY public.users
    ADD CONSTRAINT users_email_key UNIQUE (email);

-- Name: users users_pkey; Type: CONSTRAINT; Schema: public; Owner: -

ALTER TABLE ONLY public.users
    ADD CONSTRAINT users_pkey PRIMARY KEY (id);

-- Name: idx_logs_destination_id; Type: INDEX; Schema: public; Owner: -

CREATE INDEX idx_logs_destination_id ON ONLY public.logs USING btree (destination_id);

-- Name: idx_logs_source_ip; Type: INDEX; Schema: public; Owner: -

CREATE INDEX idx_logs_source_ip ON ONLY public.logs USING btree (source_ip);

-- Name: idx_logs_timestamp; Type: INDEX; Schema: public; Owner: -

CREATE INDEX idx_logs_timestamp ON ONLY public.logs USING btree ("timestamp");

-- Name: idx_logs_user_id; Type: INDEX; Schema: public; Owner: -

CREATE INDEX idx_logs_user_id ON ONLY public.logs USING btree (user_id);

-- Name: logs_2026_11_30_destination_id_idx; Type: INDEX; Schema: public; Owner: -

CREATE INDEX logs_2026_11_30_destination_id_idx ON public.logs_2026_11_30 USING btree (destination_id);

-- Name: logs_2026_11_30_source_ip_idx; Type: INDEX; Schema: public; Owner: -

CREATE INDEX logs_2026_11_30_source_ip_idx ON public.logs_2026_11_30 USING btree (source_ip);

-- Name: logs_2026_11_30_timestamp_idx; Type: INDEX; Schema: public; Owner: -

CREATE INDEX logs_2026_11_30_timestamp_idx ON public.logs_2026_11_30 USING btree ("timestamp");

-- Name: logs_2026_11_30_user_id_idx; Type: INDEX; Schema: public; Owner: -

CREATE INDEX logs_2026_11_30_user_id_idx ON public.logs_2026_11_30 USING btree (user_id);

-- Name: logs_2026_12_01_destination_id_idx; Type: INDEX; Schema: public; Owner: -

CREATE INDEX logs_2026_12_01_destination_id_idx ON public.logs_2026_12_01 USING btree (destination_id);

-- Name: logs_2026_12_01_source_ip_idx; Type: INDEX; Schema: public; Owner: -

CREATE INDEX logs_2026_12_01_source_ip_idx ON public.logs_2026_12_01 USING btree (source_ip);

-- Name: logs_2026_12_01_timestamp_idx; Type: INDEX; Schema: public; Owner: -

CREATE INDEX logs_2026_12_01_timestamp_idx ON public.logs_2026_12_01 USING btree ("timestamp");

-- Name: logs_2026_12_01_user_id_idx; Type: INDEX; Schema: public; Owner: -

CREATE INDEX logs_2026_12_01_user_id_idx ON public.logs_2026_12_01 USING btree (user_id);

-- Name: logs_2026_11_30_destination_id_idx; Type: INDEX ATTACH; Schema: public; Owner: -

ALTER INDEX public.idx_logs_destination_id ATTACH PARTITION public.logs_2026_11_30_destination_id_idx;

-- Name: logs_2026_11_30_source_ip_idx; Type: INDEX ATTACH; Schema: public; Owner: -

ALTER INDEX public.idx_logs_source_ip ATTACH PARTITION public.logs_2026_11_30_source_ip_idx;

-- Name: logs_2026_11_30_timestamp_idx; Type: INDEX ATTACH; Schema: public; Owner: -

ALTER INDEX public.idx_logs_timestamp ATTACH PARTITION public.logs_2026_11_30_timestamp_idx;

-- Name: logs_2026_11_30_user_id_idx; Type: INDEX ATTACH; Schema: public; Owner: -

ALTER INDEX public.idx_logs_user_id ATTACH PARTITION public.logs_2026_11_30_user_id_idx;

-- Name: logs_2026_12_01_destination_id_idx; Type: INDEX ATTACH; Schema: public; Owner: -

ALTER INDEX public.idx_logs_destination_id ATTACH PARTITION public.logs_2026_12_01_destination_id_idx;

-- Name: logs_2026_12_01_source_ip_idx; Type: INDEX ATTACH; Schema: public; Owner: -

ALTER INDEX public.idx_logs_source_ip ATTACH PARTITION public.logs_2026_12_01_source_ip_idx;

-- Name: logs_2026_12_01_timestamp_idx; Type: INDEX ATTACH; Schema: public; Owner: -

ALTER INDEX public.idx_logs_timestamp ATTACH PARTITION public.logs_2026_12_01_timestamp_idx;

-- Name: logs_2026_12_01_user_id_idx; Type: INDEX ATTACH; Schema: public; Owner: -

ALTER INDEX public.idx_logs_user_id ATTACH PARTITION public.logs_2026_12_01_user_id_idx;

-- Name: logs logs_destination_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -

ALTER TABLE public.logs
    ADD CONSTRAINT logs_destination_id_fkey FOREIGN KEY (destination_id) REFERENCES public.endpoints(id);

-- Name: logs logs_inbound_tag_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -

ALTER TABLE public.logs
    ADD CONSTRAINT logs_inbound_tag_id_fkey FOREIGN KEY (inbound_tag_id) REFERENCES public.tags(id);

-- Name: logs logs_outbound_tag_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -

ALTER TABLE public.logs
    ADD CONSTRAINT logs_outbound_tag_id_fkey FOREIGN KEY (outbound_tag_id) REFERENCES public.tags(id);

-- Name: logs logs_protocol_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -

ALTER TABLE public.logs
    ADD CONSTRAINT logs_protocol_id_fkey FOREIGN KEY (protocol_id) REFERENCES public.protocols(id);

-- Name: logs logs_user_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -

ALTER TABLE public.logs
    ADD CONSTRAINT logs_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.users(id);


-- Bookkeeping rows of that version.
INSERT INTO public.spool_checkpoints (collector_id, sequence, updated_at) VALUES ('collector-a', 41, '2026-12-01 09:00:00+00');
INSERT INTO public.import_files (sha256, file_name, lines_total, lines_committed, started_at, updated_at)
VALUES ('00ff', 'access.log.1', 10, 10, '2026-12-01 09:00:00+00', '2026-12-01 09:01:00+00');
