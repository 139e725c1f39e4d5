"""`migrate`, run as the schema's owner.

On PostgreSQL with two roles (`needlechart.common.dbroles`) the schema is changed by the owner, and
afterwards the application role is granted row access to every table, old and new, so a deployment
never has to remember a GRANT after an upgrade.
"""

from django.core.management.commands.migrate import Command as DjangoMigrate
from django.db import connections

from needlechart.common import dbroles


class Command(DjangoMigrate):
    def handle(self, *args, **options):
        connection = connections[options["database"]]
        application_role = connection.settings_dict.get("USER")
        separate = connection.vendor == "postgresql" and dbroles.has_separate_roles(connection.settings_dict)
        with dbroles.connected_as_owner(connection):
            super().handle(*args, **options)
            if separate:
                dbroles.ensure_application_role(connection, role=application_role)
