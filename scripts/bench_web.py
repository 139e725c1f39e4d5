"""Web benchmark: each main page against the floor, served by gunicorn from PostgreSQL under wrk.

    python scripts/bench_web.py                          # 2,000 patients x 20 visits (40,000), 10 s per page
    python scripts/bench_web.py --visits-per-patient 200 # the same clinic at 400,000 visits
    python scripts/bench_web.py --fresh                  # drop and recreate the benchmark database first
    python scripts/bench_web.py --profile                # also profile each page with pyinstrument
    python scripts/bench_web.py --patients 50 --visits-per-patient 5 --duration 3   # a quick run

The floor is the signed-in start page (`/start/`): the same middleware, session, user and base template
as every page, and no work of its own, so it is what any page costs before its own work. One run
measures it and each main page on the same server and data, and reports each page's requests/s as a
fraction of the floor's: the floor runs before and after every page, and each page is set against the
mean of the two floor runs around it, so that drift in a busy machine's speed cancels out. On
these 2-core machines wrk and PostgreSQL share the cores with gunicorn, so absolute latencies move
with whatever else the machine does; a ratio measured in one run is the honest figure. p50/p95 are
still reported. The pages: the patient list, a name search (`?q=oli`), a patient's overview, their
latest signed visit, a draft visit as its author (the demo physio) sees it, and the explorer with a
two-region drawing. The clinic dashboard (the last 90 days, about a second a request) is not one of
the main pages: it is loaded only when named (`--pages dashboard`).

Goal: every page at >= 0.6 of the floor at 40,000 visits, and within 10% of that at 400,000 visits.
Each dataset size has a database of its own, `needlechart_bench_<patients>x<visits per patient>` on
PostgreSQL at 127.0.0.1 (created, migrated and seeded with `seed_bulk` if missing; reused, and only
topped up, otherwise), so nothing here touches a test database. The results file keeps one entry per
dataset size (a 40,000-visit run does not overwrite the 400,000-visit one) and, when both are there,
each page's ratio at the larger size against the smaller.

`--rounds 3` repeats the whole sequence and takes each page's median ratio (steadier on a busy
machine, three times as long).

Steps: prepare the database, count each page's SQL queries (and, with --profile, profile each page
in-process with pyinstrument against the same database), start gunicorn on a free loopback port
(2 workers, DEBUG off), sign in as the demo clinician `physio` through the real form, then load each
page with `wrk -t2 -c20 --latency` after an unrecorded warm-up. A small wrk Lua script reports exact
percentiles and counts every response that is not 2xx (a lost session would show as 302s). The
signed-in sessions are rotated so that concurrent requests do not queue on one session row.

The exit status is 0 either way (benchmarks report, tests assert behaviour). Without wrk or a
reachable PostgreSQL the run is skipped (exit 0). Everything stays on loopback.
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
import statistics
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
GOAL_RATIO = 0.6  # of the floor's requests/s
SCALING_TOLERANCE = 0.10  # a page's ratio at 10x the visits stays within 10% of its ratio at 1x
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
USERNAME, PASSWORD = "physio", "needlechart-demo"  # the demo clinic's clinician (needlechart.demo.seed)
DB_PREFIX = "needlechart_bench_"
FLOOR = "floor"

# (name, URL name, the ids its arguments are, query string). The paths are reversed by Django itself,
# so they are the addresses the pages link to, whatever form the ids in them take.
PAGES = (
    (FLOOR, "common:start", (), ""),
    ("patient list", "patients:list", (), ""),
    ("patient search", "patients:list", (), "?q=oli"),
    ("patient page", "patients:detail", ("patient",), ""),
    ("signed visit", "charting:visit", ("patient", "visit"), ""),
    ("draft visit", "charting:visit", ("draft_patient", "draft"), ""),
    ("explorer", "explorer:explorer", (), "?pain=temple:left&pain=posterior_neck:left"),
    ("dashboard", "dashboard:page", (), ""),  # the clinic's last 90 days, every table and chart
)
# Not one of the main pages the goal is for (about a second a request): loaded only when named in --pages.
ON_REQUEST = frozenset({"dashboard"})

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

# Run in a child process with Django's test client against the same database: each page's path
# (reversed from its URL name), its SQL queries (a steady request: the first one of a session renews
# it) and size, and with --profile a pyinstrument profile of `repeat` requests per page.
INSPECT = """
import json, sys
import django
django.setup()
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from needlechart.accounts.models import User
username, profile_dir, repeat = sys.argv[1], sys.argv[2], int(sys.argv[3])
pages, ids = json.loads(sys.argv[4]), json.loads(sys.argv[5])
client = Client()
client.force_login(User.objects.get(username=username))
out = {}
for name, url_name, args, query in pages:
    path = reverse(url_name, args=[ids[a] for a in args]) + query
    for _ in range(3):
        client.get(path)  # warm: the knowledge base, caches, the session's renewal
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(path)
    out[name] = {"path": path, "status": response.status_code, "queries": len(ctx.captured_queries),
                 "bytes": len(response.content)}
    if profile_dir:
        from pyinstrument import Profiler
        profiler = Profiler(interval=0.0005)
        profiler.start()
        for _ in range(repeat):
            client.get(path)
        profiler.stop()
        slug = name.replace(" ", "-")
        with open(f"{profile_dir}/{slug}.txt", "w") as f:
            f.write(profiler.output_text(unicode=False, color=False))
        with open(f"{profile_dir}/{slug}-flat.txt", "w") as f:
            f.write(profiler.output_text(unicode=False, color=False, flat=True))
        out[name]["profile_ms_per_request"] = round(profiler.last_session.duration * 1000 / repeat, 2)
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
        NEEDLECHART_ALLOWED_HOSTS="127.0.0.1,localhost,testserver",
        NEEDLECHART_PLAIN_HTTP="1",
        NEEDLECHART_LOG_LEVEL="WARNING",
        DJANGO_SETTINGS_MODULE="needlechart.config.settings",
        PYTHONUNBUFFERED="1",
    )
    return env


