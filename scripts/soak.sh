#!/usr/bin/env bash
# Bounded soak (outside CI): the daemon takes a steady stream of access lines over plain TCP while its
# PostgreSQL is stopped for --outage seconds every two minutes. At the end it prints lines sent, rows written,
# duplicates, missing lines, the largest spool size and the daemon's RSS over time.
#   scripts/soak.sh [--minutes N (10)] [--rate LINES_PER_S (10000)] [--outage SECONDS (20)]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=lib.sh
source "$here/lib.sh"
root="$(repo_root)"
ensure_dotnet

minutes=10
rate=10000
outage=20
while [[ $# -gt 0 ]]; do
  case "$1" in
    --minutes) minutes=$2; shift 2 ;;
    --rate) rate=$2; shift 2 ;;
    --outage) outage=$2; shift 2 ;;
    *) echo "usage: $0 [--minutes N] [--rate LINES_PER_S] [--outage SECONDS]" >&2; exit 2 ;;
  esac
done

work="$(mktemp -d /tmp/xraysink-soak.XXXXXX)"
chmod 755 "$work"  # the postgres user must reach its data directory inside
pgdir="$work/pg"
spool="$work/spool"
daemon_pid=""
sender_pid=""
cleanup() {
  [[ -n "$sender_pid" ]] && kill "$sender_pid" 2>/dev/null || true
  [[ -n "$daemon_pid" ]] && kill "$daemon_pid" 2>/dev/null || true
  "$here/pg-local.sh" stop "$pgdir" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

conn="$("$here/pg-local.sh" start "$pgdir")"
pgport=$(cat "$pgdir/port")
psql_bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r | head -1)/psql"
sql() { "$psql_bin" -h 127.0.0.1 -p "$pgport" -U postgres -d soak -tAc "$1" 2>/dev/null; }
"$psql_bin" -h 127.0.0.1 -p "$pgport" -U postgres -d postgres -qc "CREATE DATABASE soak" >/dev/null

dotnet build "$root/src/XraySyslogSink" -c Release -v quiet -nologo >&2
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
# The metrics endpoint stays on (its cost belongs in the figures) on a free port of its own, so a collector
# already serving 127.0.0.1:9464 on this host does not stop this daemon.
metrics_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
# The soak lines carry a fixed 2025 date: the accept window is widened so they count as live rows.
dotnet "$root/src/XraySyslogSink/bin/Release/net10.0/xraysink.dll" \
  "--ConnectionStrings:Postgres=${conn/Database=postgres/Database=soak}" \
  --Listeners:Tcp=127.0.0.1:$port --Listeners:Udp= --Spool:Directory="$spool" --Metrics:Listen=127.0.0.1:$metrics_port \
  --Writer:RetryMaxDelay=00:00:02 --Xray:AcceptWindowBack=3650.00:00:00 >"$work/daemon.log" 2>&1 &
daemon_pid=$!
for _ in $(seq 1 120); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.5; done

# The sender: line n comes from 10.<n/60000 as two octets>:<1 + n%60000>, so (source_ip, source_port) names it.
python3 - "$port" "$rate" "$((minutes * 60))" "$work/sent" <<'PY' &
import os, socket, sys, time
port, rate, seconds, out = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
s = socket.create_connection(("127.0.0.1", port))
n, start, tick = 0, time.monotonic(), 0.01
def line(n):
    hi, lo = divmod(n // 60000, 256)
    return (f"2025/11/17 10:{n // 60 % 60:02d}:{n % 60:02d}.000000 from 10.{hi}.{lo}.1:{1 + n % 60000} accepted "
            f"tcp:host{n % 5000}.example:443 [in >> out] email: user{n % 2000}@example.com\n")
while time.monotonic() - start < seconds:
    due = int((time.monotonic() - start) * rate)
    if due > n:
        s.sendall("".join(line(i) for i in range(n, due)).encode())
        n = due
        with open(out + ".tmp", "w") as f:
            f.write(str(n))
        os.replace(out + ".tmp", out)
    time.sleep(tick)
s.shutdown(socket.SHUT_WR)
s.recv(1)
PY
sender_pid=$!

echo "soak: ${minutes} min at ${rate} lines/s, PostgreSQL down ${outage} s every 2 min; work dir $work" >&2
printf '%8s %10s %10s %12s %10s %s\n' "t(s)" "sent" "rows" "spool(B)" "rss(KiB)" "db" >&2
max_spool=0
started=$(date +%s)
next_outage=$((started + 120))
db="up"
while kill -0 "$sender_pid" 2>/dev/null; do
  sleep 10
  now=$(date +%s)
  if [[ "$db" == "up" && $now -ge $next_outage ]]; then
    "$here/pg-local.sh" stop "$pgdir" >/dev/null 2>&1; db="down"; down_at=$now
  elif [[ "$db" == "down" && $now -ge $((down_at + outage)) ]]; then
    "$here/pg-local.sh" start "$pgdir" >/dev/null 2>&1; db="up"; next_outage=$((now + 120))
  fi
  spool_bytes=$(du -sb "$spool" | cut -f1)
  (( spool_bytes > max_spool )) && max_spool=$spool_bytes
  rss=$(ps -o rss= -p "$daemon_pid" | tr -d ' ')
  rows=$([[ "$db" == "up" ]] && sql "SELECT count(*) FROM logs" || echo "-")
  printf '%8d %10s %10s %12d %10s %s\n' $((now - started)) "$(cat "$work/sent" 2>/dev/null || echo 0)" "$rows" "$spool_bytes" "$rss" "$db" >&2
done
[[ "$db" == "down" ]] && "$here/pg-local.sh" start "$pgdir" >/dev/null 2>&1
sent=$(cat "$work/sent")

# Drain: wait until the rows stop growing (at most 3 minutes), then stop the daemon cleanly.
rows=0
for _ in $(seq 1 90); do
  rows=$(sql "SELECT count(*) FROM logs")
  [[ "$rows" -ge "$sent" ]] && break
  sleep 2
done
kill -TERM "$daemon_pid"; wait "$daemon_pid" || true; daemon_pid=""
rows=$(sql "SELECT count(*) FROM logs")
distinct=$(sql "SELECT count(DISTINCT (source_ip, source_port)) FROM logs")
echo "lines sent:      $sent"
echo "rows written:    $rows"
echo "duplicates:      $((rows - distinct))"
echo "missing:         $((sent - distinct))"
echo "max spool size:  $max_spool bytes"
echo "spool at end:    $(du -sb "$spool" | cut -f1) bytes"
echo "errors logged:   $(grep -c ' ERROR ' "$work/daemon.log" || true)"
