#!/usr/bin/env bash
# Run the tests marked `postgres` a second time, on PostgreSQL (127.0.0.1:5432, user postgres).
# Under CI (CI=true) an unreachable server is a failure; elsewhere the run is skipped with a note.
# PYTEST_XDIST: pytest-xdist's options (make test passes "-n auto --dist worksteal"; each worker gets
# its own test database and application role); unset, the run is one process.
set -u
BIN=${BIN:-.venv/bin}
if ! "$BIN/python" - <<'PY' 2>/dev/null
import os, psycopg
psycopg.connect(host=os.environ.get("NEEDLECHART_PG_HOST", "127.0.0.1"), port=os.environ.get("NEEDLECHART_PG_PORT", "5432"),
                user="postgres", dbname="postgres", connect_timeout=3).close()
PY
then
  if [ "${CI:-}" = "true" ]; then
    echo "CI=true but PostgreSQL is not reachable on 127.0.0.1:5432" >&2
    exit 1
  fi
  echo "PostgreSQL not reachable: the PostgreSQL run of the immutability tests is skipped."
  exit 0
fi
echo "Running the postgres-marked tests on PostgreSQL..."
# shellcheck disable=SC2086 # PYTEST_XDIST is a list of options
NEEDLECHART_DB=postgres NEEDLECHART_PG_NAME=needlechart "$BIN/pytest" -q -m postgres -p no:cacheprovider --create-db ${PYTEST_XDIST:-}
