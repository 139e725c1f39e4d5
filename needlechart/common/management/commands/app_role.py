"""`needlechart manage app_role`: create the PostgreSQL role the application connects as.

Run once per database by an administrator, with NEEDLECHART_PG_USER/PASSWORD naming the application
role to create and NEEDLECHART_PG_OWNER/OWNER_PASSWORD the owner (which needs CREATEROLE, or run it
as a superuser). Safe to run again: an existing role keeps its name and gets its grants renewed.
"""

from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections

from needlechart.common import dbroles


class Command(BaseCommand):
    help = "Create (or renew the grants of) the PostgreSQL role NeedleChart serves requests as."

    def add_arguments(self, parser):
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS)

    def handle(self, *args, **options):
        connection = connections[options["database"]]
        if connection.vendor != "postgresql":
            raise CommandError("app_role is for PostgreSQL; the embedded SQLite database has no roles.")
        settings_dict = connection.settings_dict
        if not dbroles.has_separate_roles(settings_dict):
            raise CommandError(
                "NEEDLECHART_PG_OWNER is not set, or names the same role as NEEDLECHART_PG_USER: set "
                "NEEDLECHART_PG_USER to the application role to create and NEEDLECHART_PG_OWNER to the owner."
            )
        role = settings_dict["USER"]
        try:
            dbroles.ensure_application_role(connection, role=role, password=settings_dict.get("PASSWORD") or None)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"{role}: rows only (no TRUNCATE, no ALTER, no triggers, no replication role).")
