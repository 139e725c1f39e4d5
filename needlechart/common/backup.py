"""Backing up and restoring the whole database, with its locks.

`dumpdata`/`loaddata` cannot do this: loading rows fires the triggers that lock signed notes and keep
the audit trail append-only (see needlechart.common.guards), and Django's JSON keeps timestamps to
the millisecond only. So each database makes its own copy:

- SQLite: the online backup API (`sqlite3.Connection.backup`) copies the file page by page under one
  read lock, a consistent snapshot even while the application runs. Restoring copies the backup's
  pages into the configured file the same way, so schema, triggers and every value are the backup's.
- PostgreSQL: `pg_dump --format=custom`, from the same snapshot the row counts are read in, and
  `pg_restore --single-transaction --no-owner --no-privileges` into a new, empty database, both as the
  schema's owner (`needlechart.common.dbroles`: the role migrations run as). Triggers and their
  functions are created after the rows are loaded, so the locks do not fire on the load and are all
  there afterwards; a failed restore leaves the database empty. Everything restored belongs to the
  owner and the application role gets rows-only access, exactly as after `migrate`.

A restore never overwrites data: the target must be empty, or it is refused. User errors (a missing
file, a file that is not a backup, a database that is not empty, a missing pg_dump) raise
`BackupError` with a message that says what is wrong and what to do.
"""

from __future__ import annotations

import glob
import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_CUSTOM_MAGIC = b"PGDMP"
# Tables `migrate` fills by itself: a database holding rows only here has no one's data in it.
SCHEMA_ONLY_TABLES = frozenset({"django_migrations", "django_content_type", "auth_permission"})
# A NeedleChart database has applied NeedleChart's own migrations, not just Django's.
NEEDLECHART_MARKER_TABLE = "charting_visit"
# Before migration common/0001 a row here switched every SQLite trigger off (old `flush` set it while
# emptying the database): a copy holding such a row would restore with no lock working.
LEGACY_BYPASS_TABLE = "needlechart_maintenance"
# Connection settings from DATABASES[...]["OPTIONS"] that libpq (and so pg_dump) understands.
LIBPQ_OPTIONS = frozenset(
    {
        "sslmode",
        "sslrootcert",
        "sslcert",
        "sslkey",
        "sslpassword",
        "connect_timeout",
        "application_name",
        "target_session_attrs",
        "options",
        "passfile",
        "service",
    }
)
SQLITE_TIMEOUT_SECONDS = 20.0  # as the application waits for a writer (settings OPTIONS timeout)
PG_TOOL_TIMEOUT_SECONDS = 6 * 3600


class BackupError(Exception):
    """A backup or restore that cannot go ahead: the message names the problem and the fix."""


@dataclass(frozen=True)
class _Counted:
    """A copy of the database and what it holds: the row count of each table and the triggers."""

    path: Path
    vendor: str
    size: int
    row_counts: Mapping[str, int]
    triggers: int

    @property
    def tables(self) -> int:
        return len(self.row_counts)

    @property
    def rows(self) -> int:
        return sum(self.row_counts.values())

    def _counts(self) -> str:
        return f"{self.tables} tables, {self.rows} rows, {self.triggers} triggers."


@dataclass(frozen=True)
class BackupResult(_Counted):
    """What a backup file holds: counted in the very snapshot that was copied."""

    def summary(self) -> str:
        return f"Backed up {self.vendor} to {self.path} ({_size(self.size)}): {self._counts()}"


@dataclass(frozen=True, kw_only=True)
class RestoreResult(_Counted):
    """What the restored database holds, counted in it after the restore."""

    database: str

    def summary(self) -> str:
        return (
            f"Restored {self.path} ({_size(self.size)}) into {self.vendor} database {self.database}: {self._counts()}"
        )


@dataclass(frozen=True)
class _Census:
    row_counts: dict[str, int]
    triggers: int


