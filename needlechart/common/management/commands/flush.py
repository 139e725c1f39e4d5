"""`flush`, aware of NeedleChart's immutability triggers.

Emptying the whole database is a deliberate administrative act (and what the test runner does
between transactional tests). On SQLite the append-only and lock triggers would abort its DELETEs,
so it sets the maintenance flag they respect for the duration, then clears it.
"""

from django.core.management.commands.flush import Command as DjangoFlush
from django.db import connections

from needlechart.common.guards import MAINTENANCE_TABLE


class Command(DjangoFlush):
    def handle(self, **options):
        connection = connections[options["database"]]
        if connection.vendor != "sqlite" or MAINTENANCE_TABLE not in connection.introspection.table_names():
            return super().handle(**options)
        with connection.cursor() as cursor:
            cursor.execute(f"INSERT INTO {MAINTENANCE_TABLE} (reason) VALUES ('flush')")
        try:
            return super().handle(**options)
        finally:
            with connection.cursor() as cursor:
                cursor.execute(f"DELETE FROM {MAINTENANCE_TABLE}")
