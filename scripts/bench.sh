#!/usr/bin/env bash
# End-to-end throughput benchmark (outside CI). On a throwaway local PostgreSQL it
#  1. starts the daemon on a fresh database, sends N realistic xray lines over TCP (octet-counted) with the
#     load generator, polls count(*) until every row is committed and prints lines/s end to end;
#  2. loads the very same rows, already normalized, with psql \copy into an identical fresh schema (same DDL via
#     `xraysink migrate` with the same Schema options, same partitions, dimension tables pre-filled) and prints
#     that rate and the ratio sink/COPY;
#  3. prints the daemon's peak RSS (VmHWM);
#  4. UDP: a 3-second burst at --udp-rate datagrams/s (default 300000), drained into the database, loss
#     counted exactly from rows and from the kernel's drop counter of our socket; on loss it steps the rate
#     down and reports the highest burst rate without loss, and the rate the daemon's receive loops took;
#  5. latency: a fresh daemon fed a steady --latency-rate lines/s (default 10000) over TCP for --latency-seconds
#     (default 30); prints p50/p99 of xraysink_rows_commit_latency_seconds (receipt to commit, per row) from /metrics.
# Options:
#   --lines N              lines for the TCP run (default 1000000)
#   --no-fk                Schema:ForeignKeys=false (with the BRIN index): the trusting profile
#   --both-profiles        run the TCP part for the seed schema and for --no-fk, one after the other
#   --rss-10m              instead of the runs above: 10,000,000 lines to 10,000,000 distinct endpoints, peak RSS
#                          (with --lines N: N lines to N endpoints, a shorter run to iterate on)
#   --endpoints N          distinct endpoints (default 50000); --users N (default 5000)
#   --udp-rate R           burst target rate (default 300000; 0: only the drains); --no-udp skips the UDP part
#   --udp-buffer BYTES     Listeners:UdpReceiveBufferSize for the burst (default: the daemon's, 32 MiB)
#   --udp-senders N        sender sockets (threads) of the burst (default 2: one sender thread tops out near
#                          170,000 datagrams/s here, below the 300,000/s target)
#   --udp-sources M        source sockets per sender thread (default 8): M source ports, as many nodes would
#                          have, so that every SO_REUSEPORT receive socket of the daemon gets a share
#   --udp-only / --latency run only the UDP burst / only the latency part; --no-latency skips the latency part
#   --udp-drains K         how many times the receive loops' own rate is measured before the bursts (default 3)
#   --latency-rate R       lines/s of the latency run (default 10000); --latency-seconds S (default 30)
#   --repeat N             the TCP part N times per profile (alternating the profiles) and a closing headline with the
#                          median ratio and µs/row and every run's: on this machine one build's quiet runs differ by
#                          more than the ratio's margin (the COPY reference alone by 10–20 %)
#   --keep                 keep the work directory (logs, exported rows)
#   --trace                profile the daemon during the TCP send with dotnet-trace (the repository's tool manifest)
#                          and print its CPU by pipeline stage (scripts/trace-stages.py); in the UDP part, during
#                          the drains, the receive threads' user CPU by stage; the profiler's own cost
#                          inflates the CPU figures of that run, so take figures from a run without --trace
#   --trace-alloc          profile the daemon's allocations instead (dotnet-trace --profile gc-verbose: a sampled
#                          allocation tick with type and stack about every 100 KB) and print the top types and
#                          stacks in bytes per row and the collections by generation (tests/XraySyslogSink.AllocationSites)
#   --perf                 profile the daemon during the TCP run with perf (CPU samples, kernel and JIT included)
#                          and print its CPU by stage and by thread, while the sender ran and after (scripts/perf-stages.py)
#   --pg-activity          sample pg_stat_activity every 20 ms during the TCP run and print how often PostgreSQL had no
#                          COPY into logs running, and what its sessions did meanwhile (scripts/pg-activity.py)
#   --jit-list             list the methods the JIT compiled inside the TCP run (the runtime's perf map), by
#                          assembly, into the work directory (with --keep) and the ten largest on stderr
#   --daemon-env NAME=VALUE  an environment variable for the daemon only (repeatable), e.g. a runtime setting
#                          to measure: --daemon-env DOTNET_gcServer=1, --daemon-env DOTNET_GCgen0size=0x4000000
#   --daemon-dir DIR       run the daemon from DIR instead of publishing it as scripts/install.sh does (ReadyToRun)
#                          into the work directory: e.g. src/XraySyslogSink/bin/Release/net10.0 for the plain build
#   any --Key=Value        passed to the daemon (e.g. --Writer:BatchSize=20000)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=lib.sh
source "$here/lib.sh"
root="$(repo_root)"
ensure_dotnet
apt_install python3 procps >/dev/null

lines=1000000
profiles=(fk)
rss10m=0
endpoints=50000
users=5000
udp=1
udp_rate=300000
udp_senders=2
udp_sources=8
tcp=1
latency=1
latency_rate=10000
latency_seconds=30
udp_buffer=33554432
udp_drains=3
keep=0
repeat=1
trace=0
pg_activity=0
jit_list=0
daemon_args=()
daemon_env=()
daemon_dir=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --lines) lines=$2; lines_set=1; shift 2 ;;
    --no-fk) profiles=(nofk); shift ;;
    --both-profiles) profiles=(fk nofk); shift ;;
    --rss-10m) rss10m=1; shift ;;
    --endpoints) endpoints=$2; shift 2 ;;
    --users) users=$2; shift 2 ;;
    --udp-rate) udp_rate=$2; shift 2 ;;
    --no-udp) udp=0; shift ;;
    --udp-buffer) udp_buffer=$2; shift 2 ;;
    --udp-senders) udp_senders=$2; shift 2 ;;
    --udp-sources) udp_sources=$2; shift 2 ;;
    --udp-only) tcp=0; latency=0; shift ;;
    --udp-drains) udp_drains=$2; shift 2 ;;
    --latency) tcp=0; udp=0; shift ;;
    --no-latency) latency=0; shift ;;
    --latency-rate) latency_rate=$2; shift 2 ;;
    --latency-seconds) latency_seconds=$2; shift 2 ;;
    --keep) keep=1; shift ;;
    --repeat) repeat=$2; shift 2 ;;
    --trace) trace=1; shift ;;
    --trace-alloc) trace=2; shift ;;
    --perf) trace=3; daemon_env+=("DOTNET_PerfMapEnabled=1" "DOTNET_EnableWriteXorExecute=0"); shift ;;
    --daemon-env) daemon_env+=("$2"); shift 2 ;;
    --pg-activity) pg_activity=1; shift ;;
    --jit-list) jit_list=1; daemon_env+=("DOTNET_PerfMapEnabled=3"); shift ;;
    --daemon-dir) daemon_dir=$(cd "$2" && pwd); shift 2 ;;
    --*=*) daemon_args+=("$1"); shift ;;
    *) sed -n '2,48p' "$0" >&2; exit 2 ;;
  esac
