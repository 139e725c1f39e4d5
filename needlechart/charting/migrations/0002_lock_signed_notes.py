"""A signed note is locked in the database itself (see needlechart.common.guards).

- charting_visit: no UPDATE or DELETE once signed_at is set (signing is the UPDATE that sets it);
- the note's parts: no INSERT, UPDATE or DELETE while their visit is signed;
- addenda: append-only.
"""

from django.db import migrations

from needlechart.common import guards

PARTS = ("charting_insertion", "charting_palpation", "charting_adverseevent", "charting_exerciseassignment")
SIGNED = "(SELECT signed_at FROM charting_visit WHERE id = {row}.visit_id) IS NOT NULL"


def forwards(apps, schema_editor):
    guards.lock_when(schema_editor, "charting_visit", "OLD.signed_at IS NOT NULL", "charting_visit_lock")
    for table in PARTS:
        guards.lock_when(schema_editor, table, SIGNED.format(row="OLD"), f"{table}_lock")
        guards.insert_guard(schema_editor, table, SIGNED.format(row="NEW"), f"{table}_insert_lock")
    guards.append_only(schema_editor, "charting_addendum")


def backwards(apps, schema_editor):
    guards.drop_lock(schema_editor, "charting_visit", "charting_visit_lock")
    for table in PARTS:
        guards.drop_lock(schema_editor, table, f"{table}_lock")
        guards.drop_insert_guard(schema_editor, table, f"{table}_insert_lock")
    guards.drop_append_only(schema_editor, "charting_addendum")


class Migration(migrations.Migration):
    dependencies = [("charting", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
