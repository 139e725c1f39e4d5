"""Web benchmark: the main pages served by gunicorn from PostgreSQL with a full clinic's data, under wrk.

    python scripts/bench_web.py                       # 2,000 patients x 20 visits, 10 s per page
    python scripts/bench_web.py --fresh               # drop and recreate the benchmark database first
    python scripts/bench_web.py --patients 50 --visits-per-patient 5 --duration 3   # a quick run

Steps: create (or reuse) the PostgreSQL database `needlechart_bench` on 127.0.0.1, migrate it, seed
it (`seed_bulk`: idempotent, so a reused database is only topped up), start gunicorn on a free
loopback port (2 workers, DEBUG off), sign in as the demo clinician `physio`, then load each page with
`wrk -t2 -c20 --latency`. A small wrk Lua script reports the exact p50/p95/p99 and counts every
response that is not 2xx (a lost session would show up as 302s to the sign-in page). Each of the
`--sessions` signed-in sessions is used in turn, so that concurrent requests do not all queue on one
session row (sessions are saved on every request). The SQL queries per page are counted too.

Target (2-core machine): p95 under 50 ms per page. The results file records per page p50_ms, p95_ms,
requests_per_s, non_2xx, queries, target_p95_ms and met; the exit status is 0 either way (benchmarks
report, tests assert behaviour). Without wrk or a reachable PostgreSQL the run is skipped (exit 0).
Everything stays on loopback.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import json
import os
import platform
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
TARGET_P95_MS = 50.0
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
USERNAME, PASSWORD = "physio", "needlechart-demo"  # the demo clinic's clinician (needlechart.demo.seed)

PAGES = (
    ("patient list", "/patients/"),
    ("patient search", "/patients/?q=bul"),
    ("patient page", "/patients/{patient}/"),
    ("signed visit", "/patients/{patient}/visits/{visit}/"),
    ("explorer", "/?pain=temple:left&pain=posterior_neck:left"),
)

# wrk runs one Lua state per thread: each thread starts at its own place in the list of session
# cookies, counts the responses that are not 2xx, and `done` prints exact percentiles (microseconds).
LUA = r"""
local cookies = {%(cookies)s}
local threads = {}
local counter = 0
non2xx = 0  -- global: `done` reads it from each thread

