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

# ensure_dotnet: the .NET 10 SDK must be on PATH.
ensure_dotnet() {
  if ! command -v dotnet >/dev/null 2>&1; then
    echo "the .NET 10 SDK is required (dotnet not found on PATH)" >&2
    return 1
  fi
}
