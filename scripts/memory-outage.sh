#!/usr/bin/env bash
# Memory with the database down (outside CI): starts the daemon on a private PostgreSQL, stops PostgreSQL, sends
# --lines access lines of --size bytes over plain TCP, and prints the daemon's peak RSS (VmHWM) and the spool size;
# then starts PostgreSQL again and prints what was stored once the spool has drained.
#   scripts/memory-outage.sh [--lines N (40000)] [--size BYTES (8000)] [-- extra daemon arguments]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=lib.sh
source "$here/lib.sh"
root="$(repo_root)"
ensure_dotnet

lines=40000
size=8000
extra=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --lines) lines=$2; shift 2 ;;
    --size) size=$2; shift 2 ;;
    --) shift; extra=("$@"); break ;;
    *) echo "usage: $0 [--lines N] [--size BYTES] [-- daemon arguments]" >&2; exit 2 ;;
  esac
done

work="$(mktemp -d /tmp/xraysink-memory.XXXXXX)"
chmod 755 "$work"  # the postgres user must reach its data directory inside
pgdir="$work/pg"
spool="$work/spool"
daemon_pid=""
cleanup() {
  [[ -n "$daemon_pid" ]] && kill "$daemon_pid" 2>/dev/null || true
  "$here/pg-local.sh" stop "$pgdir" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

conn="$("$here/pg-local.sh" start "$pgdir")"
pgport=$(cat "$pgdir/port")
psql_bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r | head -1)/psql"
sql() { "$psql_bin" -h 127.0.0.1 -p "$pgport" -U postgres -d memory -tAc "$1" 2>/dev/null; }
"$psql_bin" -h 127.0.0.1 -p "$pgport" -U postgres -d postgres -qc "CREATE DATABASE memory" >/dev/null

dotnet build "$root/src/XraySyslogSink" -c Release -v quiet -nologo >&2
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
dotnet "$root/src/XraySyslogSink/bin/Release/net10.0/xraysink.dll" \
  "--ConnectionStrings:Postgres=${conn/Database=postgres/Database=memory}" \
  --Listeners:Tcp=127.0.0.1:$port --Listeners:Udp= --Spool:Directory="$spool" --Metrics:Listen= \
  --Writer:RetryMaxDelay=00:00:02 --Xray:AcceptWindowBack=3650.00:00:00 "${extra[@]}" >"$work/daemon.log" 2>&1 &
daemon_pid=$!
for _ in $(seq 1 120); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.5; done
sleep 2
rss_kib() { awk -v k="$1" '$1 == k":" { print $2 }' "/proc/$daemon_pid/status"; }
echo "RSS before the outage: $(rss_kib VmRSS) KiB" >&2

"$here/pg-local.sh" stop "$pgdir" >/dev/null 2>&1
# Each line is a valid access line padded to --size bytes with a long user name (cut to its column on storage).
python3 - "$port" "$lines" "$size" <<'PY'
import socket, sys
port, lines, size = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
s = socket.create_connection(("127.0.0.1", port))
for n in range(lines):
    head = (f"2025/11/17 10:{n // 60 % 60:02d}:{n % 60:02d}.000000 from 10.{n // 60000 % 256}.{n // 250 % 240}.1:{1 + n % 60000} "
            f"accepted tcp:host{n % 5000}.example:443 [in >> out] email: user{n % 2000}")
    pad = max(0, size - len(head) - len("@example.com\n"))
    s.sendall((head + "x" * pad + "@example.com\n").encode())
s.shutdown(socket.SHUT_WR)
s.recv(1)
PY
sleep 3
echo "lines sent:          $lines x $size bytes, PostgreSQL down"
echo "peak RSS (VmHWM):    $(( $(rss_kib VmHWM) / 1024 )) MiB"
echo "RSS now:             $(( $(rss_kib VmRSS) / 1024 )) MiB"
echo "spool on disk:       $(du -sb "$spool" | cut -f1) bytes"

"$here/pg-local.sh" start "$pgdir" >/dev/null 2>&1
stored=0
for _ in $(seq 1 150); do
  stored=$(sql "SELECT (SELECT count(*) FROM logs) + (SELECT count(*) FROM dead_letters)")
  [[ "${stored:-0}" -ge "$lines" ]] && break
  sleep 2
done
echo "after PostgreSQL returned: $(sql "SELECT count(*) FROM logs") rows, $(sql "SELECT count(*) FROM dead_letters") dead letters"
echo "peak RSS over the whole run: $(( $(rss_kib VmHWM) / 1024 )) MiB"
kill -TERM "$daemon_pid"; wait "$daemon_pid" || true; daemon_pid=""
echo "errors logged:       $(grep -c ' ERROR ' "$work/daemon.log" || true)"
