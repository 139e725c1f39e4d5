"""`needlechart backup` and `restore`: the demo clinic comes back row for row, every timestamp to the
microsecond, with every lock on signed notes and on the audit trail still enforced by the database.

Marked `postgres`: the normal run covers SQLite, and `-m postgres` with NEEDLECHART_DB=postgres runs
the same tests on PostgreSQL. The demo clinic is seeded into the test database once for the module
(and flushed afterwards); every check reads databases with raw SQL over connections of its own, so it
sees exactly what is stored, not what the ORM makes of it.
"""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from needlechart.common.backup import BackupError, BackupResult, RestoreResult, backup, restore

# django_db: so that pytest-django creates the test database; the tests themselves use no ORM, and
# read and write through connections of their own.
pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

OWNER_KEY = "NEEDLECHART_OWNER"  # needlechart.common.dbroles.OWNER_KEY


# ---------------------------------------------------------------- databases read with raw SQL


@dataclass(frozen=True)
class Db:
    """One database as configured under an alias, read and written without Django."""

    config: dict[str, Any]

    @property
    def vendor(self) -> str:
        return "sqlite" if self.config["ENGINE"].endswith("sqlite3") else "postgresql"

    @property
    def owner(self) -> dict[str, str]:
        owner = self.config.get(OWNER_KEY) or {}
        if owner.get("USER"):
            return {"USER": owner["USER"], "PASSWORD": owner.get("PASSWORD") or ""}
        return {"USER": self.config["USER"], "PASSWORD": self.config.get("PASSWORD") or ""}

    def connect(self, *, as_owner: bool = True, autocommit: bool = True) -> Any:
        if self.vendor == "sqlite":
            return sqlite3.connect(self.config["NAME"], isolation_level=None)
        import psycopg

        user = self.owner if as_owner else {"USER": self.config["USER"], "PASSWORD": self.config.get("PASSWORD")}
        return psycopg.connect(
            host=self.config["HOST"],
            port=self.config["PORT"],
            dbname=self.config["NAME"],
            user=user["USER"],
            password=user["PASSWORD"] or None,
            autocommit=autocommit,
        )

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        conn = self.connect()
        try:
            return [tuple(row) for row in conn.execute(sql).fetchall()]
        finally:
            conn.close()

    def tables(self) -> list[str]:
        if self.vendor == "sqlite":
            sql = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
        else:
            sql = "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
        return [name for (name,) in self.query(sql)]

    def rows(self) -> dict[str, list[tuple[Any, ...]]]:
        """Every row of every table, ordered by primary key, as stored: on SQLite each value with its
        storage class (1 and 1.0 and '1' differ), on PostgreSQL each row as the server's text of it
        (every timestamp to the microsecond, every JSON value as stored)."""
        out: dict[str, list[tuple[Any, ...]]] = {}
        for table in self.tables():
            if self.vendor == "sqlite":
                info = self.query(f'PRAGMA table_info("{table}")')
                columns = [f'"{c[1]}"' for c in info]
                pk = [f'"{c[1]}"' for c in sorted(info, key=lambda c: c[5]) if c[5]] or ["rowid"]
                values = ", ".join(f"typeof({c}), {c}" for c in columns)
                out[table] = self.query(f'SELECT {values} FROM "{table}" ORDER BY {", ".join(pk)}')
            else:
                pk = self.query(
                    "SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid "
                    f"AND a.attnum = ANY(i.indkey) WHERE i.indrelid = 'public.{table}'::regclass AND i.indisprimary"
                )
                order = ", ".join(f'"{name}"' for (name,) in pk) or "t::text"
                out[table] = self.query(f'SELECT *, t::text FROM public."{table}" AS t ORDER BY {order}')
        if self.vendor == "sqlite":  # AUTOINCREMENT counters: new rows must not reuse an id
            out["sqlite_sequence"] = self.query("SELECT name, seq FROM sqlite_sequence ORDER BY name")
        return out

    def triggers(self) -> list[tuple[Any, ...]]:
        """The locks: each trigger's definition (and on PostgreSQL its function's and whether it is
        enabled)."""
        if self.vendor == "sqlite":
            return self.query("SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'trigger' ORDER BY name")
        triggers = self.query(
            "SELECT c.relname, t.tgname, t.tgenabled, pg_get_triggerdef(t.oid) FROM pg_trigger t "
            "JOIN pg_class c ON c.oid = t.tgrelid WHERE NOT t.tgisinternal ORDER BY 1, 2"
        )
        functions = self.query(
            "SELECT p.proname, pg_get_functiondef(p.oid) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
            "WHERE n.nspname = 'public' ORDER BY 1"
        )
        return triggers + functions

    def trigger_count(self) -> int:
        if self.vendor == "sqlite":
            return self.query("SELECT COUNT(*) FROM sqlite_master WHERE type = 'trigger'")[0][0]
        return self.query("SELECT COUNT(*) FROM pg_trigger WHERE NOT tgisinternal")[0][0]

    def schema(self) -> list[tuple[Any, ...]]:
        if self.vendor == "sqlite":
            return self.query("SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name")
        return (
            self.query(
                "SELECT table_name, column_name, data_type, column_default, is_nullable "
                "FROM information_schema.columns "
                "WHERE table_schema = 'public' ORDER BY 1, 2"
            )
            + self.query("SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1")
            + self.query(
                "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE connamespace = 'public'::regnamespace ORDER BY 1, 2"
            )
            + self.query("SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = 'public' ORDER BY 1")
        )

    def attempt(self, sql: str) -> str:
        """Run one statement as the application would (the application role on PostgreSQL) and roll
        it back: the database's refusal, or how many rows it changed."""
        conn = self.connect(as_owner=False, autocommit=self.vendor == "sqlite")
        try:
            if self.vendor == "sqlite":
                conn.execute("BEGIN")
            try:
                return f"{conn.execute(sql).rowcount} rows changed"
            except Exception as exc:  # noqa: BLE001 - the refusal is the result
                return str(exc)
            finally:
                conn.rollback()
        finally:
            conn.close()

    def first_id(self, table: str, where: str = "1 = 1") -> int:
        rows = self.query(f"SELECT id FROM {table} WHERE {where} ORDER BY id LIMIT 1")
        assert rows, f"no {table} row where {where}"
        return rows[0][0]