done
if [[ $rss10m -eq 1 ]]; then
  # --lines N makes a shorter run of the same shape (N lines to N distinct endpoints), to iterate on.
  [[ ${lines_set:-0} -eq 1 ]] || lines=10000000
  endpoints=$lines
  udp=0
  latency=0
fi

work="$(mktemp -d /tmp/xraysink-bench.XXXXXX)"
chmod 755 "$work"  # the postgres user must reach its data directory and the exported files inside
pgdir="$work/pg"
daemon_pid=""
start_wall=""
rmem_before=$(sysctl -n net.core.rmem_max 2>/dev/null || echo "")
cleanup() {
  [[ -n "$daemon_pid" ]] && kill "$daemon_pid" 2>/dev/null && wait "$daemon_pid" 2>/dev/null || true
  # A larger --udp-buffer raised the host's net.core.rmem_max for this run only: put it back (scripts/install.sh, and
  # its test, take the value they find as the operator's).
  if [[ -n $rmem_before && $(sysctl -n net.core.rmem_max 2>/dev/null) != "$rmem_before" ]]; then
    sysctl -q -w net.core.rmem_max="$rmem_before" >/dev/null 2>&1 || true
  fi
  "$here/pg-local.sh" stop "$pgdir" >/dev/null 2>&1 || true
  if [[ $keep -eq 1 ]]; then echo "kept $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT

say() { echo "bench: $*" >&2; }
load() { awk '{print $1}' /proc/loadavg; }

# The daemon's default UDP receive buffer is 32 MiB; the kernel caps requests at rmem_max unless we are root.
raise_rmem_max "$udp_buffer"

conn="$("$here/pg-local.sh" start "$pgdir")"
pgport=$(cat "$pgdir/port")
psql_bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r | head -1)/psql"
psql_db() { local db=$1; shift; "$psql_bin" -h 127.0.0.1 -p "$pgport" -U postgres -d "$db" -v ON_ERROR_STOP=1 -qtA "$@"; }
create_db() { psql_db postgres -c "CREATE DATABASE $1" >/dev/null; }
conn_for() { echo "${conn/Database=postgres/Database=$1}"; }

# The daemon as scripts/install.sh publishes it (ReadyToRun), so the figures are the product's; --daemon-dir runs
# another build instead (an A/B between builds: a plain `dotnet build`'s bin/Release/net10.0, another publish).
if [[ -z $daemon_dir ]]; then
  say "publishing the daemon as scripts/install.sh does (Release, ReadyToRun)"
  daemon_dir="$work/daemon"
  publish_daemon "$daemon_dir" >&2
fi
say "building the load generator (Release)"
dotnet build "$root/tests/XraySyslogSink.LoadGenerator" -c Release -v quiet -nologo >&2
[[ $trace -eq 2 ]] && dotnet build "$root/tests/XraySyslogSink.AllocationSites" -c Release -v quiet -nologo >&2
daemon_dll="$daemon_dir/xraysink.dll"
[[ -f $daemon_dll ]] || { say "no xraysink.dll in $daemon_dir"; exit 2; }
loadgen=(dotnet "$root/tests/XraySyslogSink.LoadGenerator/bin/Release/net10.0/xraysink-loadgen.dll"
  --users "$users" --endpoints "$endpoints")
[[ $rss10m -eq 1 ]] && loadgen+=(--endpoint-mode sequential)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
# The metrics endpoint stays on (its cost belongs in the figures) on a free port of its own, so a collector
# already serving 127.0.0.1:9464 on this host does not stop this daemon.
metrics_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

now() { date +%s.%N; }
rate_of() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%.0f", n / s }'; }
tck=$(getconf CLK_TCK)
# CPU seconds (user+system) of a process: its own threads plus children it has reaped.
cpu_of() { awk -v t="$tck" '{ sub(/^.*\) /, ""); printf "%.2f", ($12 + $13 + $14 + $15) / t }' "/proc/$1/stat"; }
# CPU seconds of the whole PostgreSQL cluster: the postmaster, its exited children (reaped) and the live ones.
pg_cpu() {
  local pm total; pm=$(head -1 "$pgdir/data/postmaster.pid")
  total=$(cpu_of "$pm")
  for c in $(pgrep -P "$pm"); do
    [[ -r /proc/$c/stat ]] && total=$(awk -v a="$total" -v b="$(awk -v t="$tck" '{ sub(/^.*\) /, ""); print ($12 + $13) / t }' "/proc/$c/stat" 2>/dev/null || echo 0)" 'BEGIN { printf "%.2f", a + b }')
  done
  echo "$total"
}
hwm_mib() { awk '/VmHWM/ { printf "%.0f", $2 / 1024 }' "/proc/$1/status"; }

schema_args() {
  if [[ $1 == nofk ]]; then echo "--Schema:ForeignKeys=false --Schema:BrinTimestampIndex=true"; fi
}

# start_daemon DB PROFILE: a fresh daemon on DB with a fresh spool, listening on $port (TCP and UDP).
start_daemon() {
  local db=$1 profile=$2
  rm -rf "$work/spool-$db"
  # shellcheck disable=SC2046
  # The generated lines carry fixed 2025 dates: widen the live accept window so they all count as rows.
  env "${daemon_env[@]}" dotnet "$daemon_dll" "--ConnectionStrings:Postgres=$(conn_for "$db")" \
    --Listeners:Tcp=127.0.0.1:$port --Listeners:Udp=127.0.0.1:$port --Spool:Directory="$work/spool-$db" --Metrics:Listen=127.0.0.1:$metrics_port \
    --Xray:AcceptWindowBack=3650.00:00:00 $(schema_args "$profile") "${daemon_args[@]}" >"$work/daemon-$db.log" 2>&1 &
  daemon_pid=$!
  local started; started=$(now)
  for _ in $(seq 1 1200); do
    if grep -q "Listening for syslog on tcp" "$work/daemon-$db.log" 2>/dev/null; then
      start_wall=$(awk -v a="$(now)" -v b="$started" 'BEGIN { printf "%.2f", a - b }')
      return 0
    fi
    kill -0 "$daemon_pid" 2>/dev/null || { cat "$work/daemon-$db.log" >&2; say "daemon exited"; exit 1; }
    sleep 0.05
  done
  say "daemon did not start listening"; exit 1
}

