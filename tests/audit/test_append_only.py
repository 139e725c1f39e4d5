"""The audit trail cannot be changed by any path: model save, delete, queryset update, raw SQL.

Marked `postgres`: `make test` runs these on SQLite and again on PostgreSQL.
"""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from needlechart.audit.models import Action, AuditEvent
from needlechart.audit.services import record
from tests import factories as f

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]


@pytest.fixture
def event():
    physio = f.user(f.clinic(), "physio")
    return record(physio, Action.VIEW, summary="Opened the chart")


def test_model_save_refuses_changes(event):
    event.summary = "Nothing happened"
    with pytest.raises(PermissionError):
        event.save()


def test_model_delete_refuses(event):
    with pytest.raises(PermissionError):
        event.delete()


def test_queryset_update_is_stopped_by_the_database(event):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(summary="rewritten")
    assert AuditEvent.objects.get(pk=event.pk).summary == "Opened the chart"


def test_queryset_delete_is_stopped_by_the_database(event):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk)._raw_delete(AuditEvent.objects.db)
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_raw_sql_is_stopped_too(event):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditevent SET actor_name = 'someone' WHERE id = %s", [event.pk])


def test_new_events_can_always_be_added(event):
    record(None, Action.LOGIN_FAILED, summary="Failed sign-in as 'x'")
    assert AuditEvent.objects.count() == 2