@dataclass(frozen=True)
class Demo:
    backup: BackupResult
    rows: dict[str, list[tuple[Any, ...]]]
    triggers: list[tuple[Any, ...]]
    schema: list[tuple[Any, ...]]
    db: Db


@dataclass(frozen=True)
class Restored:
    result: RestoreResult
    db: Db


def _default() -> Db:
    return Db(dict(settings.DATABASES["default"]))


def _pg_admin(db: Db) -> Any:
    import psycopg

    return psycopg.connect(
        host=db.config["HOST"],
        port=db.config["PORT"],
        dbname="postgres",
        user=db.owner["USER"],
        password=db.owner["PASSWORD"] or None,
        autocommit=True,
    )


@pytest.fixture(scope="module")
def targets(tmp_path_factory) -> Iterator[Callable[[], str]]:
    """`new()` registers a new, empty database under a fresh alias and returns the alias: a SQLite
    file that does not exist yet, or a PostgreSQL database with a unique name (dropped afterwards)."""
    source = _default()
    folder = tmp_path_factory.mktemp("restore-targets")
    made: list[tuple[str, str]] = []

    def new() -> str:
        alias = f"restore_target_{len(made)}"
        if source.vendor == "sqlite":
            name = str(folder / f"{alias}.sqlite3")
        else:
            name = f"needlechart_backup_{uuid.uuid4().hex[:10]}"
            with _pg_admin(source) as admin:
                admin.execute(f'CREATE DATABASE "{name}" OWNER "{source.owner["USER"]}"')
        made.append((alias, name))
        settings.DATABASES[alias] = {**source.config, "NAME": name}
        return alias

    try:
        yield new
    finally:
        for alias, name in made:
            settings.DATABASES.pop(alias, None)
            if source.vendor == "postgresql":
                with _pg_admin(source) as admin:
                    admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker, tmp_path_factory) -> Iterator[Demo]:
    """The demo clinic in the test database, with a draft, a discarded note and an addendum besides
    its signed notes, backed up once."""
    from django.core.management import call_command

    from needlechart.charting import services as charting
    from needlechart.charting.models import Visit
    from needlechart.demo.seed import seed

    with django_db_blocker.unblock():
        seed()
        signed = Visit.objects.filter(signed_at__isnull=False, clinician__username="physio").first()
        charting.add_addendum(signed.clinician, signed, "Patient rang: soreness settled after two days.")
        charting.start_visit(signed.clinician, signed.patient, episode=signed.episode, modality=signed.modality)
        doomed = charting.start_visit(signed.clinician, signed.patient, episode=signed.episode)
        charting.discard_visit(signed.clinician, doomed, "Opened for the wrong patient.")
    path = tmp_path_factory.mktemp("backups") / "demo.backup"
    result = backup(path=path)
    source = _default()
    yield Demo(result, source.rows(), source.triggers(), source.schema(), source)
    with django_db_blocker.unblock():
        call_command("flush", interactive=False, verbosity=0)