stop_daemon() {
  kill -TERM "$daemon_pid" 2>/dev/null || true
  wait "$daemon_pid" 2>/dev/null || true
  daemon_pid=""
}

# wait_rows DB TARGET STALL_SECONDS: waits until TARGET rows are committed or nothing moves for STALL_SECONDS;
# prints the time the last progress was seen and count(*) of logs. Progress is polled on the collector's spool
# checkpoint (one sequence number per message, advanced in each batch's own transaction) through one
# persistent psql session: exact, and cheap enough to poll fifty times a second, where a count(*) of a growing
# table, or a new connection per poll, would itself load the database being measured. The loop forks nothing (the
# clock is $EPOCHREALTIME, the pause a read with a timeout), so polling that often costs the two cores next to
# nothing; at five polls a second the end of a run was seen on average 0.1 s late (up to 0.2 s), a tenth of a second
# counted against the sink's rate and not against the COPY's, which psql times exactly.
wait_rows() {
  local db=$1 target=$2 stall=$3 seq=0 last=-1 last_change pause
  coproc POLL { "$psql_bin" -h 127.0.0.1 -p "$pgport" -U postgres -d "$db" -qtA 2>/dev/null; }
  exec {pause}<> <(:)
  last_change=$EPOCHREALTIME
  while true; do
    echo "SELECT coalesce(max(sequence), 0) FROM spool_checkpoints;" >&"${POLL[1]}"
    read -r seq <&"${POLL[0]}"
    if [[ $seq != "$last" ]]; then last=$seq; last_change=$EPOCHREALTIME; fi
    if [[ ! -e $work/metrics-half-$db.txt && $seq -ge $((target / 2)) ]]; then
      # The runtime counters half-way: what the second half allocates is the steady state, the pools' first fill left out.
      curl -s "http://127.0.0.1:$metrics_port/metrics" >"$work/metrics-half-$db.txt" 2>/dev/null || true
      echo "$seq" >"$work/rows-half-$db.txt"
      [[ -n $daemon_pid ]] && cpu_of "$daemon_pid" >"$work/cpu-half-$db.txt"
    fi
    [[ $seq -ge $target ]] && break
    (( ${EPOCHREALTIME/./} - ${last_change/./} > stall * 1000000 )) && break
    read -rt 0.02 -u "$pause" || true
  done
  exec {pause}>&-
  echo "\\q" >&"${POLL[1]}"
  wait "$POLL_PID" 2>/dev/null || true
  echo "$last_change $(psql_db "$db" -c "SELECT count(*) FROM logs")"
}

# cache_hits: the dimension caches' hit rate so far, per dimension and overall, from the daemon's /metrics.
cache_hits() {
  python3 - "http://127.0.0.1:$metrics_port/metrics" <<'PY'
import re, sys, urllib.request
text = urllib.request.urlopen(sys.argv[1], timeout=10).read().decode()
counts = {}
for kind, dim, value in re.findall(r'^xraysink_dimension_cache_(hits|misses)_total\{[^}]*dimension="([^"]+)"[^}]*\} (\S+)', text, re.M):
    counts.setdefault(dim, {"hits": 0.0, "misses": 0.0})[kind] += float(value)
def rate(c):
    total = c["hits"] + c["misses"]
    return f"{100 * c['hits'] / total:.2f} %" if total else "n/a"
every = {"hits": sum(c["hits"] for c in counts.values()), "misses": sum(c["misses"] for c in counts.values())}
print(f"cache hit rate {rate(every)} (" + ", ".join(f"{d} {rate(c)}" for d, c in sorted(counts.items())) + ")")
PY
}

# trace_tool: the dotnet-trace assembly the repository's tool manifest pins, restored on first use.
trace_tool() {
  (cd "$root" && dotnet tool restore >/dev/null)
  local version; version=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["tools"]["dotnet-trace"]["version"])' "$root/dotnet-tools.json")
  find "${NUGET_PACKAGES:-$HOME/.nuget/packages}/dotnet-trace/$version" -name dotnet-trace.dll | head -1
}

# Autovacuum off for the two measured runs, back on after: the same rows need the same vacuum and analyze whoever
# wrote them, but the sink commits as it goes and the COPY once at the end, so an autovacuum worker of the sink's
# database ran inside the sink's window in one run (0.5 CPU s) and inside the COPY's in another (0.8 CPU s), a
# tenth of either figure. The latency run turns it on again, as a collector has it.
autovacuum() { psql_db postgres -c "ALTER SYSTEM SET autovacuum = $1" -c "SELECT pg_reload_conf()" >/dev/null; }

