"""Indexes for the patient search by the start of a name (`istartswith`: UPPER(name) LIKE 'OLI%'), on
PostgreSQL: the (clinic, last name, first name) index cannot answer a case-insensitive prefix, so a
search read every patient of the clinic. SQLite has no pattern operator classes: nothing to do."""

from django.db import migrations

INDEXES = {
    "patient_first_name_prefix_idx": "first_name",
    "patient_last_name_prefix_idx": "last_name",
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, column in INDEXES.items():
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS "{name}" ON "patients_patient" '
            f'("clinic_id", UPPER("{column}"::text) text_pattern_ops)'
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')


class Migration(migrations.Migration):
    dependencies = [("patients", "0001_initial")]

    operations = [migrations.RunPython(create, drop)]