@pytest.fixture(scope="module")
def restored(demo, targets) -> Restored:
    alias = targets()
    return Restored(restore(path=demo.backup.path, database=alias), Db(dict(settings.DATABASES[alias])))


# ---------------------------------------------------------------- the round trip


def test_the_backup_counts_what_it_copied(demo):
    result = demo.backup
    assert result.vendor == demo.db.vendor
    assert result.size == result.path.stat().st_size > 0
    tables = {t: len(rows) for t, rows in demo.rows.items() if t != "sqlite_sequence"}
    assert dict(result.row_counts) == tables and result.tables == len(tables)
    assert result.rows == sum(tables.values())
    assert result.triggers == demo.db.trigger_count() >= 20
    assert result.row_counts["charting_visit"] > 40 and result.row_counts["audit_auditevent"] > 100
    assert os.listdir(result.path.parent) == [result.path.name]  # written aside, renamed into place


def test_the_backup_is_readable_by_its_owner_only(demo, restored):
    """Every patient's record is in it."""
    assert demo.backup.path.stat().st_mode & 0o077 == 0
    if restored.db.vendor == "sqlite":
        assert Path(restored.result.database).stat().st_mode & 0o077 == 0


def test_a_backup_taken_while_the_app_writes_is_one_consistent_snapshot(demo, tmp_path):
    """A write still in progress (not committed) is not in the backup, and does not stop it."""
    app = demo.db.connect(as_owner=False, autocommit=demo.db.vendor == "sqlite")
    try:
        if demo.db.vendor == "sqlite":
            app.execute("BEGIN IMMEDIATE")
        app.execute(
            "INSERT INTO django_session (session_key, session_data, expire_date) "
            "VALUES ('in-flight', 'x', '2099-01-01 00:00:00')"
        )
        result = backup(path=tmp_path / "during.backup")
    finally:
        app.rollback()
        app.close()
    assert result.row_counts == demo.backup.row_counts


def test_every_row_of_every_table_comes_back_exactly(demo, restored):
    after = restored.db.rows()
    assert sorted(after) == sorted(demo.rows)
    for table, rows in demo.rows.items():
        assert after[table] == rows, f"{table} differs after the restore"
    assert restored.result.row_counts == demo.backup.row_counts


def test_timestamps_keep_their_microseconds(demo, restored):
    """The comparison above would catch a lost microsecond: the demo's timestamps have them."""
    sql = (
        "SELECT at FROM audit_auditevent ORDER BY id"
        if demo.db.vendor == "sqlite"
        else ("SELECT at::text FROM audit_auditevent ORDER BY id")
    )
    stamps = [at for (at,) in demo.db.query(sql)]
    assert any(re.search(r":\d\d\.\d*[1-9]", at) for at in stamps), stamps[:3]
    assert [at for (at,) in restored.db.query(sql)] == stamps


def test_every_lock_trigger_comes_back(demo, restored):
    """What `loaddata` of a `dumpdata` could never give: the restored database has the source's
    triggers, word for word (and on PostgreSQL their functions, enabled)."""
    assert restored.db.triggers() == demo.triggers
    assert restored.result.triggers == demo.backup.triggers


def test_the_schema_comes_back(demo, restored):
    """Tables, columns, indexes, constraints and (PostgreSQL) sequence positions: a new row after a
    restore never reuses an id."""
    assert restored.db.schema() == demo.schema


def test_a_signed_note_stays_locked_after_restore(restored):
    db = restored.db
    signed = db.first_id("charting_visit", "signed_at IS NOT NULL")
    for sql in (
        f"UPDATE charting_visit SET subjective = 'rewritten' WHERE id = {signed}",
        f"DELETE FROM charting_visit WHERE id = {signed}",
        f"UPDATE charting_insertion SET depth_mm = depth_mm + 1 WHERE visit_id = {signed}",
    ):
        assert "locked" in db.attempt(sql), sql


