#!/usr/bin/env bash
# Throwaway local PostgreSQL for tests and local runs.
#   scripts/pg-local.sh start <dir>   -> prints ONLY the connection string on stdout
#   scripts/pg-local.sh stop <dir>
# Trust auth on 127.0.0.1 only; data in <dir>/data, socket in <dir>, log in <dir>/postgres.log.
# XRAYSINK_PG_EXTRA_CONF: more server settings, e.g. "shared_preload_libraries = 'pg_stat_statements'".
set -euo pipefail

usage() {
    echo "usage: $0 start|stop|status <dir>" >&2
    exit 2
}

[[ $# -eq 2 ]] || usage
cmd=$1
mkdir -p "$2"
dir=$(cd "$2" && pwd)
data="$dir/data"
log="$dir/postgres.log"
port_file="$dir/port"
# pg_ctl run as postgres complains when it cannot enter the caller's cwd (e.g. /root).
cd "$dir"

# Everything except the connection string goes to stderr so callers can use $(...).
say() { echo "pg-local: $*" >&2; }

find_bin() {
    local d
    for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
        if [[ -x "$d/initdb" && -x "$d/pg_ctl" ]]; then
            echo "$d"
            return 0
        fi
    done
    return 1
}

ensure_bin() {
    if bin=$(find_bin); then
        return 0
    fi
    say "PostgreSQL binaries not found; installing the postgresql package"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update >&2
    apt-get install -y postgresql >&2
    bin=$(find_bin) || { say "initdb/pg_ctl still missing after install"; exit 1; }
}

# Runs a command as the postgres OS user when we are root (the server refuses to run as root).
as_pg() {
    if [[ $(id -u) -eq 0 ]]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

free_port() {
    python3 - <<'PY' 2>/dev/null && return 0
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()
PY
    # Fallback: probe random high ports with bash /dev/tcp until one refuses connections.
    local p
    for _ in $(seq 1 200); do
        p=$((20000 + RANDOM % 40000))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
            echo "$p"
            return 0
        fi
    done
    return 1
}

conn_string() {
    echo "Host=127.0.0.1;Port=$(cat "$port_file");Username=postgres;Database=postgres"
}

is_running() {
    [[ -f "$data/postmaster.pid" ]] && as_pg "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1
}

start() {
    ensure_bin
    if [[ $(id -u) -eq 0 ]]; then
        chown postgres: "$dir"
    fi

    if [[ ! -f "$data/PG_VERSION" ]]; then
        say "initdb into $data"
        rm -rf "$data"
        as_pg "$bin/initdb" -D "$data" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >&2 \
            || as_pg "$bin/initdb" -D "$data" -U postgres --auth=trust --encoding=UTF8 --locale=C >&2
        # Only loopback TCP with trust; no other hosts may connect. Members of xraysink_password_login (made by
        # the secret-handling tests) must give their password, so those tests see real password authentication.
        cat > "$data/pg_hba.conf" <<HBA
local   all all                                   trust
host    all +xraysink_password_login 127.0.0.1/32 scram-sha-256
host    all all                      127.0.0.1/32 trust
HBA
    fi

    if is_running && [[ -f "$port_file" ]]; then
        say "already running"
        conn_string
        return 0
    fi

    local port
    # A restart keeps the port (tests stop and start the server under a running daemon) when it is still free.
    if [[ -f "$port_file" ]] && port=$(cat "$port_file") && [[ -n "$port" ]] && ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
        say "reusing port $port"
    else
        port=$(free_port) || { say "no free port found"; exit 1; }
    fi
    echo "$port" > "$port_file"
    cat > "$data/postgresql.auto.conf" <<CONF
# Written by scripts/pg-local.sh
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir'
max_connections = 200
shared_buffers = 128MB
logging_collector = off
${XRAYSINK_PG_EXTRA_CONF:-}
CONF
    chown postgres: "$data/postgresql.auto.conf" 2>/dev/null || true
    touch "$log"
    [[ $(id -u) -eq 0 ]] && chown postgres: "$log" "$port_file"

    as_pg "$bin/pg_ctl" -D "$data" -l "$log" -w -t 60 start >&2 || { say "start failed; see $log"; tail -n 20 "$log" >&2; exit 1; }

    for _ in $(seq 1 60); do
        if "$bin/pg_isready" -q -h 127.0.0.1 -p "$port"; then
            conn_string
            return 0
        fi
        sleep 0.5
    done
    say "server did not become ready; see $log"
    exit 1
}

stop() {
    bin=$(find_bin) || { say "no PostgreSQL binaries"; exit 0; }
    if [[ -f "$data/postmaster.pid" ]]; then
        as_pg "$bin/pg_ctl" -D "$data" -m fast -w stop >&2 || true
    else
        say "not running"
    fi
}

case "$cmd" in
    start) start ;;
    stop) stop ;;
    status)
        bin=$(find_bin) || exit 1
        if is_running; then conn_string; else say "not running"; exit 1; fi
        ;;
    *) usage ;;
esac
