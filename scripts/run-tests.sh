#!/usr/bin/env bash
# Run the test suite (arguments go to pytest) inside a fresh network namespace whose only interface is lo,
# so no test can reach anything but loopback. Without root or unshare, run it directly and say so.
set -uo pipefail
cd "$(dirname "$0")/.."

pytest=.venv/bin/pytest
if [ "$(id -u)" -eq 0 ] && command -v ip >/dev/null && unshare -n true 2>/dev/null; then
  unshare -n sh -c 'ip link set lo up && exec "$@"' run-tests "$pytest" "$@"
  status=$?
else
  echo "run-tests: no network namespace (needs root and unshare): the suite runs without one"
  "$pytest" "$@"
  status=$?
fi
if [ "$status" -eq 5 ]; then
  echo "run-tests: pytest collected no tests" >&2
fi
exit "$status"