def _size(size: int) -> str:
    value = float(size)
    for unit in ("bytes", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{int(value)} bytes" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")  # pragma: no cover


# ---------------------------------------------------------------- public API


def backup(*, path: Path, database: str = "default") -> BackupResult:
    """Copy the whole `database` (an alias of settings.DATABASES) to the file `path`.

    The file is written next to `path` under a temporary name of its own and renamed into place only
    once it is complete and checked, so an interrupted backup never leaves a half-written file where
    the last good one was, and two backups at once never share a file. It is readable by its owner
    only (mode 0600): it holds every patient's record."""
    config = _config(database)
    path = Path(path).expanduser()
    if path.is_dir():
        raise BackupError(f"{path} is a folder: give the backup a file name, e.g. {path / 'needlechart.backup'}")
    if not path.parent.is_dir():
        raise BackupError(f"the folder {path.parent} does not exist: create it first, or back up elsewhere")
    try:
        handle, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".partial")
    except OSError as exc:
        raise BackupError(f"cannot write a backup in {path.parent}: {exc.strerror}") from None
    os.close(handle)
    partial = Path(name)
    try:
        if _vendor(config) == "sqlite":
            census = _sqlite_backup(source=_sqlite_path(config), partial=partial, path=path)
        else:
            census = _pg_backup(config=config, partial=partial, path=path)
        try:
            os.replace(partial, path)
        except OSError as exc:
            raise BackupError(f"cannot put the backup in place at {path}: {exc.strerror}") from None
    finally:
        _remove(partial)
    return BackupResult(
        path=path,
        vendor=_vendor(config),
        size=path.stat().st_size,
        row_counts=census.row_counts,
        triggers=census.triggers,
    )


def restore(*, path: Path, database: str = "default") -> RestoreResult:
    """Restore the backup file `path` into `database`, which must be empty.

    Empty means: for SQLite, a file that does not exist yet, or one with no rows beyond what
    `migrate` writes by itself (the copy replaces its schema too); for PostgreSQL, a database without
    tables (`pg_restore` creates them). Anything else is refused, so a restore never overwrites
    records."""
    config = _config(database)
    path = Path(path).expanduser()
    if not path.is_file():
        raise BackupError(f"{path}: no such backup file")
    vendor = _vendor(config)
    kind = _sniff(path)
    if kind is None:
        raise BackupError(
            f"{path} is not a NeedleChart backup (neither a SQLite database nor a pg_dump custom-format "
            "archive): give the file `needlechart backup` wrote"
        )
    if kind != vendor:
        other = "NEEDLECHART_DB=postgres" if kind == "postgresql" else "NEEDLECHART_DB unset (SQLite)"
        raise BackupError(
            f"{path} is a {_VENDOR_NAMES[kind]} backup but this NeedleChart is configured for "
            f"{_VENDOR_NAMES[vendor]}: restore it with {other}"
        )
    if vendor == "sqlite":
        target = _sqlite_path(config)
        census = _sqlite_restore(path=path, target=target)
        return RestoreResult(
            path=path,
            vendor=vendor,
            database=str(target),
            size=target.stat().st_size,
            row_counts=census.row_counts,
            triggers=census.triggers,
        )
    census, size = _pg_restore(path=path, config=config)
    return RestoreResult(
        path=path,
        vendor=vendor,
        database=str(config["NAME"]),
        size=size,
        row_counts=census.row_counts,
        triggers=census.triggers,
    )


# ---------------------------------------------------------------- settings and files

_VENDOR_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


def _config(database: str) -> dict[str, Any]:
    try:
        return dict(settings.DATABASES[database])
    except KeyError:
        known = ", ".join(sorted(settings.DATABASES))
        raise BackupError(f"no database called {database!r} in the settings (known: {known})") from None


def _vendor(config: Mapping[str, Any]) -> str:
    engine = str(config.get("ENGINE", ""))
    if engine.endswith("sqlite3"):
        return "sqlite"
    if engine.endswith("postgresql"):
        return "postgresql"
    raise BackupError(f"cannot back up a {engine or 'unconfigured'} database: NeedleChart runs on SQLite or PostgreSQL")


