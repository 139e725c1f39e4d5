"""Take the maintenance-row bypass out of every SQLite trigger.

Databases made before this migration have triggers that stood down while a row existed in
`needlechart_maintenance`; any query able to insert that row could unlock every signed note and the
audit trail. Each such trigger is created again from its own SQL without that clause, and the table
is dropped. The SQL is frozen here (a text edit of the stored trigger), so it does not change when
`needlechart.common.guards` does. PostgreSQL never had the bypass: nothing to do there.
"""

import re

from django.db import migrations

BYPASS = re.compile(r"\s+AND\s+\(SELECT COUNT\(\*\) FROM needlechart_maintenance\) = 0", re.IGNORECASE)
BYPASS_ONLY = re.compile(r"\s+WHEN\s+\(SELECT COUNT\(\*\) FROM needlechart_maintenance\) = 0", re.IGNORECASE)


def remove_bypass(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND sql LIKE '%needlechart_maintenance%'"
        )
        for name, sql in cursor.fetchall():
            fixed = BYPASS_ONLY.sub("", BYPASS.sub("", sql))
            if "needlechart_maintenance" in fixed:
                raise RuntimeError(f"trigger {name} still names needlechart_maintenance after the rewrite: {fixed}")
            schema_editor.execute(f'DROP TRIGGER "{name}"')
            schema_editor.execute(fixed)
    schema_editor.execute("DROP TABLE IF EXISTS needlechart_maintenance")


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0003_remove_and_discard_actions"),
        ("charting", "0004_plans_void_snapshot"),
    ]

    operations = [migrations.RunPython(remove_bypass, migrations.RunPython.noop)]