def test_a_discarded_note_stays_locked_after_restore(restored):
    discarded = restored.db.first_id("charting_visit", "discarded_at IS NOT NULL")
    assert "locked" in restored.db.attempt(f"UPDATE charting_visit SET plan = 'x' WHERE id = {discarded}")


def test_the_audit_trail_and_addenda_stay_append_only_after_restore(restored):
    db = restored.db
    event = db.first_id("audit_auditevent")
    addendum = db.first_id("charting_addendum")
    assert "append-only" in db.attempt(f"UPDATE audit_auditevent SET summary = 'nothing happened' WHERE id = {event}")
    assert "append-only" in db.attempt(f"DELETE FROM audit_auditevent WHERE id = {event}")
    assert "append-only" in db.attempt(f"UPDATE charting_addendum SET text = 'x' WHERE id = {addendum}")


def test_a_draft_can_still_be_edited_after_restore(restored):
    """The locks are the source's, not a database that refuses everything: a draft still changes
    (on PostgreSQL, as the application role, which the restore granted rows-only access)."""
    draft = restored.db.first_id("charting_visit", "signed_at IS NULL AND discarded_at IS NULL")
    assert restored.db.attempt(f"UPDATE charting_visit SET plan = 'Review in a week.' WHERE id = {draft}") == (
        "1 rows changed"
    )


# ---------------------------------------------------------------- refusals


def test_restore_refuses_a_database_that_holds_data(demo):
    with pytest.raises(BackupError, match="must be empty") as refused:
        restore(path=demo.backup.path, database="default")
    assert "NEEDLECHART_SQLITE_PATH" in str(refused.value) or "createdb" in str(refused.value)
    assert demo.db.rows() == demo.rows


