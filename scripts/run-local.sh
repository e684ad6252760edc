#!/usr/bin/env bash
# Runs the daemon in the foreground against a throwaway local PostgreSQL that this script starts
# (and stops again on exit), listening for syslog on 127.0.0.1:5514 over UDP and TCP.
# Extra arguments go to the daemon, e.g. scripts/run-local.sh --Xray:TimeZone=Europe/Berlin
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=lib.sh
source "$here/lib.sh"
root="$(repo_root)"
ensure_dotnet
raise_rmem_max 33554432

pgdir="${XRAYSINK_PGDIR:-$root/.pgtmp/run-local}"
conn="$("$here/pg-local.sh" start "$pgdir")"
trap '"$here/pg-local.sh" stop "$pgdir" >/dev/null 2>&1 || true' EXIT
echo "PostgreSQL: $conn" >&2
echo "Query it:   psql \"\$(echo '$conn' | sed 's/;/ /g; s/Host=/host=/; s/Port=/port=/; s/Username=/user=/; s/Database=/dbname=/')\"" >&2

dotnet build "$root/src/XraySyslogSink" -c Release -v quiet -nologo >&2
XRAYSINK_ConnectionStrings__Postgres="$conn" \
  dotnet "$root/src/XraySyslogSink/bin/Release/net10.0/xraysink.dll" \
  --Listeners:Udp=127.0.0.1:5514 --Listeners:Tcp=127.0.0.1:5514 --Spool:Directory="$root/.pgtmp/run-local-spool" "$@"
