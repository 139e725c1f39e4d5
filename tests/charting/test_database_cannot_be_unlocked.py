"""Nothing the application can send to the database unlocks a signed note or empties the audit trail.

On PostgreSQL the suite connects as the application role (tests/conftest.py), as production does:
TRUNCATE, ALTER TABLE … DISABLE TRIGGER and session_replication_role are refused to it. On SQLite
there are no roles, but no row an application query can write switches a trigger off (the old
`needlechart_maintenance` row did). Marked `postgres`: `make test` runs them on both databases.
"""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from needlechart.audit.models import AuditEvent
from needlechart.charting.models import Visit
from needlechart.common import dbroles

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]

postgres_only = pytest.mark.skipif("connection.vendor != 'postgresql'", reason="PostgreSQL roles")
sqlite_only = pytest.mark.skipif("connection.vendor != 'sqlite'", reason="SQLite triggers")


def _refused(sql: str) -> str:
    with pytest.raises(DatabaseError) as refusal, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql)
    return str(refusal.value)


def _still_locked(signed: Visit) -> None:
    with pytest.raises(DatabaseError, match="locked"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE charting_visit SET plan = 'rewritten' WHERE id = %s", [signed.pk])
    assert Visit.objects.get(pk=signed.pk).plan == "Weekly"


@postgres_only
def test_the_application_role_is_no_owner_and_no_superuser(signed):
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        (role,) = cursor.fetchone()
        assert dbroles.role_problems(cursor, role=role) == []
    assert role != dbroles.owner_credentials(connection.settings_dict)["USER"]


@postgres_only
def test_truncate_is_refused_and_the_audit_trail_and_notes_stay(signed):
    audit_rows = AuditEvent.objects.count()
    assert audit_rows > 0
    assert "permission denied" in _refused("TRUNCATE audit_auditevent")
    assert "permission denied" in _refused("TRUNCATE charting_visit CASCADE")
    assert AuditEvent.objects.count() == audit_rows
    assert Visit.objects.filter(pk=signed.pk, signed_at__isnull=False).exists()


@postgres_only
def test_triggers_cannot_be_disabled_or_dropped(signed):
    assert "must be owner" in _refused("ALTER TABLE charting_visit DISABLE TRIGGER ALL")
    assert "must be owner" in _refused("ALTER TABLE audit_auditevent DISABLE TRIGGER USER")
    with connection.cursor() as cursor:
        cursor.execute("SELECT tgname FROM pg_trigger WHERE tgrelid = 'charting_visit'::regclass AND NOT tgisinternal")
        trigger = cursor.fetchone()[0]
    assert "must be owner" in _refused(f'DROP TRIGGER "{trigger}" ON charting_visit')
    _still_locked(signed)


@postgres_only
def test_the_replication_role_cannot_be_set(signed):
    assert "permission denied" in _refused("SET session_replication_role = replica")
    _still_locked(signed)


@postgres_only
def test_no_table_can_be_created_to_hide_behind(signed):
    assert "permission denied" in _refused("CREATE TABLE needlechart_maintenance (reason text)")


@sqlite_only
def test_no_row_switches_the_sqlite_locks_off(signed):
    """The old bypass: one row in needlechart_maintenance silenced every lock and the audit guard."""
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE IF NOT EXISTS needlechart_maintenance (reason TEXT)")
        cursor.execute("INSERT INTO needlechart_maintenance (reason) VALUES ('unlock')")
    try:
        _still_locked(signed)
        assert "append-only" in _refused("DELETE FROM audit_auditevent")
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE needlechart_maintenance")


@sqlite_only
def test_no_sqlite_trigger_reads_any_switch_table(signed):
    with connection.cursor() as cursor:
        cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")
        triggers = cursor.fetchall()
    assert len(triggers) >= 25
    assert [name for name, sql in triggers if "maintenance" in sql.lower()] == []


def test_flush_empties_the_database_and_the_locks_come_back(signed, physio):
    """What the test runner does between transactional tests: everything goes, the triggers stay."""
    from django.core.management import call_command

    call_command("flush", interactive=False, verbosity=0)
    assert not Visit.objects.exists() and not AuditEvent.objects.exists()
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT count(*) FROM sqlite_master WHERE type = 'trigger'")
        else:
            cursor.execute("SELECT count(*) FROM pg_trigger WHERE NOT tgisinternal")
        assert cursor.fetchone()[0] >= 10