function setup(thread)
  table.insert(threads, thread)
  thread:set("tid", #threads)
end

function init(args)
  counter = (tid or 1) * 7
end

function request()
  counter = counter + 1
  local headers = {}
  for k, v in pairs(wrk.headers) do headers[k] = v end
  headers["Cookie"] = cookies[(counter %% #cookies) + 1]
  return wrk.format(nil, nil, headers)
end

function response(status, headers, body)
  if status < 200 or status > 299 then non2xx = non2xx + 1 end
end

function done(summary, latency, _)
  local bad = 0
  for _, t in ipairs(threads) do bad = bad + (t:get("non2xx") or 0) end
  local e = summary.errors
  io.write(string.format("NEEDLECHART %%d %%d %%d %%d %%.1f %%.1f %%.1f %%.1f\n",
    summary.requests, summary.duration, bad, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.mean))
end
"""

# Counted in a child process with Django's test client against the same database.
COUNT_QUERIES = """
import json, sys
import django
django.setup()
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from needlechart.accounts.models import User
client = Client()
client.force_login(User.objects.get(username=sys.argv[1]))
out = {}
for path in sys.argv[2:]:
    client.get(path)  # warm: the knowledge base loads once per process
    with CaptureQueriesContext(connection) as ctx:
        status = client.get(path).status_code
    out[path] = {"status": status, "queries": len(ctx.captured_queries)}
print(json.dumps(out))
"""


def log(message: str) -> None:
    print(message, flush=True)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def app_env(db: str, pg_host: str, pg_port: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "NEEDLECHART_DEBUG"}
    env.update(
        NEEDLECHART_DB="postgres",
        NEEDLECHART_PG_NAME=db,
        NEEDLECHART_PG_HOST=pg_host,
        NEEDLECHART_PG_PORT=pg_port,
        NEEDLECHART_SECRET_KEY=env.get("NEEDLECHART_SECRET_KEY") or os.urandom(24).hex(),
        # Production settings on the loopback: plain HTTP (wrk speaks it), this host only.
        NEEDLECHART_ALLOWED_HOSTS="127.0.0.1,localhost",
        NEEDLECHART_PLAIN_HTTP="1",
        NEEDLECHART_LOG_LEVEL="WARNING",
        DJANGO_SETTINGS_MODULE="needlechart.config.settings",
        PYTHONUNBUFFERED="1",
    )
    return env


def manage(env, *args: str, timeout: float) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "needlechart.cli", "manage", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=True,
    )


def prepare_database(args, env) -> dict:
    import psycopg

    admin = psycopg.connect(
        host=args.pg_host, port=args.pg_port, user="postgres", dbname="postgres", autocommit=True, connect_timeout=5
    )
    with admin:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [args.db]).fetchone()
        if exists and args.fresh:
            log(f"Dropping database {args.db} (--fresh)")
            admin.execute(f'DROP DATABASE "{args.db}" WITH (FORCE)')
            exists = None
        if not exists:
            admin.execute(f'CREATE DATABASE "{args.db}"')
    log(f"Migrating {args.db}...")
    manage(env, "migrate", "--noinput", timeout=600)
    manage(env, "collectstatic", "--noinput", timeout=300)  # hashed names, as a deployment serves them
    log(f"Seeding {args.patients} patients x {args.visits_per_patient} visits (seed_bulk)...")
    started = time.perf_counter()
    seeded = manage(
        env,
        "seed_bulk",
        "--patients",
        str(args.patients),
        "--visits-per-patient",
        str(args.visits_per_patient),
        timeout=1800,
    )
    seed_s = time.perf_counter() - started
    log("  " + seeded.stdout.strip().splitlines()[-1] + f" (command took {seed_s:.1f} s)")
    with psycopg.connect(host=args.pg_host, port=args.pg_port, user="postgres", dbname=args.db) as conn:
        conn.autocommit = True
        conn.execute("VACUUM (ANALYZE)")  # the steady state autovacuum keeps a live database in
        patients, visits, signed, insertions = conn.execute(
            "SELECT (SELECT count(*) FROM patients_patient), (SELECT count(*) FROM charting_visit),"
            " (SELECT count(*) FROM charting_visit WHERE signed_at IS NOT NULL),"
            " (SELECT count(*) FROM charting_insertion)"
        ).fetchone()
        # A bulk patient from the middle of the list, and their latest signed visit.
        patient = conn.execute(
            "SELECT id FROM patients_patient WHERE last_name LIKE 'Bulk-%%' ORDER BY id LIMIT 1 OFFSET %s",
            [max(0, args.patients // 2 - 1)],
        ).fetchone()[0]
        visit = conn.execute(
            "SELECT id FROM charting_visit WHERE patient_id = %s AND signed_at IS NOT NULL"
            " ORDER BY visit_date DESC, id DESC LIMIT 1",
            [patient],
        ).fetchone()[0]
    return {
        "database": args.db,
        "patients": patients,
        "visits": visits,
        "signed_visits": signed,
        "insertions": insertions,
        "seed_command_s": round(seed_s, 1),
        "seed_output": seeded.stdout.strip().splitlines()[-1],
        "patient_id": patient,
        "visit_id": visit,
    }


def wait_until_up(base: str, server: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited with status {server.returncode}")
        try:
            with urllib.request.urlopen(base + "/accounts/login/", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"gunicorn did not answer on {base} within {timeout:.0f} s")


def sign_in(base: str) -> str:
    """Sign in through the real form (CSRF token from the GET) and return the session id."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    with opener.open(base + "/accounts/login/", timeout=10) as r:
        page = r.read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    form = urllib.parse.urlencode({"csrfmiddlewaretoken": token, "username": USERNAME, "password": PASSWORD})
    request = urllib.request.Request(base + "/accounts/login/", data=form.encode(), headers={"Referer": base + "/"})
    with opener.open(request, timeout=30) as r:
        landed = r.geturl()
    session = {c.name: c.value for c in jar}.get("sessionid")
    if not session or "/accounts/login/" in landed:
        raise RuntimeError(f"sign-in as {USERNAME} failed (landed on {landed})")
    return session


def run_wrk(args, url: str, script: Path, duration: int) -> dict:
    command = [
        args.wrk,
        f"-t{args.threads}",
        f"-c{args.connections}",
        f"-d{duration}s",
        "--timeout",
        "10s",
        "--latency",
        "-s",
        str(script),
        url,
    ]
    out = subprocess.run(command, capture_output=True, text=True, timeout=duration + 60, check=True).stdout
    line = next((x for x in out.splitlines() if x.startswith("NEEDLECHART ")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no result line:\n{out}")
    requests, duration_us, non2xx, socket_errors, p50, p95, p99, mean = line.split()[1:]
    seconds = int(duration_us) / 1e6
    return {
        "p50_ms": round(float(p50) / 1000, 2),
        "p95_ms": round(float(p95) / 1000, 2),
        "p99_ms": round(float(p99) / 1000, 2),
        "mean_ms": round(float(mean) / 1000, 2),
        "requests": int(requests),
        "requests_per_s": round(int(requests) / seconds, 1) if seconds else 0.0,
        "non_2xx": int(non2xx),
        "socket_errors": int(socket_errors),
        "wrk_output": [x for x in out.splitlines() if not x.startswith("NEEDLECHART ")],
    }


def count_queries(env, paths: list[str]) -> dict:
    result = subprocess.run(
        [sys.executable, "-c", COUNT_QUERIES, USERNAME, *paths],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if result.returncode != 0:
        log(f"  (query count failed: {result.stderr.strip().splitlines()[-1:]})")
        return {}
    return json.loads(result.stdout.strip().splitlines()[-1])


def stop(server: subprocess.Popen) -> None:
    if server.poll() is None:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=5)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", default="bench-web-results.json")
    parser.add_argument("--db", default="needlechart_bench", help="PostgreSQL database to create or reuse")
    parser.add_argument("--fresh", action="store_true", help="drop and recreate the database first")
    parser.add_argument("--patients", type=int, default=2000)
    parser.add_argument("--visits-per-patient", type=int, default=20)
    parser.add_argument("--duration", type=int, default=10, help="seconds of load per page (1-120)")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of unrecorded load per page first")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--connections", type=int, default=20)
    parser.add_argument(
        "--sessions", type=int, default=0, help="signed-in sessions to rotate (default: 1 per connection)"
    )
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--port", type=int, default=0, help="gunicorn port on 127.0.0.1 (default: a free one)")
    parser.add_argument("--wrk", default=shutil.which("wrk") or "/usr/bin/wrk")
    args = parser.parse_args()
    args.duration = min(max(args.duration, 1), 120)
    args.warmup = min(max(args.warmup, 0), 30)
    args.sessions = args.sessions or args.connections
    args.pg_host = os.environ.get("NEEDLECHART_PG_HOST", "127.0.0.1")
    args.pg_port = os.environ.get("NEEDLECHART_PG_PORT", "5432")
    if args.pg_host not in LOOPBACK:
        log(f"NEEDLECHART_PG_HOST={args.pg_host} is not a loopback address: the benchmark stays on this machine.")
        return 2
    if not Path(args.wrk).exists():
        log(f"wrk not found ({args.wrk}): web benchmark skipped (apt-get install -y wrk).")
        return 0
    try:
        import psycopg

        psycopg.connect(
            host=args.pg_host, port=args.pg_port, user="postgres", dbname="postgres", connect_timeout=3
        ).close()
    except Exception as exc:  # noqa: BLE001 - any failure means no server to benchmark against
        log(f"PostgreSQL not reachable on {args.pg_host}:{args.pg_port} ({exc}): web benchmark skipped.")
        return 0

    load_at_start = round(os.getloadavg()[0], 2)
    if load_at_start > 0.5 * (os.cpu_count() or 1):
        log(f"Note: the machine is busy (load average {load_at_start}): latencies will read high.")
    env = app_env(args.db, args.pg_host, args.pg_port)
    dataset = prepare_database(args, env)
    ids = {"patient": dataset["patient_id"], "visit": dataset["visit_id"]}
    pages = [(name, path.format(**ids)) for name, path in PAGES]
    log("Counting SQL queries per page...")
    queries = count_queries(env, [path for _, path in pages])

    port = args.port or free_port()
    base = f"http://127.0.0.1:{port}"
    errors = tempfile.NamedTemporaryFile(prefix="bench-web-gunicorn-", suffix=".log", delete=False)  # noqa: SIM115
    gunicorn = str(BIN / "gunicorn")
    command = [gunicorn, "needlechart.config.wsgi", "-w", str(args.workers), "-b", f"127.0.0.1:{port}"]
    log(f"Starting gunicorn: {' '.join(command)} (errors to {errors.name})")
    server = subprocess.Popen(command, env=env, cwd=ROOT, stdout=errors, stderr=errors, start_new_session=True)
    results = {}
    script, finished = None, False
    try:
        wait_until_up(base, server)
        sessions = [sign_in(base) for _ in range(args.sessions)]
        log(f"Signed in as {USERNAME}: {len(sessions)} session(s)")
        with tempfile.NamedTemporaryFile("w", prefix="bench-web-", suffix=".lua", delete=False) as f:
            f.write(LUA % {"cookies": ", ".join(json.dumps(f"sessionid={s}") for s in sessions)})
            script = Path(f.name)
        for name, path in pages:
            url = base + path
            if args.warmup:
                run_wrk(args, url, script, args.warmup)
            r = run_wrk(args, url, script, args.duration)
            r.update(path=path, queries=queries.get(path, {}).get("queries"), target_p95_ms=TARGET_P95_MS)
            r["met"] = r["p95_ms"] < TARGET_P95_MS and r["non_2xx"] == 0 and r["socket_errors"] == 0
            results[name] = r
            log(
                f"  {name:15s} p50 {r['p50_ms']:7.2f} ms  p95 {r['p95_ms']:7.2f} ms  "
                f"{r['requests_per_s']:7.1f} req/s  non-2xx {r['non_2xx']}  {'OK' if r['met'] else 'OVER TARGET'}"
            )
        finished = True
    finally:
        stop(server)
        errors.close()
        if script is not None:
            script.unlink(missing_ok=True)
        if finished:
            Path(errors.name).unlink(missing_ok=True)  # kept only when something went wrong

    header = f"{'page':15s} {'path':48s} {'p50 ms':>8s} {'p95 ms':>8s} {'req/s':>8s} {'non-2xx':>8s} {'queries':>8s}"
    print("\n" + header + "\n" + "-" * len(header))
    for name, r in results.items():
        print(
            f"{name:15s} {r['path']:48s} {r['p50_ms']:8.2f} {r['p95_ms']:8.2f} {r['requests_per_s']:8.1f} "
            f"{r['non_2xx']:8d} {r['queries'] if r['queries'] is not None else '-':>8}"
            + ("" if r["met"] else "  OVER TARGET")
        )
    report = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "load_average_1min_at_start": load_at_start,  # other work on the machine skews the numbers
        },
        "server": {"gunicorn_workers": args.workers, "database": "postgresql", "debug": False},
        "load": {
            "tool": "wrk",
            "threads": args.threads,
            "connections": args.connections,
            "duration_s": args.duration,
            "warmup_s": args.warmup,
            "sessions": args.sessions,
        },
        "dataset": dataset,
        "pages": {name: {k: v for k, v in r.items() if k != "wrk_output"} for name, r in results.items()},
    }
    Path(args.output).write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nResults written to {args.output} (target: p95 under {TARGET_P95_MS:.0f} ms per page)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
