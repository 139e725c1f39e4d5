"""A note's parts cannot be moved into a signed note by an UPDATE of their visit.

0002 locks a part whose visit (as it was) is signed; this checks the visit it would move to as well,
on SQLite and PostgreSQL (needlechart.common.guards.update_guard). The SQL is frozen here.
"""

from django.db import migrations

from needlechart.common import guards

PARTS = ("charting_insertion", "charting_palpation", "charting_adverseevent", "charting_exerciseassignment")
SIGNED_NEW = "(SELECT signed_at FROM charting_visit WHERE id = NEW.visit_id) IS NOT NULL"


def forwards(apps, schema_editor):
    for table in PARTS:
        guards.update_guard(schema_editor, table, SIGNED_NEW, f"{table}_move_lock")


def backwards(apps, schema_editor):
    for table in PARTS:
        guards.drop_update_guard(schema_editor, table, f"{table}_move_lock")


class Migration(migrations.Migration):
    dependencies = [("charting", "0002_lock_signed_notes")]
    operations = [migrations.RunPython(forwards, backwards)]
