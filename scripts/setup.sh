#!/usr/bin/env bash
# Prepare this machine for phileak: Debian packages, then the project's virtualenv (.venv).
# Idempotent and non-interactive: apt runs only when a package is missing, pip only when pyproject.toml changed.
#   scripts/setup.sh [--test]   what the test suite needs (default)
#   scripts/setup.sh --demo     plus what only the demo needs
set -euo pipefail
cd "$(dirname "$0")/.."

mode=test
case "${1:-}" in
  "" | --test) ;;
  --demo) mode=demo ;;
  *) echo "usage: scripts/setup.sh [--test|--demo]" >&2; exit 2 ;;
esac

step() { printf 'setup: %s\n' "$*"; }

export DEBIAN_FRONTEND=noninteractive
base_packages=(python3 python3-venv make)
test_packages=(postgresql iproute2 util-linux openssl orthanc orthanc-dicomweb dcmtk fonts-dejavu-core chromium)
demo_packages=()
wanted=("${base_packages[@]}" "${test_packages[@]}")
if [ "$mode" = demo ]; then wanted+=("${demo_packages[@]}"); fi

is_installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

# Packages must not start their own services (Orthanc's would listen on all interfaces, ports 4242/8042):
# a policy-rc.d that denies every start, unless the machine already has one; removed again if we made it.
policy=/usr/sbin/policy-rc.d
made_policy=no
deny_service_starts() {
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy"
    chmod +x "$policy"
    made_policy=yes
    trap allow_service_starts EXIT
    step "installed $policy so packages start no services"
  fi
}
allow_service_starts() {
  if [ "$made_policy" = yes ]; then
    rm -f "$policy"
    made_policy=no
    step "removed $policy again"
  fi
}

missing=()
for package in "${wanted[@]}"; do
  is_installed "$package" || missing+=("$package")
done

if [ "${#missing[@]}" -eq 0 ]; then
  step "system packages present (${wanted[*]})"
else
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup: missing packages: ${missing[*]}; run this script as root to install them" >&2
    exit 1
  fi
  deny_service_starts
  step "apt-get update"
  apt-get update -qq -o DPkg::Lock::Timeout=600 </dev/null
  step "apt-get install ${missing[*]}"
  apt-get install -y -qq --no-install-recommends -o DPkg::Lock::Timeout=600 "${missing[@]}" </dev/null >/dev/null
  allow_service_starts
fi

# The packaged Orthanc service must not run: the lab starts its own instances, on loopback ports.
packaged_orthanc_running() {
  local proc
  for proc in /proc/[0-9]*; do
    if [ "$(cat "$proc/comm" 2>/dev/null)" = Orthanc ] && [ "$(stat -c %U "$proc" 2>/dev/null)" = orthanc ]; then
      return 0
    fi
  done
  return 1
}
if [ -x /etc/init.d/orthanc ] && [ "$(id -u)" -eq 0 ]; then
  if [ -d /run/systemd/system ]; then
    systemctl disable --now orthanc >/dev/null 2>&1 || true
  else
    /etc/init.d/orthanc stop >/dev/null 2>&1 || true
    update-rc.d orthanc disable >/dev/null 2>&1 || true
  fi
  if packaged_orthanc_running; then
    echo "setup: the packaged Orthanc service is still running (user orthanc); stop it before using the lab" >&2
    exit 1
  fi
  step "packaged orthanc service disabled and not running"
fi

venv=.venv
extras=dev
stamp="$venv/.phileak-setup"
want_stamp="$(sha256sum pyproject.toml | cut -d' ' -f1) [$extras]"
if [ -x "$venv/bin/python" ] && "$venv/bin/python" -c '' 2>/dev/null \
  && [ "$(cat "$stamp" 2>/dev/null)" = "$want_stamp" ]; then
  step "virtualenv $venv is current"
else
  if ! { [ -x "$venv/bin/python" ] && "$venv/bin/python" -c 'import pip' 2>/dev/null; }; then
    step "python3 -m venv $venv"
    python3 -m venv --clear "$venv"
  fi
  step "pip install -e '.[$extras]' into $venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -e ".[$extras]" </dev/null
  printf '%s\n' "$want_stamp" >"$stamp"
fi
# Azurite (Azure Blob emulator) for the storage tests, pinned by peers/azurite/package-lock.json.
if [ ! -x peers/azurite/node_modules/.bin/azurite-blob ]; then
  if command -v npm >/dev/null; then
    step "npm ci in peers/azurite"
    (cd peers/azurite && npm ci --silent --no-audit --no-fund </dev/null >/dev/null)
  else
    step "npm not found: the Azure storage tests will be skipped"
  fi
fi
step "done ($mode)"
