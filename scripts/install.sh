#!/usr/bin/env bash
# Installs the collector as a systemd service:
#   publishes the daemon (Release) to /opt/xraysink, creates the `xraysink` system user, /var/lib/xraysink/spool
#   and /var/log/xraysink, installs the settings to /etc/xraysink (an operator's existing files are never
#   overwritten: the new defaults land beside them as *.dist), the unit to /etc/systemd/system (replaced on reinstall
#   only when the operator has not edited it; edits belong in drop-ins), a sysctl.d file raising net.core.rmem_max to
#   the UDP receive buffer (never lowering it), checks the unit with `systemd-analyze verify`, and prints the next steps.
#
#   scripts/install.sh                  install on this machine (as root)
#   scripts/install.sh --prefix DIR     staged install into DIR (DIR/opt/xraysink, DIR/etc/xraysink, ...): no user
#                                       is created, nothing is chowned, applied or reloaded (for packaging and tests)
#   --no-build                          publish the existing Release build (after `dotnet build -c Release`) as it is:
#                                       portable, compiled at first use, not ReadyToRun (for the tests: it is quicker)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=lib.sh
source "$here/lib.sh"
root="$(repo_root)"

prefix=""
no_build=""
usage() {
  sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}
while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) [ $# -ge 2 ] || usage; prefix="$2"; shift 2 ;;
    --prefix=*) prefix="${1#--prefix=}"; shift ;;
    --no-build) no_build=1; shift ;;
    -h|--help) usage ;;
    *) echo "install.sh: unknown argument '$1'" >&2; usage ;;
  esac
done

staged=""
if [ -n "$prefix" ]; then
  staged=1
  mkdir -p "$prefix"
  prefix="$(cd "$prefix" && pwd)"
elif [ "$(id -u)" -ne 0 ]; then
  echo "install.sh: run as root (or use --prefix DIR for a staged install)" >&2
  exit 1
fi

say() { echo "install.sh: $*" >&2; }

app="$prefix/opt/xraysink"
etc="$prefix/etc/xraysink"
state="$prefix/var/lib/xraysink"
logs="$prefix/var/log/xraysink"
unit="$prefix/etc/systemd/system/xraysink.service"
sysctl_file="$prefix/etc/sysctl.d/60-xraysink.conf"

# 1. Publish.
ensure_dotnet
publish="$(mktemp -d /tmp/xraysink-publish.XXXXXX)"
trap 'rm -rf "$publish"' EXIT
if [ -n "$no_build" ]; then
  say "publishing the existing Release build (not ReadyToRun)"
  # PublishReadyToRun=false: with it the SDK would publish for this machine's runtime identifier, i.e. another build.
  dotnet publish "$root/src/XraySyslogSink/XraySyslogSink.csproj" -c Release -o "$publish" -nologo -v quiet --no-build \
    -p:PublishReadyToRun=false >&2
else
  # For this machine's runtime identifier, so that the libraries start precompiled (ReadyToRun; docs/performance.md).
  say "publishing the daemon (Release, ReadyToRun)"
  publish_daemon "$publish" >&2
fi
# The unit the previous install shipped (kept under $app): tells an untouched /etc unit from an operator's edit.
previous_unit="$publish.previous-unit"
if [ -f "$app/systemd/xraysink.service" ]; then cp "$app/systemd/xraysink.service" "$previous_unit"; fi
trap 'rm -rf "$publish" "$previous_unit"' EXIT
rm -rf "$app"
install -d -m 0755 "$app"
cp -R "$publish/." "$app/"
# Readable and runnable by the service user, writable only by root (the temp dir's 0700 must not carry over).
chmod -R u=rwX,go=rX "$app"
chmod 0755 "$app/xraysink"
install -m 0644 "$root/README.md" "$app/README.md"
install -d -m 0755 "$app/docs"
install -m 0644 "$root"/docs/*.md "$app/docs/"
# The shipped unit and its optional drop-ins, for reference and for `install -D` into /etc/systemd/system/xraysink.service.d/.
install -d -m 0755 "$app/systemd"
install -m 0644 "$root/xraysink.service" "$app/systemd/xraysink.service"
install -m 0644 "$root"/config/systemd/*.conf "$app/systemd/"

# 2. User and directories.
if [ -z "$staged" ] && ! getent passwd xraysink >/dev/null; then
  say "creating the system user xraysink"
  useradd --system --home-dir /var/lib/xraysink --no-create-home --shell /usr/sbin/nologin --user-group xraysink
fi
install -d -m 0750 "$state" "$state/spool" "$logs"
install -d -m 0750 "$etc"
if [ -z "$staged" ]; then
  chown xraysink:xraysink "$state" "$state/spool" "$logs"
  chown root:xraysink "$etc"
fi

# 3. Settings: never overwrite what the operator has; the shipped defaults go beside it for comparison.
for file in appsettings.json NLog.config; do
  if [ -e "$etc/$file" ]; then
    install -m 0640 "$root/config/$file" "$etc/$file.dist"
    say "kept the existing $etc/$file (the shipped defaults are in $file.dist)"
  else
    install -m 0640 "$root/config/$file" "$etc/$file"
  fi
  [ -n "$staged" ] || chown root:xraysink "$etc/$file" "$etc/$file.dist" 2>/dev/null || true
done

# 4. The unit, and the sysctl the UDP receive buffer needs (the buffer is capped by net.core.rmem_max).
install -d -m 0755 "$(dirname "$unit")" "$(dirname "$sysctl_file")"
# An operator's edited unit is kept (their edits should move to a drop-in: `systemctl edit xraysink`); an unedited one,
# i.e. the one a previous install shipped, is replaced by the new one.
if [ ! -e "$unit" ] || cmp -s "$unit" "$root/xraysink.service" || { [ -f "$previous_unit" ] && cmp -s "$unit" "$previous_unit"; }; then
  install -m 0644 "$root/xraysink.service" "$unit"
else
  say "kept the existing $unit: it differs from the unit the previous install shipped (edited?). The new unit is"
  say "$app/systemd/xraysink.service; put local changes in $unit.d/*.conf drop-ins and copy the new unit over it"
fi
buffer="$(sed -n 's/.*"UdpReceiveBufferSize"[[:space:]]*:[[:space:]]*\([0-9][0-9]*\).*/\1/p' "$etc/appsettings.json" | head -n 1)"
buffer="${buffer:-33554432}"
# Never lower the limit: this file is read at boot after lower-numbered sysctl.d files, so a value below what the
# machine already allows (set by the operator for other services) would take buffer space from them.
rmem_max="$buffer"
current="$(cat /proc/sys/net/core/rmem_max 2>/dev/null || echo 0)"
if [ "$current" -gt "$rmem_max" ] 2>/dev/null; then
  rmem_max="$current"
  say "net.core.rmem_max is already $current, above the receive buffer ($buffer): keeping $current"