def _not_backups(tmp_path: Path, demo: Demo) -> dict[str, Path]:
    text = tmp_path / "notes.txt"
    text.write_text("not a backup\n")
    empty = tmp_path / "empty.backup"
    empty.touch()
    foreign = tmp_path / "other-app.sqlite3"
    with sqlite3.connect(foreign) as conn:
        conn.execute("CREATE TABLE recipes (id INTEGER PRIMARY KEY, name TEXT)")
    conn.close()
    truncated = tmp_path / "truncated.backup"
    data = demo.backup.path.read_bytes()
    truncated.write_bytes(data[: len(data) // 2])
    return {"text": text, "empty": empty, "foreign": foreign, "truncated": truncated, "missing": tmp_path / "nope"}


REFUSALS = {  # kind of file: what the refusal says, on SQLite and on PostgreSQL
    "text": ("is not a NeedleChart backup", "is not a NeedleChart backup"),
    "empty": ("is not a NeedleChart backup", "is not a NeedleChart backup"),
    "foreign": ("is not a NeedleChart database or backup", "is a SQLite backup but this NeedleChart is configured for"),
    "truncated": ("is damaged or incomplete", "(is not a backup pg_restore can read|pg_restore failed)"),
    "missing": ("no such backup file", "no such backup file"),
}


@pytest.mark.parametrize("kind", sorted(REFUSALS))
def test_restore_refuses_a_file_that_is_not_a_backup(demo, targets, tmp_path, kind):
    alias = targets()
    expected = REFUSALS[kind][demo.db.vendor == "postgresql"]
    with pytest.raises(BackupError, match=expected):
        restore(path=_not_backups(tmp_path, demo)[kind], database=alias)
    target = Db(dict(settings.DATABASES[alias]))
    if target.vendor == "sqlite":
        assert not Path(target.config["NAME"]).exists()  # nothing was created
    else:
        assert target.tables() == []  # a failed pg_restore rolled back to the empty database


def test_sqlite_restore_accepts_a_migrated_database_without_records(demo, targets):
    """A file `migrate` made and nobody used is empty: the backup's pages replace it whole."""
    if demo.db.vendor != "sqlite":
        pytest.skip("PostgreSQL restores into a database without tables only")
    alias = targets()
    path = Path(settings.DATABASES[alias]["NAME"])
    with sqlite3.connect(path) as fresh:
        schema = demo.db.query(
            "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%' "
            "ORDER BY type = 'trigger', type = 'index', rowid"
        )
        for (sql,) in schema:
            fresh.execute(sql)
        applied = demo.db.query("SELECT * FROM django_migrations")
        fresh.executemany("INSERT INTO django_migrations VALUES (?, ?, ?, ?)", applied)
    fresh.close()
    result = restore(path=demo.backup.path, database=alias)
    assert result.row_counts == demo.backup.row_counts
    assert Db(dict(settings.DATABASES[alias])).rows() == demo.rows


def test_postgresql_restore_refuses_a_database_with_tables(demo, targets):
    if demo.db.vendor != "postgresql":
        pytest.skip("SQLite replaces a migrated, unused file whole")
    alias = targets()
    target = Db(dict(settings.DATABASES[alias]))
    with target.connect() as conn:
        conn.execute("CREATE TABLE leftover (id integer)")
    with pytest.raises(BackupError, match="must be empty.*leftover"):
        restore(path=demo.backup.path, database=alias)
    assert target.tables() == ["leftover"]


def test_backup_never_writes_over_the_live_database(demo):
    if demo.db.vendor != "sqlite":
        pytest.skip("a PostgreSQL database is not a file")
    with pytest.raises(BackupError, match="live database"):
        backup(path=Path(demo.db.config["NAME"]))
    assert demo.db.rows() == demo.rows


def test_unknown_database_alias_is_a_clear_error(tmp_path):
    with pytest.raises(BackupError, match="no database called 'archive'"):
        backup(path=tmp_path / "x.backup", database="archive")


# ---------------------------------------------------------------- the command line


def _cli(*argv: str, db: Db) -> subprocess.CompletedProcess[str]:
    """`needlechart ARGV` in a process of its own, configured for `db` through the environment as a
    deployment is."""
    env = {**os.environ}
    if db.vendor == "sqlite":
        env.update(NEEDLECHART_SQLITE_PATH=db.config["NAME"])
    else:
        env.update(
            NEEDLECHART_DB="postgres",
            NEEDLECHART_PG_NAME=db.config["NAME"],
            NEEDLECHART_PG_USER=db.config["USER"],
            NEEDLECHART_PG_PASSWORD=db.config.get("PASSWORD") or "",
            NEEDLECHART_PG_OWNER=db.owner["USER"],
            NEEDLECHART_PG_OWNER_PASSWORD=db.owner["PASSWORD"],
        )
    return subprocess.run(
        [sys.executable, "-m", "needlechart.cli", *argv], env=env, capture_output=True, text=True, timeout=120
    )


def test_the_commands_back_up_and_restore(demo, targets, tmp_path):
    path = tmp_path / "nightly.backup"
    counts = f"{demo.backup.tables} tables, {demo.backup.rows} rows, {demo.backup.triggers} triggers."
    made = _cli("backup", str(path), db=demo.db)
    assert made.returncode == 0, made.stderr
    assert made.stdout.count("\n") == 1 and made.stdout.startswith(f"Backed up {demo.db.vendor} to {path} (")
    assert made.stdout.strip().endswith(counts)
    target = Db(dict(settings.DATABASES[targets()]))
    back = _cli("restore", str(path), db=target)
    assert back.returncode == 0, back.stderr
    assert back.stdout.count("\n") == 1 and back.stdout.startswith(f"Restored {path}")
    assert back.stdout.strip().endswith(counts)
    assert target.rows() == demo.rows


def test_the_commands_report_errors_in_one_line_without_a_traceback(demo, targets, tmp_path):
    junk = tmp_path / "junk.backup"
    junk.write_text("hello")
    target = Db(dict(settings.DATABASES[targets()]))
    for argv, db, expected in (
        (("restore", str(junk)), target, "not a NeedleChart backup"),
        (("restore", str(demo.backup.path)), demo.db, "must be empty"),
        (("restore", str(tmp_path / "missing.backup")), target, "no such backup file"),
        (("backup", str(tmp_path / "no-folder" / "x.backup")), demo.db, "does not exist"),
    ):
        result = _cli(*argv, db=db)
        assert result.returncode == 2, (argv, result.stdout, result.stderr)
        assert "Traceback" not in result.stderr and result.stdout == ""
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("needlechart: error: ") and expected in lines[0], lines
