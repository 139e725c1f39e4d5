"""The audit trail is append-only in the database itself (see needlechart.common.guards)."""

from django.db import migrations

from needlechart.common import guards

TABLE = "audit_auditevent"


def forwards(apps, schema_editor):
    guards.append_only(schema_editor, TABLE)


def backwards(apps, schema_editor):
    guards.drop_append_only(schema_editor, TABLE)


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
