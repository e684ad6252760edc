-- Rows every fixture install holds before its upgrade; SchemaUpgradeTests checks that they survive it.
SET search_path = public;
INSERT INTO users (email) VALUES ('alice@example.com'), ('bob@example.com');
INSERT INTO protocols (name) VALUES ('tcp'), ('udp');
INSERT INTO endpoints (address) VALUES ('example.com'), ('1.1.1.1');
INSERT INTO tags (name) VALUES ('socks-in'), ('direct');
INSERT INTO logs ("timestamp", source_ip, source_port, action, protocol_id, destination_id, destination_port, inbound_tag_id, outbound_tag_id, user_id)
VALUES ('2026-11-30 10:00:00+00', '10.0.0.1', 50001, 'accepted', 1, 1, 443, 1, 2, 1),
       ('2026-11-30 23:59:59+00', '10.0.0.2', 50002, 'accepted', 2, 2, 53, 1, 2, 2),
       ('2026-12-01 00:00:00+00', '2001:db8::1', 50003, 'rejected', 1, 1, 443, 1, 2, NULL);
INSERT INTO dead_letters (received_at, peer, reason, raw) VALUES ('2026-12-01 08:00:00+00', '10.0.0.9', 'unparseable', 'garbage');