def _sqlite_path(config: Mapping[str, Any]) -> Path:
    name = str(config.get("NAME") or "")
    if not name or name == ":memory:" or "mode=memory" in name or name.startswith("file:"):
        raise BackupError(f"the SQLite database {name or '(unnamed)'} is not a file: set NEEDLECHART_SQLITE_PATH")
    return Path(name).expanduser().absolute()


def _sniff(path: Path) -> str | None:
    """Which kind of backup a file is, from its first bytes (None: neither)."""
    with path.open("rb") as handle:
        head = handle.read(len(SQLITE_MAGIC))
    if head == SQLITE_MAGIC:
        return "sqlite"
    if head.startswith(PG_CUSTOM_MAGIC):
        return "postgresql"
    return None


def _remove(path: Path) -> None:
    for leftover in (path, path.with_name(path.name + "-journal")):
        leftover.unlink(missing_ok=True)


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return False


# ---------------------------------------------------------------- SQLite


@contextmanager
def _sqlite_read(path: Path) -> Iterator[sqlite3.Connection]:
    """A read-only connection: opening it never creates a file nor changes one."""
    try:
        conn = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True, timeout=SQLITE_TIMEOUT_SECONDS)
    except sqlite3.Error as exc:
        raise BackupError(f"cannot open the SQLite database {path}: {exc}") from None
    with closing(conn):
        yield conn


def _sqlite_tables(conn: sqlite3.Connection) -> list[str]:
    query = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'"
    return [name for (name,) in conn.execute(query + " ORDER BY name")]


def _sqlite_census(conn: sqlite3.Connection) -> _Census:
    counts = {t: conn.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0] for t in _sqlite_tables(conn)}
    triggers = conn.execute("SELECT COUNT(*) FROM sqlite_master WHERE type = 'trigger'").fetchone()[0]
    return _Census(row_counts=counts, triggers=triggers)


def _sqlite_check(conn: sqlite3.Connection, *, what: str, thorough: bool = True) -> _Census:
    """The database is NeedleChart's and its locks are switched on, and (`thorough`) every page of it
    reads back whole; its census."""
    try:
        check = conn.execute("PRAGMA quick_check").fetchone()[0] if thorough else "ok"
        census = _sqlite_census(conn)
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{what} is damaged or incomplete ({exc}): use another backup") from None
    if check != "ok":
        raise BackupError(f"{what} is damaged (SQLite quick_check: {check}); use another backup")
    if "django_migrations" not in census.row_counts or NEEDLECHART_MARKER_TABLE not in census.row_counts:
        raise BackupError(f"{what} is not a NeedleChart database or backup (it has no NeedleChart tables)")
    if census.row_counts.get(LEGACY_BYPASS_TABLE):
        # `flush` switches the locks off while it empties the database: such a copy would have none.
        raise BackupError(
            f"{what} was copied while the database was being emptied (flush), with its locks switched "
            "off; back up again once that has finished, or use an earlier backup"
        )
    return census


def _sqlite_backup(*, source: Path, partial: Path, path: Path) -> _Census:
    if not source.is_file():
        raise BackupError(f"the SQLite database {source} does not exist: nothing to back up (NEEDLECHART_SQLITE_PATH)")
    if _same_file(source, path):
        raise BackupError(f"{path} is the live database itself: write the backup to another file")
    with _sqlite_read(source) as live, closing(sqlite3.connect(partial)) as copy:
        # Cheap checks first; the copy gets the full one (a damaged live file makes a damaged copy).
        _sqlite_check(live, what=f"the database {source}", thorough=False)
        try:
            # pages=-1 (the default): one step, under one read lock, so the copy is one snapshot.
            live.backup(copy)
        except sqlite3.Error as exc:
            raise BackupError(f"the backup of {source} failed: {exc}") from None
    with _sqlite_read(partial) as copy:
        return _sqlite_check(copy, what=f"the backup written to {path}")


