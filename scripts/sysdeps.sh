#!/usr/bin/env bash
# Install the system packages the test suite drives: Debian's Chromium (browser tests) and, under CI,
# make sure PostgreSQL is up. As root on Debian this installs; elsewhere it says what is missing.
set -u
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing ${need[*]} from Debian..."
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  else
    echo "Missing ${need[*]}: install with 'apt-get install -y ${need[*]}' (browser tests will be skipped)."
  fi
fi
if [ "${CI:-}" = "true" ] && command -v pg_lsclusters >/dev/null 2>&1; then
  if ! pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then
    echo "Starting PostgreSQL..."
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
  fi
fi
exit 0
