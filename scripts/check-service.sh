#!/usr/bin/env bash
# Checks xraysink.service offline (no running systemd needed): `systemd-analyze verify` on a copy whose ExecStart
# points at an existing binary (the unit's /opt/xraysink/xraysink exists only once installed), and
# `systemd-analyze security --offline=yes` must rate it OK, i.e. an overall exposure of at most 4.9.
# Prints the rating line; exit 1 when either check fails. Installs Debian's systemd package when it is missing.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=lib.sh
source "$here/lib.sh"
root="$(repo_root)"
command -v systemd-analyze >/dev/null 2>&1 || apt_install systemd

work="$(mktemp -d /tmp/xraysink-unit.XXXXXX)"
trap 'rm -rf "$work"' EXIT
sed 's|^ExecStart=.*|ExecStart=/bin/true|' "$root/xraysink.service" > "$work/xraysink.service"
if ! systemd-analyze verify "$work/xraysink.service"; then
  echo "systemd-analyze verify rejected xraysink.service" >&2
  exit 1
fi

status=0
report="$(systemd-analyze security --offline=yes --threshold=49 "$root/xraysink.service" 2>&1)" || status=$?
rating="$(printf '%s\n' "$report" | grep 'Overall exposure level' || true)"
echo "${rating:-no rating printed}"
if [ "$status" -ne 0 ] || ! printf '%s' "$rating" | grep -q ' OK'; then
  printf '%s\n' "$report" | grep '✗' >&2 || true
  echo "xraysink.service is rated above 4.9 (not OK)" >&2
  exit 1
fi
