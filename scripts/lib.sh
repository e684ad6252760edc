# Shared helpers for the project's scripts (sourced, not run).
# shellcheck shell=bash

repo_root() { cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd; }

apt_updated=""
# apt_install PKG... : installs Debian packages that are missing, running apt-get update once.
apt_install() {
  local missing=()
  for pkg in "$@"; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    echo "missing packages: ${missing[*]} (run as root or install them)" >&2
    return 1
  fi
  if [ -z "$apt_updated" ]; then
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
    apt_updated=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
}

# stop_package_service NAME...: stops and disables a service a package install may have started (the tests run
# their own instances of these programs on free loopback ports with temporary configurations; the package's
# instance would hold its default port, e.g. Prometheus' 9090, for nothing). Only as root; a no-op when the
# service is not running (containers whose policy-rc.d forbids starting services).
stop_package_service() {
  [ "$(id -u)" -eq 0 ] || return 0
  local name
  for name in "$@"; do
    if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
      if systemctl is-enabled --quiet "$name" 2>/dev/null || systemctl is-active --quiet "$name" 2>/dev/null; then
        systemctl disable --now "$name" >/dev/null 2>&1 && echo "stopped and disabled the $name service the package installed" >&2
      fi
    elif [ -x "/etc/init.d/$name" ] && "/etc/init.d/$name" status >/dev/null 2>&1; then
      "/etc/init.d/$name" stop >/dev/null 2>&1 && echo "stopped the $name service the package started" >&2
    fi
  done
  return 0
}

# ensure_dotnet: the .NET 10 SDK must be on PATH.
ensure_dotnet() {
  if ! command -v dotnet >/dev/null 2>&1; then
    echo "the .NET 10 SDK is required (dotnet not found on PATH)" >&2
    return 1
  fi
}

# publish_daemon OUT [ARG...]: publishes the daemon as operators run it into OUT: Release, framework-dependent, for
# this machine's runtime identifier so that the project's ReadyToRun settings apply (its libraries precompiled;
# docs/performance.md, "ReadyToRun and runtime settings"). scripts/install.sh installs this and scripts/bench.sh
# measures it. Extra arguments go to `dotnet publish`.
publish_daemon() {
  local out=$1
  shift
  dotnet publish "$(repo_root)/src/XraySyslogSink/XraySyslogSink.csproj" -c Release --use-current-runtime \
    --self-contained false -o "$out" -nologo -v quiet "$@"
}

# raise_rmem_max BYTES: raises net.core.rmem_max to BYTES (default 33554432, the daemon's default
# Listeners:UdpReceiveBufferSize) when it is lower, so a UDP burst fits the socket's receive buffer instead of
# being dropped by the kernel. Only as root and only upwards; otherwise it says what to run. Not persistent
# across reboots: persisting it (sysctl.d) is the installer's job.
raise_rmem_max() {
  local want=${1:-33554432} have
  have=$(sysctl -n net.core.rmem_max 2>/dev/null) || return 0
  [ "$have" -ge "$want" ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    echo "net.core.rmem_max is $have, below the UDP receive buffer $want: run 'sysctl -w net.core.rmem_max=$want' as root" >&2
    return 0
  fi
  if sysctl -q -w net.core.rmem_max="$want" >/dev/null 2>&1; then
    echo "raised net.core.rmem_max from $have to $want" >&2
  else
    echo "could not raise net.core.rmem_max from $have to $want (read-only /proc/sys?)" >&2
  fi
}

# Debian's syslog-ng-core conflicts with the rsyslog package the rsyslog tests need, so it is unpacked (not installed)
# into a directory of its own with its shared-library dependencies installed; prints that directory. The syslog-ng
# node tests run it from there (LD_LIBRARY_PATH and --module-path point into it).
ensure_syslog_ng() {
  local root="${XRAYSINK_TOOLS_DIR:-/var/cache/xraysink-tools}/syslog-ng-core"
  if [ ! -x "$root/usr/sbin/syslog-ng" ]; then
    apt_install libivykis0 libnet1 libwrap0 libjson-c5 libglib2.0-0 libpcre3 libssl3 libcap2 libsystemd0 >&2
    local tmp
    tmp="$(mktemp -d)"
    chmod 755 "$tmp"
    [ -n "$apt_updated" ] || { DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2; apt_updated=1; }
    (cd "$tmp" && apt-get download -qq syslog-ng-core >&2)
    rm -rf "$root"
    mkdir -p "$root"
    dpkg-deb -x "$tmp"/syslog-ng-core_*.deb "$root"
    rm -rf "$tmp"
  fi
  echo "$root"
}