fi
cat > "$sysctl_file" <<SYSCTL
# Written by xraysink's scripts/install.sh: lets the collector's UDP socket get the receive buffer of
# Listeners:UdpReceiveBufferSize ($buffer bytes) so bursts are absorbed instead of dropped by the kernel; never below
# the value the machine had when it was installed.
net.core.rmem_max = $rmem_max
SYSCTL
chmod 0644 "$sysctl_file"

# 5. Verify the unit as systemd will read it.
if ! command -v systemd-analyze >/dev/null 2>&1; then
  apt_install systemd
fi
if [ -n "$staged" ]; then
  # The unit names /opt/xraysink/xraysink; check a copy that points into the staged tree instead.
  check="$(mktemp -d /tmp/xraysink-unit.XXXXXX)"
  sed "s#^ExecStart=/opt/xraysink/#ExecStart=$app/#" "$unit" > "$check/xraysink.service"
  systemd-analyze verify "$check/xraysink.service" || { rm -rf "$check"; say "systemd-analyze verify failed"; exit 1; }
  rm -rf "$check"
else
  systemd-analyze verify "$unit" || { say "systemd-analyze verify failed"; exit 1; }
fi
say "systemd-analyze verify: ok"

# 6. Apply on a live system.
if [ -z "$staged" ]; then
  sysctl -q -p "$sysctl_file" || say "could not apply $sysctl_file now (it applies at the next boot)"
  if [ -d /run/systemd/system ]; then
    systemctl daemon-reload
  fi
fi

cat <<NEXT
xraysink installed${staged:+ (staged under $prefix)}:
  binary    $app/xraysink
  settings  $etc/appsettings.json, $etc/NLog.config
  spool     $state/spool        logs  $logs
  unit      $unit
  sysctl    $sysctl_file (net.core.rmem_max = $rmem_max)

Next steps:
  1. Create the database and its three roles (xraysink_owner migrates, xraysink_writer is the daemon's,
     xraysink_reader runs reports and dashboards, read-only), e.g.
       sudo -u postgres createdb xraysink
       sudo -u postgres psql -d xraysink -f $root/scripts/sql/roles.sql
     and their passwords, each from a root-only file (only its SCRAM verifier reaches the server), e.g.
       (umask 077; openssl rand -base64 32 > /root/xraysink-owner.pw)
       sudo -u postgres $app/xraysink set-password xraysink_owner --password-file - \\
         --ConnectionStrings:Postgres="Host=/var/run/postgresql;Database=xraysink;Username=postgres" < /root/xraysink-owner.pw
     and the same for xraysink_writer and xraysink_reader.
  2. Set ConnectionStrings:Postgres (…;Database=xraysink;Username=xraysink_writer), the listeners, Xray:TimeZone and
     Listeners:AllowedSources (the shipped file accepts loopback and private ranges only: add your nodes' addresses)
     in $etc/appsettings.json; put the writer's password in a file readable by the xraysink user and name it in
     Database:PasswordFile (docs/security.md, "Secrets"). Reports connect with Reports:ConnectionString
     (…;Username=xraysink_reader): put the reader's password in a file only root reads, e.g.
       install -m 0600 /dev/null $etc/reader-password && echo "\$READER_PW" > $etc/reader-password
     and name it in Reports:PasswordFile.
  3. Apply the schema as the owner, granting the writer and the reader:
       $app/xraysink migrate --config $etc/appsettings.json \\
         --ConnectionStrings:Postgres="Host=127.0.0.1;Database=xraysink;Username=xraysink_owner" \\
         --Database:PasswordFile=/root/xraysink-owner.pw --Schema:WriterRole=xraysink_writer \\
         --Schema:ReaderRole=xraysink_reader
  4. Start it:           systemctl enable --now xraysink
  5. Check it:           curl -fsS http://127.0.0.1:9464/healthz     (metrics: http://127.0.0.1:9464/metrics)
  6. After editing time zones or log levels: systemctl reload xraysink (SIGHUP, no restart)
  7. Reports, as the reader: $app/xraysink report top-endpoints --config $etc/appsettings.json
     (every command has --help: $app/xraysink report --help)
  On the nodes, forward the access log with config/rsyslog/xraysink-forward.conf (see docs/nodes.md).
NEXT
