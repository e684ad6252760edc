#!/usr/bin/env bash
# Runs every test: installs what is missing (PostgreSQL, util-linux's logger, rsyslog, prometheus, haproxy,
# logrotate), starts a throwaway PostgreSQL, builds the solution, runs the unit and integration tests, and tears
# the database down.
# Prints a closing "N passed, N failed" line. Extra arguments go to `dotnet test`.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=lib.sh
source "$here/lib.sh"
root="$(repo_root)"
ensure_dotnet
apt_install util-linux bsdutils procps iproute2
# rsyslog for the end-to-end tests of config/rsyslog/: they run their own rsyslogd instances (foreground, private
# work directory and pid file, no imuxsock/imklog) and stop them. Installing the package may start the system
# rsyslog service; it only owns /dev/log and the kernel log, which the tests do not use, so it is left alone.
# rsyslog-gnutls and rsyslog-openssl are the TLS stream drivers (gtls, ossl) the TLS node tests use.
apt_install rsyslog rsyslog-relp rsyslog-gnutls rsyslog-openssl
# systemd-analyze for the staged install test of scripts/install.sh and scripts/check-service.sh; psql runs
# scripts/sql/roles.sql (it comes with the server pg-local.sh installs; an external XRAYSINK_TEST_POSTGRES needs
# the client alone).
apt_install systemd
# promtool checks and unit-tests config/prometheus/, and a private prometheus scrapes a daemon; haproxy balances two
# collectors; logrotate rotates a node's access log under rsyslog. The tests run their own processes on free loopback
# ports with temporary configurations, so the packages' services are stopped if the install started them.
apt_install prometheus haproxy logrotate
stop_package_service prometheus haproxy
command -v psql >/dev/null 2>&1 || apt_install postgresql-client
# syslog-ng for the tests of config/syslog-ng/: unpacked beside rsyslog, which its package would remove.
XRAYSINK_SYSLOG_NG_ROOT="$(ensure_syslog_ng)"
export XRAYSINK_SYSLOG_NG_ROOT

results="$root/artifacts/test-results"
rm -rf "$results"
mkdir -p "$results"
pgdir="$(mktemp -d /tmp/xraysink-test-pg.XXXXXX)"
cleanup() { "$here/pg-local.sh" stop "$pgdir" >/dev/null 2>&1 || true; rm -rf "$pgdir"; }
trap cleanup EXIT

if [ -z "${XRAYSINK_TEST_POSTGRES:-}" ]; then
  XRAYSINK_TEST_POSTGRES="$("$here/pg-local.sh" start "$pgdir")"
  export XRAYSINK_TEST_POSTGRES
fi
echo "test database: $XRAYSINK_TEST_POSTGRES" >&2

cd "$root"
dotnet build XraySyslogSink.sln -c Release -nologo -v quiet
status=0
dotnet test XraySyslogSink.sln -c Release --no-build -nologo \
  --logger "trx" --logger "console;verbosity=normal" --results-directory "$results" "$@" || status=$?

# One closing line over every project's results, in the plain form CI reads.
python3 - "$results" <<'PY' || true
import glob, sys, xml.etree.ElementTree as ET
passed = failed = skipped = 0
for path in glob.glob(sys.argv[1] + "/*.trx"):
    counters = ET.parse(path).getroot().find(".//{*}Counters")
    if counters is None:
        continue
    passed += int(counters.get("passed", 0))
    failed += int(counters.get("failed", 0)) + int(counters.get("error", 0)) + int(counters.get("timeout", 0))
    skipped += int(counters.get("notExecuted", 0))
print(f"{passed} passed, {failed} failed, {skipped} skipped")
PY
exit $status