declare -A result ratio daemon_us
# run_tcp PROFILE [SUFFIX]: one sink run and its COPY reference; SUFFIX tells repeated runs' databases and files apart.
run_tcp() {
  local profile=$1 db="sink_$1${2:-}" copydb="copy_$1${2:-}"
  autovacuum off
  create_db "$db"
  # The days the sent lines fall in (the load generator's default start, 2025-06-30T23:59:35Z, crosses midnight) get
  # their partitions before the run, as the COPY's database does and as a live collector has today's and the next
  # days' (Schema:PrecreateDays, created ahead by the daemon's maintenance): creating a partition inside the measured
  # window is a cost of the bench's fixed dates, not of a collector's rows. Lines of later days still get theirs made
  # by the daemon as they come.
  # shellcheck disable=SC2046
  dotnet "$daemon_dll" migrate "--ConnectionStrings:Postgres=$(conn_for "$db")" --from 2025-06-30 --to 2025-07-01 $(schema_args "$profile") >/dev/null
  start_daemon "$db" "$profile"
  # A first /metrics scrape before any line, as a Prometheus scraping a live collector makes soon after its start:
  # the exporter's code is compiled at its first use, once per process, which is not a cost per row; in the run it
  # was 0.1–0.2 CPU s (docs/performance.md, "ReadyToRun and runtime settings"). Its CPU is printed apart; later
  # scrapes are cheap.
  local scrape_cpu0; scrape_cpu0=$(cpu_of "$daemon_pid")
  curl -s "http://127.0.0.1:$metrics_port/metrics" >"$work/metrics-start-$db.txt" 2>/dev/null || true
  local scrape_cpu; scrape_cpu=$(awk -v a="$(cpu_of "$daemon_pid")" -v b="$scrape_cpu0" 'BEGIN { printf "%.2f", a - b }')
  say "[$profile] sending $lines lines over TCP (load $(load))"
  local t0 t1 count pg0 pg1 daemon_cpu0 tracer=""
  if [[ $trace -eq 3 ]]; then
    apt_install linux-perf
    perf record -e cpu-clock -F 499 -g -k mono -p "$daemon_pid" -o "$work/perf-$db.data" >"$work/perf-$db.log" 2>&1 </dev/null &
    tracer=$!
    sleep 1
  elif [[ $trace -ne 0 ]]; then
    if [[ $trace -eq 1 ]]; then
      dotnet "$(trace_tool)" collect -p "$daemon_pid" --profile dotnet-sampled-thread-time \
        --format Speedscope -o "$work/trace-$db.nettrace" >"$work/trace-$db.log" 2>&1 </dev/null &
    else
      dotnet "$(trace_tool)" collect -p "$daemon_pid" --profile gc-verbose \
        -o "$work/trace-$db.nettrace" >"$work/trace-$db.log" 2>&1 </dev/null &
    fi
    tracer=$!
    sleep 3  # the session starts before the first line is sent
  fi
  # Start-up (JIT of the start path, migrations, spool open) is excluded: CPU is counted from here.
  daemon_cpu0=$(cpu_of "$daemon_pid")
  say "[$profile] start-up (JIT of the start path and warm-up, migrations, spool open): daemon CPU ${daemon_cpu0} s, of which the first /metrics scrape ${scrape_cpu} s; ${start_wall} s wall from launch to listening (polled every 50 ms)"
  grep -o "JIT warm-up[^\"]*" "$work/daemon-$db.log" | head -1 | sed "s/^/bench: [$profile] /" >&2 || true
  local jit_mark=0
  [[ $jit_list -eq 1 ]] && jit_mark=$(wc -l <"/tmp/perf-$daemon_pid.map")
  pg0=$(pg_cpu)
  local sampler=""
  if [[ $pg_activity -eq 1 ]]; then
    # One psql session reads a query every 20 ms; its own backend is left out of the samples.
    touch "$work/sampling"
    ( while [[ -e $work/sampling ]]; do
        echo "SELECT pid, state, wait_event_type, wait_event, left(regexp_replace(query, '\s+', ' ', 'g'), 40) FROM pg_stat_activity WHERE datname = '$db' AND backend_type = 'client backend' AND pid <> pg_backend_pid(); SELECT '--|' || extract(epoch FROM clock_timestamp());"
        sleep 0.02
      done ) | "$psql_bin" -h 127.0.0.1 -p "$pgport" -U postgres -d postgres -qtA -F'|' >"$work/activity-$db.txt" 2>/dev/null &
    sampler=$!
  fi
  t0=$(now)
  "${loadgen[@]}" --transport tcp-octet --lines "$lines" --target 127.0.0.1:$port >"$work/loadgen-$db.txt"
  local sender_end=$EPOCHREALTIME
  # The sink's window opens when the sender connects: the sender times itself from just before it connects to the
  # collector's close ("sent N lines … in S s"), so its process start and JIT (about 0.1 s here, which the COPY's
  # psql hardly has) stay out of the sink's figure.
  local send_start; send_start=$(awk -v e="$sender_end" -v t0="$t0" '/ in [0-9.]+ s:/ { for (i = 1; i < NF; i++) if ($(i + 1) == "s:") s = $i } END { printf "%.6f", (s > 0) ? e - s : t0 }' "$work/loadgen-$db.txt")
  local sent_at; sent_at=$(python3 -c 'import time; print(time.clock_gettime(time.CLOCK_MONOTONIC))')
  read -r t1 count < <(wait_rows "$db" "$lines" 60)
  if [[ -n $sampler ]]; then
    rm -f "$work/sampling"
    wait "$sampler" 2>/dev/null || true
    python3 "$here/pg-activity.py" "$work/activity-$db.txt" "$send_start" >&2
  fi
  local hwm; hwm=$(hwm_mib "$daemon_pid")
  local daemon_cpu_end; daemon_cpu_end=$(cpu_of "$daemon_pid")
  result[hits-$profile]="[$profile] $(cache_hits || echo 'cache hit rate n/a')"
  local daemon_cpu; daemon_cpu=$(awk -v a="$daemon_cpu_end" -v b="$daemon_cpu0" 'BEGIN { printf "%.2f", a - b }')
  pg1=$(pg_cpu)
  curl -s "http://127.0.0.1:$metrics_port/metrics" >"$work/metrics-$db.txt" 2>/dev/null || true
  if [[ -n $tracer ]]; then
    # SIGTERM, not SIGINT: a background job of a script ignores SIGINT. dotnet-trace then ends the session and converts.
    kill -TERM "$tracer" 2>/dev/null || true
    wait "$tracer" 2>/dev/null || true
    if [[ $trace -eq 3 ]]; then
      perf script -i "$work/perf-$db.data" -F comm,tid,time,ip,sym,dso 2>/dev/null \
        | python3 "$here/perf-stages.py" "$daemon_cpu" "$count" "$sent_at" >&2 || say "[$profile] no perf breakdown (see $work/perf-$db.log)"
    elif [[ $trace -eq 1 ]]; then
      python3 "$here/trace-stages.py" "$work/trace-$db.speedscope.json" "$daemon_cpu" "$count" >&2 || say "[$profile] no stage breakdown (see $work/trace-$db.log)"
    else
      dotnet "$root/tests/XraySyslogSink.AllocationSites/bin/Release/net10.0/xraysink-alloc-sites.dll" \
        "$work/trace-$db.nettrace" "$count" >&2 || say "[$profile] no allocation sites (see $work/trace-$db.log)"
    fi
  fi
  if [[ $jit_list -eq 1 ]]; then
    # The perf map lists each compiled method once, in order: what follows the mark was compiled inside the run.
    tail -n +$((jit_mark + 1)) "/tmp/perf-$daemon_pid.map" | cut -d' ' -f3- >"$work/jit-in-run-$db.txt"
    say "[$profile] JIT in the run (perf map): $(wc -l <"$work/jit-in-run-$db.txt") entries after $jit_mark at start; by assembly:"
    # The assembly is the bracket before the method's Type::Name (the return type's comes first); stubs by kind.
    sed -E 's/^(stub [A-Za-z]+).*/\1/; s/^.*\[([^]]+)\] [^ ]+::.*/\1/' "$work/jit-in-run-$db.txt" | sort | uniq -c | sort -rn | head -12 >&2
  fi
  local sink_seconds; sink_seconds=$(awk -v a="$t1" -v b="$send_start" 'BEGIN { print a - b }')
  say "[$profile] $(cat "$work/loadgen-$db.txt"); the sender connected $(awk -v a="$send_start" -v b="$t0" 'BEGIN { printf "%.2f", a - b }') s after its process started (left out)"
  stop_daemon
  [[ $count -eq $lines ]] || say "[$profile] WARNING: $count rows for $lines lines"
  local dead; dead=$(psql_db "$db" -c "SELECT count(*) FROM dead_letters")

  # The same rows, already normalized, exported from the sink's database (with their node, where the schema has
  # logs.node_id: the COPY then pays for the same reference as the sink).
  local columns='"timestamp", source_ip, source_port, action, protocol_id, destination_id, destination_port, inbound_tag_id, outbound_tag_id, user_id'
  local dimensions=(users protocols endpoints tags)
  if [[ $(psql_db "$db" -c "SELECT count(*) FROM information_schema.columns WHERE table_name = 'logs' AND column_name = 'node_id'") -eq 1 ]]; then
    columns+=', node_id'
    dimensions+=(nodes)
  fi
  for t in "${dimensions[@]}"; do
    psql_db "$db" -c "\\copy $t TO '$work/$t.csv' CSV"
  done
  psql_db "$db" -c "\\copy (SELECT $columns FROM logs ORDER BY id) TO '$work/logs.csv' CSV"
  psql_db "$db" -c "SELECT format('CREATE TABLE IF NOT EXISTS %I PARTITION OF logs %s;', c.relname, pg_get_expr(c.relpartbound, c.oid)) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'logs'::regclass" >"$work/partitions.sql"

  # An identical fresh schema: the daemon's own DDL with the same options, the same partitions, dimensions pre-filled.
  create_db "$copydb"
  # shellcheck disable=SC2046
  # The generated lines carry fixed 2025 dates: widen the live accept window so they all count as rows.
  dotnet "$daemon_dll" migrate "--ConnectionStrings:Postgres=$(conn_for "$copydb")" $(schema_args "$profile") >/dev/null
  psql_db "$copydb" -f "$work/partitions.sql" >/dev/null
  for t in "${dimensions[@]}"; do
    psql_db "$copydb" -c "\\copy $t FROM '$work/$t.csv' CSV"
    psql_db "$copydb" -c "SELECT setval(pg_get_serial_sequence('$t', 'id'), coalesce(max(id), 1)) FROM $t" >/dev/null
  done
  psql_db "$copydb" -c "VACUUM ANALYZE" >/dev/null
  psql_db "$copydb" -c "CHECKPOINT" >/dev/null
  say "[$profile] COPY of the same $count rows through psql (load $(load))"
  local c0 c1 cpg0 cpg1
  cpg0=$(pg_cpu)
  c0=$(now)
  psql_db "$copydb" -c "\\copy logs ($columns) FROM '$work/logs.csv' CSV"
  c1=$(now)
  sleep 1  # the psql backend's CPU counts once the postmaster has reaped it
  cpg1=$(pg_cpu)
  local copy_seconds; copy_seconds=$(awk -v a="$c1" -v b="$c0" 'BEGIN { print a - b }')
  local sink_rate copy_rate
  sink_rate=$(rate_of "$count" "$sink_seconds")
  copy_rate=$(rate_of "$count" "$copy_seconds")
  local pg_sink pg_copy
  pg_sink=$(awk -v a="$pg1" -v b="$pg0" 'BEGIN { printf "%.2f", a - b }')
  pg_copy=$(awk -v a="$cpg1" -v b="$cpg0" 'BEGIN { printf "%.2f", a - b }')
  # CPU µs per row (start-up excluded): what to compare between runs on a shared machine, where rates are noisy.
  per_row() { awk -v s="$1" -v n="$count" 'BEGIN { printf "%.2f", (n > 0) ? s * 1e6 / n : 0 }'; }
  result[$profile]=$(printf '%-6s rows %s (dead letters %s)  sink %s rows/s (%.1f s)  psql COPY %s rows/s (%.1f s)  ratio %s  peak RSS %s MiB  CPU s: daemon %s, PostgreSQL %s (sink run) / %s (COPY)  CPU µs/row: daemon %s, PostgreSQL %s (sink run) / %s (COPY)  load %s' \
    "$profile" "$count" "$dead" "$sink_rate" "$sink_seconds" "$copy_rate" "$copy_seconds" \
    "$(awk -v a="$sink_rate" -v b="$copy_rate" 'BEGIN { printf "%.2f", a / b }')" "$hwm" \
    "$daemon_cpu" "$pg_sink" "$pg_copy" "$(per_row "$daemon_cpu")" "$(per_row "$pg_sink")" "$(per_row "$pg_copy")" "$(load)")
  # The runtime's own counters from the daemon's metrics endpoint (start-up included): allocation and GC pauses.
  local gc; gc=$(awk -v n="$count" '
    /^dotnet_gc_heap_total_allocated_bytes_total/ { a = $NF }
    /^dotnet_gc_pause_time_seconds_total/ { p = $NF }
    /^dotnet_gc_collections_total.*gen2/ { g = $NF }
    END { printf "allocated %.0f B/row, GC pauses %.2f s, %d gen2 collections", (n > 0) ? a / n : 0, p, g }' "$work/metrics-$db.txt" 2>/dev/null || true)
  result[$profile]+="  ${gc}"
  local half_rows=""
  if [[ -s $work/metrics-half-$db.txt ]]; then
    half_rows=$(cat "$work/rows-half-$db.txt")
    result[$profile]+=$(awk -v n="$count" -v h="$half_rows" '
      FNR == 1 { f++ }
      /^dotnet_gc_heap_total_allocated_bytes_total/ { a[f] = $NF }
      /^dotnet_gc_collections_total.*gen2/ { g[f] = $NF }
      END { if (n > h) printf ", second half %.0f B/row and %d gen2", (a[2] - a[1]) / (n - h), g[2] - g[1] }' \
      "$work/metrics-half-$db.txt" "$work/metrics-$db.txt" 2>/dev/null || true)
    # The daemon's CPU over the second half: the JIT's tier-up of the hot paths falls in the first. In a run where
    # the sender outpaces the database the second half is mostly replay, parsing and writing, so this is not the
    # whole path's cost per row; compare it between runtime settings, not against the end-to-end figure.
    [[ -s $work/cpu-half-$db.txt ]] && result[$profile]+=$(awk -v a="$daemon_cpu_end" -v b="$(cat "$work/cpu-half-$db.txt")" \
      -v n="$count" -v h="$half_rows" 'BEGIN { if (n > h) printf ", second-half daemon CPU %.2f µs/row", (a - b) * 1e6 / (n - h) }')
  fi
  # The JIT inside the run (methods compiled at first use after the first scrape) and over the second half, from the
  # runtime's counters: what ReadyToRun and the tiering settings change (docs/performance.md, "ReadyToRun and
  # runtime settings").
  result[$profile]+=$(awk '
    FNR == 1 { f++ }
    /^dotnet_jit_compiled_methods/ { m[f] = $NF }
    /^dotnet_jit_compilation_time/ { t[f] = $NF }
    END {
      printf ", JIT in the run %d methods in %.2f s", m[f] - m[1], t[f] - t[1]
      if (f == 3) printf " (second half %d methods in %.2f s)", m[3] - m[2], t[3] - t[2]
    }' "$work/metrics-start-$db.txt" ${half_rows:+"$work/metrics-half-$db.txt"} "$work/metrics-$db.txt" 2>/dev/null || true)
  ratio[$profile]=$(awk -v a="$sink_rate" -v b="$copy_rate" 'BEGIN { printf "%.2f", a / b }')
  daemon_us[$profile]=$(per_row "$daemon_cpu")
  say "${result[$profile]}"
  psql_db postgres -c "DROP DATABASE $copydb" >/dev/null
  rm -f "$work"/*.csv
}

# udp_burst RATE FIRST: one 3-second burst; prints "sent rows kernel_drops app_drops achieved_rate".
udp_drops_kernel() {
  local hexport; hexport=$(printf '%04X' "$port")
  awk -v p=":$hexport" 'FNR > 1 && substr($2, length($2) - 4) == p { d += $13 } END { print d + 0 }' /proc/net/udp /proc/net/udp6 2>/dev/null
}
# receive_rate SECONDS: polls the daemon's UDP received counter every 50 ms while it moves (at most SECONDS);
# prints "datagrams seconds": how many the receive loops took between the first and the last change.
receive_rate() {
  python3 - "http://127.0.0.1:$metrics_port/metrics" "$1" <<'PY'
import sys, time, urllib.request
url, limit = sys.argv[1], float(sys.argv[2])
key = 'xraysink_messages_received_total{otel_scope_name="XraySyslogSink",transport="udp"} '
def read():
    text = urllib.request.urlopen(url, timeout=10).read().decode()
    return float(next((l[len(key):].split()[0] for l in text.splitlines() if l.startswith(key)), 0))
start = time.monotonic(); base = read(); last = base; first_t = last_t = None
while time.monotonic() - start < limit:
    time.sleep(0.05)
    value, now = read(), time.monotonic()
    if value != last:
        first_t = first_t or now - 0.05
        last, last_t = value, now
    elif last_t is not None and now - last_t > 1.0:
        break
print(int(last - base), f"{(last_t - first_t) if last_t else 0:.3f}")
PY
}

udp_burst() {
  local rate=$1 first=$2 db=sink_udp n=$(( $1 * 3 )) before kernel_before out
  before=$(psql_db "$db" -c "SELECT count(*) FROM logs")
  kernel_before=$(udp_drops_kernel)
  receive_rate 30 >"$work/receive-rate.txt" &
  local poller=$!
  out=$("${loadgen[@]}" --transport udp --connections "$udp_senders" --udp-sources "$udp_sources" --lines "$n" --first "$first" --rate "$rate" --target 127.0.0.1:$port)
  wait "$poller" || true
  local t count; read -r t count < <(wait_rows "$db" $(( before + n )) 15)
  local rows=$(( count - before )) kernel=$(( $(udp_drops_kernel) - kernel_before ))
  local achieved; achieved=$(sed -n 's/.*: \([0-9]*\) lines\/s.*/\1/p' <<<"$out")
  local took seconds; read -r took seconds <"$work/receive-rate.txt"
  echo "$n $rows $kernel $achieved $(awk -v n="$took" -v s="$seconds" 'BEGIN { printf "%.0f", (s > 0 ? n / s : 0) }')"
}

# udp_drain RECEIVERS FIRST: the receive loops' own rate, without the sender competing for the cores: the daemon is
# stopped (SIGSTOP) while datagrams fill its sockets' receive buffers (about a KiB of buffer each), then continued;
# the drain ends when the kernel holds no datagram for the port any more (rx_queue of every socket in
# /proc/net/udp, polled every 2 ms: the daemon's own counters report in steps of up to 100 ms). The CPU the named
# receive threads (udp-receive-N) spent in that time, user and system apart, and the rest of the daemon's, come from
# /proc/PID/task. Prints "queued drained kernel_drops seconds recv_user_s recv_sys_s other_s recv_waited_s".
udp_drain() {
  local n=$(( udp_buffer / 1024 * $1 )) first=$2 db=sink_udp kernel_before
  kernel_before=$(udp_drops_kernel)
  kill -STOP "$daemon_pid"
  "${loadgen[@]}" --transport udp --connections "$udp_senders" --udp-sources "$udp_sources" --lines "$n" --first "$first" --target 127.0.0.1:$port >/dev/null
  local dropped=$(( $(udp_drops_kernel) - kernel_before ))
  local drained; drained=$(python3 - "$daemon_pid" "$port" "$tck" <<'PY'
import glob, os, signal, sys, time
pid, port, tck = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
suffix = ":%04X" % port
def queued():
    # rx_queue (bytes the kernel holds) of every socket bound to the port.
    total = 0
    for path in ("/proc/net/udp", "/proc/net/udp6"):
        try:
            lines = open(path).read().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            f = line.split()
            if f[1].endswith(suffix):
                total += int(f[4].split(":")[1], 16)
    return total
def ticks(path):
    text = open(path).read()
    f = text[text.rindex(")") + 2:].split()
    return text[text.index("(") + 1:text.rindex(")")], int(f[11]), int(f[12])
def cpu():
    # The receive threads' CPU to the nanosecond (schedstat) and how long they waited for a core; the user/system
    # split from their tick counts; the whole process (its exited threads included) from its own stat.
    recv_ns = recv_wait_ns = recv_user = recv_sys = 0
    for task in glob.glob(f"/proc/{pid}/task/*"):
        try:
            name, user, system = ticks(f"{task}/stat")
            if name.startswith("udp-receive-"):
                run, wait = (int(x) for x in open(f"{task}/schedstat").read().split()[:2])
                recv_ns += run; recv_wait_ns += wait; recv_user += user; recv_sys += system
        except OSError:
            continue
    _, user, system = ticks(f"/proc/{pid}/stat")
    return recv_ns / 1e9, recv_wait_ns / 1e9, recv_user / tck, recv_sys / tck, (user + system) / tck
before = cpu()
start = time.monotonic()
os.kill(pid, signal.SIGCONT)
while queued() > 0 and time.monotonic() - start < 60:
    time.sleep(0.002)
seconds = time.monotonic() - start
after = cpu()
run, wait, user, system, process = (a - b for a, b in zip(after, before))
# Split the precise run time by the tick counts' proportions (ticks alone are 10 ms steps).
user_share = user / (user + system) if user + system > 0 else 0.5
print(f"{seconds:.3f} {run * user_share:.4f} {run * (1 - user_share):.4f} {max(process - run, 0):.3f} {wait:.4f}")
PY
)
  wait_rows "$db" $(( first + n )) 15 >/dev/null
  echo "$n $(( n - dropped )) $dropped $drained"
}

run_udp() {
  local db=sink_udp
  create_db "$db"
  daemon_args+=("--Listeners:UdpReceiveBufferSize=$udp_buffer")
  start_daemon "$db" fk
  local receivers; receivers=$(grep -o '([0-9]* receive sockets' "$work/daemon-$db.log" | head -1 | tr -dc 0-9)
  # Warm-up (tiered JIT of the receive loops and the spool, pools, caches): 200,000 at 50,000/s, then a pause
  # for the background compiler to finish.
  local warm=200000
  "${loadgen[@]}" --transport udp --connections "$udp_senders" --udp-sources "$udp_sources" --lines "$warm" --first 0 --rate 50000 --target 127.0.0.1:$port >/dev/null
  wait_rows "$db" "$warm" 15 >/dev/null
  sleep 2
  local queued drained seconds dropped recv_user recv_sys other summary="" first=$warm tracer=""
  if [[ $trace -eq 1 ]]; then
    dotnet "$(trace_tool)" collect -p "$daemon_pid" --profile dotnet-sampled-thread-time \
      --format Speedscope -o "$work/trace-$db.nettrace" >"$work/trace-$db.log" 2>&1 </dev/null &
    tracer=$!
    sleep 3
  fi
  local drain_total=0 drain_cpu=0
  for d in $(seq 1 "$udp_drains"); do
    read -r queued drained dropped seconds recv_user recv_sys other waited < <(udp_drain "$receivers" "$first")
    first=$(( first + queued ))
    drain_total=$(( drain_total + drained ))
    drain_cpu=$(awk -v a="$drain_cpu" -v u="$recv_user" 'BEGIN { print a + u }')
    local drain; drain=$(printf 'udp receive loops alone, drain %s (%s receivers; %s datagrams queued while the daemon was stopped, %s kernel drops): took %s in %s s = %s datagrams/s; receive threads %s µs/datagram (user %s, system %s; waited for a core %s s), rest of the daemon %s µs/datagram  load %s' \
      "$d" "$receivers" "$queued" "$dropped" "$drained" "$seconds" "$(awk -v n="$drained" -v s="$seconds" 'BEGIN { printf "%.0f", (s > 0 ? n / s : 0) }')" \
      "$(awk -v n="$drained" -v u="$recv_user" -v s="$recv_sys" 'BEGIN { printf "%.2f", (u + s) * 1e6 / n }')" \
      "$(awk -v n="$drained" -v u="$recv_user" 'BEGIN { printf "%.2f", u * 1e6 / n }')" \
      "$(awk -v n="$drained" -v s="$recv_sys" 'BEGIN { printf "%.2f", s * 1e6 / n }')" "$waited" \
      "$(awk -v n="$drained" -v o="$other" 'BEGIN { printf "%.2f", o * 1e6 / n }')" "$(load)")
    say "$drain"
    summary+="$drain"$'\n'
  done
  if [[ -n $tracer ]]; then
    kill -TERM "$tracer" 2>/dev/null || true
    wait "$tracer" 2>/dev/null || true
    # The receive threads' user time by stage (their system time, the receive call's, is in the drain lines).
    local tids; tids=$(grep -l '^udp-receive-' /proc/"$daemon_pid"/task/*/comm | awk -F/ '{ print $5 }' | paste -sd,)
    python3 "$here/trace-stages.py" "$work/trace-$db.speedscope.json" "$drain_cpu" "$drain_total" --threads "$tids" --unit datagram >&2 \
      || say "no stage breakdown (see $work/trace-$db.log)"
  fi
  local best=0 rate=$udp_rate
  local rates=("$udp_rate" $(( udp_rate * 2 / 3 )) $(( udp_rate / 2 )) $(( udp_rate / 3 )) $(( udp_rate / 6 )))
  [[ $udp_rate -gt 0 ]] || rates=()
  for rate in "${rates[@]}"; do
    say "UDP burst: 3 s at $rate datagrams/s (load $(load))"
    local sent rows kernel achieved took
    read -r sent rows kernel achieved took < <(udp_burst "$rate" "$first")
    first=$(( first + sent ))
    local line; line=$(printf 'udp burst target %s/s (sent at %s/s, %s senders x %s sources): sent %s, rows %s, lost %s (kernel drops %s); receive loops took %s datagrams/s (%s receivers)' \
      "$rate" "$achieved" "$udp_senders" "$udp_sources" "$sent" "$rows" $(( sent - rows )) "$kernel" "$took" "$receivers")
    say "$line"
    summary+="$line"$'\n'
    if [[ $rows -eq $sent ]]; then best=$rate; break; fi
  done
  local app; app=$(grep -o 'udp dropped [0-9]* (kernel [0-9]*)' "$work/daemon-$db.log" | tail -1 || true)
  local hwm; hwm=$(hwm_mib "$daemon_pid")
  stop_daemon
  result[udp]="${summary}highest lossless 3-s burst: ${best} datagrams/s (daemon summary: ${app:-n/a}; peak RSS ${hwm} MiB)"
}

# run_latency: a steady rate over TCP into a fresh daemon; the commit-latency histogram's quantiles from /metrics.
# A warm-up first (the same line mix as fast as it goes, so the dimension values are known and the code is
# jitted), then the steady run; the quantiles are of the steady run alone (the histograms' difference).
run_latency() {
  local db=sink_latency n=$(( latency_rate * latency_seconds )) warm=200000
  autovacuum on
  create_db "$db"
  start_daemon "$db" fk
  say "latency: warm-up of $warm lines, then $n lines at $latency_rate lines/s over TCP (load $(load))"
  "${loadgen[@]}" --transport tcp-octet --lines "$warm" --target 127.0.0.1:$port >/dev/null
  wait_rows "$db" "$warm" 30 >/dev/null
  scrape_metrics() { python3 -c 'import sys, urllib.request; sys.stdout.write(urllib.request.urlopen(sys.argv[1], timeout=10).read().decode())' "http://127.0.0.1:$metrics_port/metrics"; }
  scrape_metrics >"$work/metrics-latency-before.txt"
  "${loadgen[@]}" --transport tcp-octet --lines "$n" --first "$warm" --rate "$latency_rate" --target 127.0.0.1:$port >"$work/loadgen-$db.txt"
  local t count; read -r t count < <(wait_rows "$db" $(( warm + n )) 30)
  scrape_metrics >"$work/metrics-latency-after.txt"
  local flush; flush=$(printf '%s\n' "${daemon_args[@]}" | sed -n 's/^--Writer:FlushInterval=//p' | tail -1)
  local quantiles; quantiles=$(python3 - "$work/metrics-latency-before.txt" "$work/metrics-latency-after.txt" <<'PY'
import sys
def histogram(path, name):
    buckets = {}
    for line in open(path).read().splitlines():
        if line.startswith(name + "_bucket{"):
            le = line.split('le="', 1)[1].split('"', 1)[0]
            buckets[float("inf") if le == "+Inf" else float(le)] = float(line.split("} ", 1)[1].split()[0])
    return buckets
def steady(name):
    before, after = histogram(sys.argv[1], name), histogram(sys.argv[2], name)
    return sorted((bound, count - before.get(bound, 0)) for bound, count in after.items())
def quantile(buckets, q):
    # Prometheus' histogram_quantile: linear within the bucket that holds the q-th observation.
    total = buckets[-1][1] if buckets else 0
    rank, lower, below = q * total, 0.0, 0.0
    for bound, count in buckets:
        if count >= rank:
            return lower if bound == float("inf") else lower + (bound - lower) * ((rank - below) / (count - below) if count > below else 0)
        lower, below = bound, count
    return float("nan")
rows = steady("xraysink_rows_commit_latency_seconds")
flush = steady("xraysink_flush_duration_seconds")
print(int(rows[-1][1]) if rows else 0, *(f"{quantile(h, q):.3f}" for h, q in ((rows, 0.5), (rows, 0.99), (flush, 0.5), (flush, 0.99))), int(flush[-1][1]) if flush else 0)
PY
)
  local rows p50 p99 f50 f99 batches; read -r rows p50 p99 f50 f99 batches <<<"$quantiles"
  stop_daemon
  result[latency]=$(printf 'latency at %s lines/s for %s s (%s): rows %s, receipt-to-commit p50 %s s, p99 %s s (Writer:FlushInterval %s; target p99 <= interval + 0.25 s); %s batches, flush p50 %s s, p99 %s s  load %s' \
    "$latency_rate" "$latency_seconds" "$(cat "$work/loadgen-$db.txt")" "$rows" "$p50" "$p99" "${flush:-00:00:01 (default)}" "$batches" "$f50" "$f99" "$(load)")
  say "${result[latency]}"
}

if [[ $rss10m -eq 1 ]]; then
  say "RSS run: $lines lines to $endpoints distinct endpoints"
  run_tcp fk
else
  if [[ $tcp -eq 1 ]]; then
    declare -A ratios cpus
    for r in $(seq 1 "$repeat"); do
      for p in "${profiles[@]}"; do
        if [[ $repeat -eq 1 ]]; then run_tcp "$p"; continue; fi
        run_tcp "$p" "_$r"
        result["$p run $r"]=${result[$p]}; result["hits-$p run $r"]=${result[hits-$p]}
        unset "result[$p]" "result[hits-$p]"
        ratios[$p]+="${ratio[$p]} "; cpus[$p]+="${daemon_us[$p]} "
      done
    done
  fi
  [[ $udp -eq 1 ]] && run_udp
  [[ $latency -eq 1 ]] && run_latency
fi

echo
echo "=== xraysink bench ($(nproc) cores, $(date -u +%FT%TZ), load $(cat /proc/loadavg | cut -d' ' -f1-3)) ==="
for k in "${!result[@]}"; do echo "${result[$k]}"; done
median() { tr ' ' '\n' | grep . | sort -g | awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2]; else printf "%.2f\n", (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
if [[ $repeat -gt 1 && $tcp -eq 1 ]]; then
  for k in "${profiles[@]}"; do
    echo "headline $k: median of $repeat runs: ratio sink/COPY $(median <<<"${ratios[$k]}") (runs: ${ratios[$k]% }), daemon CPU $(median <<<"${cpus[$k]}") µs/row (runs: ${cpus[$k]% })"
  done
else
  for k in "${!ratio[@]}"; do echo "headline $k: ratio sink/COPY ${ratio[$k]}, daemon CPU ${daemon_us[$k]} µs/row"; done
fi