def _sqlite_refuse_unless_empty(target: Path) -> None:
    if not target.parent.is_dir():
        raise BackupError(f"the folder {target.parent} does not exist: create it, or set NEEDLECHART_SQLITE_PATH")
    if not target.exists():
        # Made here, so that it is readable by its owner only: it is about to hold every record.
        os.close(os.open(target, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
        return
    if target.stat().st_size == 0:
        return
    how = (
        "a restore only goes into an empty database, so that nothing is overwritten: point "
        "NEEDLECHART_SQLITE_PATH at a new file (e.g. NEEDLECHART_SQLITE_PATH=/srv/needlechart/restored.sqlite3 "
        "needlechart restore FILE), or move this one aside"
    )
    if _sniff(target) != "sqlite":
        raise BackupError(f"cannot restore into {target}: it is not a SQLite database; {how}")
    with _sqlite_read(target) as conn:
        try:
            counts = _sqlite_census(conn).row_counts
        except sqlite3.DatabaseError as exc:
            raise BackupError(f"cannot restore into {target}: it is not readable ({exc}); {how}") from None
    holding = sorted(t for t, n in counts.items() if n and t not in SCHEMA_ONLY_TABLES)
    if holding:
        rows = sum(counts[t] for t in holding)
        raise BackupError(
            f"cannot restore into {target}: the database must be empty, but it holds {rows} rows "
            f"in {len(holding)} tables ({', '.join(holding[:4])}{', ...' if len(holding) > 4 else ''}); {how}"
        )


def _sqlite_restore(*, path: Path, target: Path) -> _Census:
    if _same_file(path, target):
        raise BackupError(f"{path} is the configured database itself: point NEEDLECHART_SQLITE_PATH at a new file")
    with _sqlite_read(path) as source:
        expected = _sqlite_check(source, what=str(path))
        _sqlite_refuse_unless_empty(target)
        try:
            with closing(sqlite3.connect(target, timeout=SQLITE_TIMEOUT_SECONDS)) as conn:
                # Page by page, the backup's schema, triggers and values replace whatever was there.
                source.backup(conn)
        except sqlite3.Error as exc:
            raise BackupError(f"the restore into {target} failed: {exc}") from None
    with _sqlite_read(target) as conn:
        restored = _sqlite_census(conn)
    if restored != expected:
        raise BackupError(f"the restore into {target} does not match {path}: restore into a new file again")
    return restored


# ---------------------------------------------------------------- PostgreSQL


def _pg_as_owner(config: Mapping[str, Any]) -> dict[str, Any]:
    """The settings with the owner's credentials: backup and restore, like migrations, are the
    owner's work (the application role may not read every catalogue nor create the schema)."""
    from needlechart.common import dbroles

    return {**config, **dbroles.owner_credentials(dict(config))}


def _pg_conninfo(config: Mapping[str, Any]) -> str:
    """A libpq connection string for the settings, without the password (that goes in PGPASSWORD,
    never on a command line others can read)."""
    from psycopg.conninfo import make_conninfo

    params: dict[str, Any] = {
        "host": config.get("HOST") or None,
        "port": str(config["PORT"]) if config.get("PORT") else None,
        "user": config.get("USER") or None,
        "dbname": config.get("NAME") or None,
    }
    options = config.get("OPTIONS") or {}
    params.update({k: str(v) for k, v in options.items() if k in LIBPQ_OPTIONS})
    return make_conninfo(**{k: v for k, v in params.items() if v is not None})


def _pg_env(config: Mapping[str, Any]) -> dict[str, str]:
    env = dict(os.environ)
    if config.get("PASSWORD"):
        env["PGPASSWORD"] = str(config["PASSWORD"])
    return env


def _pg_connect(config: Mapping[str, Any], *, autocommit: bool = True) -> Any:
    import psycopg

    try:
        return psycopg.connect(
            _pg_conninfo(config), password=config.get("PASSWORD") or None, autocommit=autocommit, connect_timeout=10
        )
    except psycopg.OperationalError as exc:
        reason = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
        hint = ""
        if "does not exist" in reason:
            hint = f"; create it first: createdb --owner={config.get('USER') or 'OWNER'} {config.get('NAME')}"
        raise BackupError(f"cannot connect to PostgreSQL database {config.get('NAME')}: {reason}{hint}") from None


def _pg_tool(name: str) -> str:
    """pg_dump or pg_restore: from PATH, else the newest of Debian's versioned installs (a newer
    pg_dump reads an older server; an older one refuses a newer server)."""
    found = shutil.which(name)
    if found:
        return found

    def version(candidate: str) -> tuple[int, ...]:
        digits = re.findall(r"\d+", Path(candidate).parent.parent.name)
        return tuple(int(d) for d in digits)

    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=version)
    if candidates:
        return candidates[-1]
    raise BackupError(
        f"{name} was not found on PATH nor in /usr/lib/postgresql/*/bin: install the PostgreSQL client "
        "tools of the server's version (e.g. apt-get install postgresql-client)"
    )


def _run(argv: list[str], *, env: Mapping[str, str], what: str) -> str:
    try:
        result = subprocess.run(
            argv, env=dict(env), capture_output=True, text=True, timeout=PG_TOOL_TIMEOUT_SECONDS, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise BackupError(f"{what} could not run: {exc}") from None
    if result.returncode != 0:
        lines = [line for line in result.stderr.strip().splitlines() if line.strip()]
        raise BackupError(f"{what} failed: {' / '.join(lines[-3:]) or f'exit status {result.returncode}'}")
    return result.stdout


_PG_TABLES = """
    SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
      AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%'
    ORDER BY n.nspname, c.relname
"""


def _pg_census(cursor: Any) -> _Census:
    from psycopg import sql

    counts: dict[str, int] = {}
    for schema, table in cursor.execute(_PG_TABLES).fetchall():
        name = table if schema == "public" else f"{schema}.{table}"
        query = sql.SQL("SELECT COUNT(*) FROM {}").format(sql.Identifier(schema, table))
        counts[name] = cursor.execute(query).fetchone()[0]
    triggers = cursor.execute("SELECT COUNT(*) FROM pg_trigger WHERE NOT tgisinternal").fetchone()[0]
    return _Census(row_counts=counts, triggers=triggers)


def _pg_backup(*, config: Mapping[str, Any], partial: Path, path: Path) -> _Census:
    pg_dump = _pg_tool("pg_dump")
    config = _pg_as_owner(config)
    with closing(_pg_connect(config, autocommit=False)) as conn:
        # One snapshot for the counts and for pg_dump: the summary describes exactly what was copied.
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        with conn.cursor() as cursor:
            snapshot = cursor.execute("SELECT pg_export_snapshot()").fetchone()[0]
            census = _pg_census(cursor)
            if "django_migrations" not in census.row_counts or NEEDLECHART_MARKER_TABLE not in census.row_counts:
                raise BackupError(
                    f"PostgreSQL database {config.get('NAME')} is not a NeedleChart database "
                    "(it has no NeedleChart migrations): nothing to back up"
                )
            _run(
                [
                    pg_dump,
                    "--format=custom",
                    f"--snapshot={snapshot}",
                    f"--file={partial}",
                    f"--dbname={_pg_conninfo(config)}",
                ],
                env=_pg_env(config),
                what="pg_dump",
            )
        conn.rollback()
    _pg_archive_tables(partial, what=f"the backup written to {path}")
    return census


def _pg_archive_tables(path: Path, *, what: str) -> set[str]:
    """The tables whose rows a custom-format archive holds; refuses one that is not NeedleChart's."""
    try:
        listing = _run([_pg_tool("pg_restore"), "--list", str(path)], env=os.environ, what="pg_restore --list")
    except BackupError as exc:
        raise BackupError(f"{what} is not a backup pg_restore can read ({exc})") from None
    tables = {f"{m[1]}.{m[2]}" if m[1] != "public" else m[2] for m in re.finditer(r"TABLE DATA (\S+) (\S+)", listing)}
    if "django_migrations" not in tables or NEEDLECHART_MARKER_TABLE not in tables:
        raise BackupError(f"{what} is not a NeedleChart backup (it has no NeedleChart tables)")
    return tables


def _pg_application_role(config: Mapping[str, Any]) -> str | None:
    """The role requests are served as, when it is not the owner (None: one role for both)."""
    from needlechart.common import dbroles

    return str(config["USER"]) if dbroles.has_separate_roles(dict(config)) else None


def _pg_grant(cursor: Any, *, role: str, owner: str, database: str) -> None:
    """Rows-only access for the application role, as `migrate` grants it (needlechart.common.dbroles)."""
    from psycopg import sql

    from needlechart.common import dbroles

    def quote(name: str) -> str:
        return sql.Identifier(name).as_string(cursor.connection)

    for statement in dbroles.grant_statements(quote=quote, role=role, owner=owner, database=database):
        cursor.execute(statement)
    problems = dbroles.role_problems(cursor, role=role)
    if problems:
        raise BackupError(f"the application role is unsafe: {'; '.join(problems)}; fix the role, then grant again")


def _pg_restore(*, path: Path, config: Mapping[str, Any]) -> tuple[_Census, int]:
    archived = _pg_archive_tables(path, what=str(path))
    pg_restore = _pg_tool("pg_restore")
    application_role = _pg_application_role(config)
    config = _pg_as_owner(config)
    owner = str(config.get("USER") or "OWNER")
    with closing(_pg_connect(config)) as conn:
        existing = [t for _, t in conn.execute(_PG_TABLES).fetchall()]
        role_missing = (
            application_role is not None
            and not conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [application_role]).fetchone()
        )
    if existing:
        raise BackupError(
            f"cannot restore into PostgreSQL database {config.get('NAME')}: the database must be empty, but it "
            f"has {len(existing)} tables ({', '.join(existing[:4])}{', ...' if len(existing) > 4 else ''}); "
            f"a restore only goes into a new empty database, so nothing is overwritten: "
            f"createdb --owner={owner} NEWNAME, then NEEDLECHART_PG_NAME=NEWNAME needlechart restore FILE"
        )
    if role_missing:
        raise BackupError(
            f"the application role {application_role} (NEEDLECHART_PG_USER) does not exist on this server: "
            "create it first with `needlechart manage app_role`, then restore again"
        )
    _run(
        [
            pg_restore,
            # All or nothing: a failure rolls back to the empty database, ready for another try.
            "--single-transaction",
            "--exit-on-error",
            # Everything belongs to the owner connected here, as after `migrate`, and the backup's
            # roles need not exist on this server: its owner and grants are not replayed. The
            # application role configured here is granted its rows-only access below instead.
            "--no-owner",
            "--no-privileges",
            f"--dbname={_pg_conninfo(config)}",
            str(path),
        ],
        env=_pg_env(config),
        what="pg_restore",
    )
    with closing(_pg_connect(config)) as conn, conn.cursor() as cursor:
        if application_role is not None:
            _pg_grant(cursor, role=application_role, owner=owner, database=str(config["NAME"]))
        # pg_restore brings the rows back but not the planner's statistics: gather them now rather
        # than serve the first pages with plans made for empty tables.
        cursor.execute("ANALYZE")
        census = _pg_census(cursor)
        size = cursor.execute("SELECT pg_database_size(current_database())").fetchone()[0]
    if set(census.row_counts) != archived:
        raise BackupError(
            f"the restore of {path} into {config.get('NAME')} did not recreate every table: restore into a new "
            "empty database again"
        )
    return census, size
