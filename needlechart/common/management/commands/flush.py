"""`flush`, aware of NeedleChart's immutability triggers.

Emptying the whole database is a deliberate administrative act (and what the test runner does
between transactional tests), done with the owner's rights:

- on SQLite the append-only and lock triggers would abort its DELETEs, so they are dropped for the
  duration and created again from their own stored SQL, in the same transaction. No row in any
  table can switch a trigger off: there is no such switch;
- on PostgreSQL it runs as the owner (`needlechart.common.dbroles`), because the application role
  may not TRUNCATE.
"""

from django.core.management.commands.flush import Command as DjangoFlush
from django.db import connections, transaction

from needlechart.common import dbroles


class Command(DjangoFlush):
    def handle(self, **options):
        connection = connections[options["database"]]
        if connection.vendor == "postgresql":
            with dbroles.connected_as_owner(connection):
                return super().handle(**options)
        if connection.vendor != "sqlite":
            return super().handle(**options)
        with transaction.atomic(using=options["database"]):
            with connection.cursor() as cursor:
                cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")
                triggers = cursor.fetchall()
                for name, _sql in triggers:
                    cursor.execute(f'DROP TRIGGER "{name}"')
            try:
                return super().handle(**options)
            finally:
                with connection.cursor() as cursor:
                    for _name, sql in triggers:
                        cursor.execute(sql)