def manage(env, *args: str, timeout: float) -> subprocess.CompletedProcess:
    done = subprocess.run(
        [sys.executable, "-m", "needlechart.cli", "manage", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if done.returncode != 0:
        raise RuntimeError(f"manage {' '.join(args)} failed:\n{done.stderr.strip()[-3000:]}")
    return done


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
        timeout=3600,
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
        # A draft as its author sees it: the whole editable note (forms, body map, suggestions). The
        # bulk drafts are each patient's latest visit; this is the physio's nearest the middle.
        draft_patient, draft = conn.execute(
            "SELECT v.patient_id, v.id FROM charting_visit v JOIN patients_patient p ON p.id = v.patient_id"
            " JOIN accounts_user u ON u.id = v.clinician_id"
            " WHERE p.last_name LIKE 'Bulk-%%' AND u.username = %s AND v.signed_at IS NULL"
            " AND v.discarded_at IS NULL ORDER BY abs(v.patient_id - %s), v.id LIMIT 1",
            [USERNAME, patient],
        ).fetchone()
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
        "draft_patient_id": draft_patient,
        "draft_visit_id": draft,
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
        "requests_per_s": round(int(requests) / seconds, 1) if seconds else 0.0,
        "p50_ms": round(float(p50) / 1000, 2),
        "p95_ms": round(float(p95) / 1000, 2),
        "p99_ms": round(float(p99) / 1000, 2),
        "mean_ms": round(float(mean) / 1000, 2),
        "requests": int(requests),
        "non_2xx": int(non2xx),
        "socket_errors": int(socket_errors),
    }


def inspect_pages(env, pages: list, ids: dict, profile_dir: str, repeat: int) -> dict:
    result = subprocess.run(
        [sys.executable, "-c", INSPECT, USERNAME, profile_dir, str(repeat), json.dumps(pages), json.dumps(ids)],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    if result.returncode != 0:
        raise RuntimeError(f"inspecting the pages failed:\n{result.stderr.strip()[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def stop(server: subprocess.Popen) -> None:
    if server.poll() is None:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=5)


def scaling(runs: dict) -> dict:
    """Each page's ratio at the largest dataset against the smallest (both with the same patients)."""
    by_visits = sorted(runs.values(), key=lambda r: r["dataset"]["visits"])
    if len(by_visits) < 2:
        return {}
    small, large = by_visits[0], by_visits[-1]
    out = {
        "from_visits": small["dataset"]["visits"],
        "to_visits": large["dataset"]["visits"],
        "tolerance": SCALING_TOLERANCE,
        "pages": {},
    }
    for name, page in large["pages"].items():
        before = small["pages"].get(name)
        if name == FLOOR or not before or not before.get("ratio_to_floor"):
            continue
        kept = page["ratio_to_floor"] / before["ratio_to_floor"]
        out["pages"][name] = {
            "ratio_small": before["ratio_to_floor"],
            "ratio_large": page["ratio_to_floor"],
            "kept": round(kept, 3),
            "within_tolerance": kept >= 1 - SCALING_TOLERANCE,
        }
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", default="bench-web-results.json")
    parser.add_argument("--db", default="", help=f"PostgreSQL database (default {DB_PREFIX}<patients>x<visits>)")
    parser.add_argument("--fresh", action="store_true", help="drop and recreate the database first")
    parser.add_argument("--patients", type=int, default=2000)
    parser.add_argument("--visits-per-patient", type=int, default=20, help="20: 40,000 visits; 200: 400,000")
    parser.add_argument("--duration", type=int, default=10, help="seconds of load per page (1-120)")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of unrecorded load per page first")
    parser.add_argument("--rounds", type=int, default=1, help="run the sequence this often (ratio: the median)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--connections", type=int, default=20)
    parser.add_argument(
        "--sessions", type=int, default=0, help="signed-in sessions to rotate (default: 1 per connection)"
    )
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--port", type=int, default=0, help="gunicorn port on 127.0.0.1 (default: a free one)")
    parser.add_argument("--wrk", default=shutil.which("wrk") or "/usr/bin/wrk")
    parser.add_argument("--profile", action="store_true", help="profile each page with pyinstrument first")
    parser.add_argument(
        "--profile-dir",
        default=str(Path(tempfile.gettempdir()) / "needlechart-bench-profiles"),
        help="where --profile writes one report per page (default: in the temporary directory)",
    )
    parser.add_argument("--profile-requests", type=int, default=200, help="requests per page under the profiler")
    parser.add_argument("--pages", default="", help="comma-separated page names to load (default: the main six)")
    args = parser.parse_args()
    args.duration = min(max(args.duration, 1), 120)
    args.warmup = min(max(args.warmup, 0), 30)
    args.rounds = min(max(args.rounds, 1), 10)
    args.sessions = args.sessions or args.connections
    args.db = args.db or f"{DB_PREFIX}{args.patients}x{args.visits_per_patient}"
    if not re.fullmatch(DB_PREFIX + r"[a-z0-9_]+", args.db):
        log(f"--db {args.db!r}: the benchmark only creates, seeds or drops databases named {DB_PREFIX}*.")
        return 2
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
        log(f"Note: the machine is busy (load average {load_at_start}): absolute figures will read high.")
    env = app_env(args.db, args.pg_host, args.pg_port)
    dataset = prepare_database(args, env)
    ids = {
        "patient": dataset["patient_id"],
        "visit": dataset["visit_id"],
        "draft_patient": dataset["draft_patient_id"],
        "draft": dataset["draft_visit_id"],
    }
    wanted = {n.strip() for n in args.pages.split(",") if n.strip()}
    chosen = [
        page for page in PAGES if page[0] == FLOOR or page[0] in wanted or (not wanted and page[0] not in ON_REQUEST)
    ]
    if args.profile:
        Path(args.profile_dir).mkdir(parents=True, exist_ok=True)
        log(f"Counting SQL queries and profiling each page ({args.profile_requests} requests, to {args.profile_dir})")
    else:
        log("Counting SQL queries per page...")
    inspected = inspect_pages(env, chosen, ids, args.profile_dir if args.profile else "", args.profile_requests)
    bad = {name: r["status"] for name, r in inspected.items() if r["status"] != 200}
    if bad:
        raise RuntimeError(f"pages that do not answer 200 to the signed-in clinician: {bad}")
    pages = {name: inspected[name]["path"] for name, *_ in chosen}

    port = args.port or free_port()
    base = f"http://127.0.0.1:{port}"
    errors = tempfile.NamedTemporaryFile(prefix="bench-web-gunicorn-", suffix=".log", delete=False)  # noqa: SIM115
    gunicorn = str(BIN / "gunicorn")
    command = [gunicorn, "needlechart.config.wsgi", "-w", str(args.workers), "-b", f"127.0.0.1:{port}"]
    log(f"Starting gunicorn: {' '.join(command)} (errors to {errors.name})")
    server = subprocess.Popen(command, env=env, cwd=ROOT, stdout=errors, stderr=errors, start_new_session=True)
    runs: dict[str, list[dict]] = {name: [] for name in pages if name != FLOOR}
    floors: list[dict] = []
    script, finished = None, False
    # The floor before and after every page: each page is set against the mean of the two floor runs
    # around it, so a machine that speeds up or slows down during the run (other work on it) moves both
    # alike. With --rounds the whole sequence is repeated and each page's ratio is the median.
    order = [(FLOOR, pages[FLOOR])]
    for name, path in pages.items():
        if name != FLOOR:
            order += [(name, path), (FLOOR, pages[FLOOR])]
    try:
        wait_until_up(base, server)
        sessions = [sign_in(base) for _ in range(args.sessions)]
        log(f"Signed in as {USERNAME}: {len(sessions)} session(s)")
        with tempfile.NamedTemporaryFile("w", prefix="bench-web-", suffix=".lua", delete=False) as f:
            f.write(LUA % {"cookies": ", ".join(json.dumps(f"sessionid={s}") for s in sessions)})
            script = Path(f.name)
        for round_ in range(args.rounds):
            waiting = None
            for n, (name, path) in enumerate(order):
                if round_ and n == 0:
                    continue  # the last floor run of the round before is this round's first
                url = base + path
                if args.warmup:
                    run_wrk(args, url, script, args.warmup)
                r = run_wrk(args, url, script, args.duration)
                if name == FLOOR:
                    floors.append(r)
                    if waiting is not None:
                        around = (waiting["floor_before_requests_per_s"] + r["requests_per_s"]) / 2
                        waiting["floor_after_requests_per_s"] = r["requests_per_s"]
                        waiting["ratio_to_floor"] = round(waiting["requests_per_s"] / around, 3) if around else 0.0
                        waiting = None
                else:
                    r["floor_before_requests_per_s"] = floors[-1]["requests_per_s"]
                    runs[name].append(r)
                    waiting = r
                log(
                    f"  {name:15s} {r['requests_per_s']:7.1f} req/s  p50 {r['p50_ms']:7.2f} ms"
                    f"  p95 {r['p95_ms']:7.2f} ms  non-2xx {r['non_2xx']}"
                )
        finished = True
    finally:
        stop(server)
        errors.close()
        if script is not None:
            script.unlink(missing_ok=True)
        if finished:
            Path(errors.name).unlink(missing_ok=True)  # kept only when something went wrong

    def mean(values) -> float:
        values = list(values)
        return sum(values) / len(values)

    each = [f["requests_per_s"] for f in floors]
    floor = {
        "requests_per_s": round(mean(each), 1),
        "requests_per_s_each": each,  # in run order: how steady the machine was
        "requests_per_s_spread": round(max(each) / min(each) - 1, 3) if min(each) else None,
        "p50_ms": round(mean(f["p50_ms"] for f in floors), 2),
        "p95_ms": round(mean(f["p95_ms"] for f in floors), 2),
        "p99_ms": round(mean(f["p99_ms"] for f in floors), 2),
        "requests": sum(f["requests"] for f in floors),
        "non_2xx": sum(f["non_2xx"] for f in floors),
        "socket_errors": sum(f["socket_errors"] for f in floors),
        "ratio_to_floor": 1.0,
        **{k: v for k, v in inspected[FLOOR].items() if k != "status"},
    }
    results: dict[str, dict] = {}
    for name, page_runs in runs.items():
        ratios = sorted(r["ratio_to_floor"] for r in page_runs)
        r = {
            "requests_per_s": round(mean(x["requests_per_s"] for x in page_runs), 1),
            "floor_requests_per_s": round(
                mean((x["floor_before_requests_per_s"] + x["floor_after_requests_per_s"]) / 2 for x in page_runs), 1
            ),
            "ratio_to_floor": round(statistics.median(ratios), 3),
            "goal_ratio": GOAL_RATIO,
            "p50_ms": round(mean(x["p50_ms"] for x in page_runs), 2),
            "p95_ms": round(mean(x["p95_ms"] for x in page_runs), 2),
            "p99_ms": round(mean(x["p99_ms"] for x in page_runs), 2),
            "requests": sum(x["requests"] for x in page_runs),
            "non_2xx": sum(x["non_2xx"] for x in page_runs),
            "socket_errors": sum(x["socket_errors"] for x in page_runs),
            **{k: v for k, v in inspected[name].items() if k != "status"},
        }
        if len(page_runs) > 1:
            r["ratio_to_floor_each"] = [x["ratio_to_floor"] for x in page_runs]
        else:
            r["floor_before_requests_per_s"] = page_runs[0]["floor_before_requests_per_s"]
            r["floor_after_requests_per_s"] = page_runs[0]["floor_after_requests_per_s"]
        r["met"] = r["ratio_to_floor"] >= GOAL_RATIO and r["non_2xx"] == 0 and r["socket_errors"] == 0
        results[name] = r
    ordered = {FLOOR: floor, **results}

    header = (
        f"{'page':15s} {'path':44s} {'req/s':>8s} {'ratio':>6s} {'p50 ms':>8s} {'p95 ms':>8s}"
        f" {'non-2xx':>8s} {'queries':>8s}"
    )
    print("\n" + header + "\n" + "-" * len(header))
    for name, r in ordered.items():
        verdict = "" if name == FLOOR else ("" if r["met"] else f"  under {GOAL_RATIO}")
        print(
            f"{name:15s} {r['path'][:44]:44s} {r['requests_per_s']:8.1f} {r['ratio_to_floor']:6.2f}"
            f" {r['p50_ms']:8.2f} {r['p95_ms']:8.2f} {r['non_2xx']:8d} {r.get('queries', '-'):>8}{verdict}"
        )
    print(
        "(ratio = the page's req/s / the mean of the floor runs just before and after it"
        + (f", the median of {args.rounds} rounds" if args.rounds > 1 else "")
        + f"; the floor ran {len(each)} times: {', '.join(f'{x:.0f}' for x in each)} req/s)"
    )
    run = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "load_average_1min_at_start": load_at_start,  # other work on the machine skews absolute figures
        },
        "server": {"gunicorn_workers": args.workers, "database": "postgresql", "debug": False},
        "load": {
            "tool": "wrk",
            "threads": args.threads,
            "connections": args.connections,
            "duration_s": args.duration,
            "warmup_s": args.warmup,
            "rounds": args.rounds,
            "sessions": args.sessions,
        },
        "dataset": dataset,
        "goal": f"each page's requests/s at least {GOAL_RATIO} of the floor's ({pages[FLOOR]}), measured"
        " against the floor runs just before and after it",
        "all_met": all(r["met"] for r in results.values()),
        "pages": ordered,
    }
    output = Path(args.output)
    try:
        report = json.loads(output.read_text())
        runs = report["runs"] if isinstance(report.get("runs"), dict) else {}
    except (OSError, ValueError, AttributeError):
        runs = {}
    runs[f"{dataset['visits']} visits"] = run
    runs = dict(sorted(runs.items(), key=lambda kv: kv[1]["dataset"]["visits"]))
    report = {
        "about": "scripts/bench_web.py: each page's requests/s as a fraction of the signed-in floor page's, "
        "one entry per dataset size (the latest run of each)",
        "latest": f"{dataset['visits']} visits",
        "runs": runs,
        "scaling": scaling(runs),
    }
    output.write_text(json.dumps(report, indent=2) + "\n")
    if report["scaling"]:
        s = report["scaling"]
        print(f"\nRatio at {s['to_visits']} visits against {s['from_visits']}:")
        for name, row in s["pages"].items():
            print(
                f"  {name:15s} {row['ratio_small']:.2f} -> {row['ratio_large']:.2f} (kept {row['kept']:.0%})"
                + ("" if row["within_tolerance"] else f"  lost more than {SCALING_TOLERANCE:.0%}")
            )
    print(f"\nResults written to {args.output} (goal: every page at {GOAL_RATIO} of the floor or better)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
