#!/usr/bin/env bash
# Install the system packages the test suite drives: Debian's Chromium (browser tests), Pango and poppler
# (the PDF reports and their tests) and, under CI,
# make sure PostgreSQL is up. As root on Debian this installs; elsewhere it says what is missing.
set -u
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
# The PDF reports: WeasyPrint needs Pango and a font; the report tests read PDFs with poppler's tools.
ldconfig -p 2>/dev/null | grep -q 'libpangoft2-1.0.so.0' || need+=(libpango-1.0-0 libpangoft2-1.0-0)
[ -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || need+=(fonts-dejavu-core)
command -v pdftotext >/dev/null 2>&1 || need+=(poppler-utils)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing ${need[*]} from Debian..."
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  else
    echo "Missing ${need[*]}: install with 'apt-get install -y ${need[*]}' (browser tests will be skipped; the report tests need poppler-utils and Pango)."
  fi
fi
if [ "${CI:-}" = "true" ] && command -v pg_lsclusters >/dev/null 2>&1; then
  if ! pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then
    echo "Starting PostgreSQL..."
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
  fi
fi
exit 0
