"""The two PostgreSQL roles NeedleChart runs as, and why there are two.

The locks on signed notes and the audit trail are row triggers. A role that owns the tables can
step around them: `TRUNCATE` is not seen by row triggers, `ALTER TABLE … DISABLE TRIGGER` switches
them off, and a superuser's `SET session_replication_role = replica` silences every trigger at once.
So NeedleChart connects with two roles:

- the **owner** owns the schema; migrations, `flush`, backup and restore run as it;
- the **application role** serves requests: it can read, insert, update and delete rows and nothing
  else. It owns no table, is no superuser and is granted no `TRUNCATE`, so none of the three ways
  round the triggers is open to it, whatever a request manages to send to the database.

Settings (`needlechart/config/settings.py`): `NEEDLECHART_PG_USER` is the application role,
`NEEDLECHART_PG_OWNER` (and `NEEDLECHART_PG_OWNER_PASSWORD`) the owner; they are stored in the
connection's settings under `OWNER_KEY`. Without `NEEDLECHART_PG_OWNER` both are the same role
(a laptop), and nothing here changes anything.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

OWNER_KEY = "NEEDLECHART_OWNER"

# What the application role may do to tables and sequences: rows only.
TABLE_PRIVILEGES = "SELECT, INSERT, UPDATE, DELETE"
SEQUENCE_PRIVILEGES = "USAGE, SELECT"


def owner_credentials(settings_dict: dict[str, Any]) -> dict[str, str]:
    """The owner's USER and PASSWORD for a connection (the connection's own when none is set)."""
    owner = settings_dict.get(OWNER_KEY) or {}
    if owner.get("USER"):
        return {"USER": owner["USER"], "PASSWORD": owner.get("PASSWORD") or ""}
    return {"USER": settings_dict.get("USER") or "", "PASSWORD": settings_dict.get("PASSWORD") or ""}


def has_separate_roles(settings_dict: dict[str, Any]) -> bool:
    return owner_credentials(settings_dict)["USER"] != (settings_dict.get("USER") or "")


@contextmanager
def connected_as_owner(connection: Any) -> Iterator[None]:
    """Run the block on `connection` logged in as the owner, then go back to the application role.

    A no-op on SQLite and when the two roles are the same."""
    if connection.vendor != "postgresql" or not has_separate_roles(connection.settings_dict):
        yield
        return
    settings_dict = connection.settings_dict
    saved = {"USER": settings_dict.get("USER"), "PASSWORD": settings_dict.get("PASSWORD")}
    connection.close()
    settings_dict.update(owner_credentials(settings_dict))
    try:
        yield
    finally:
        connection.close()
        settings_dict.update(saved)


def grant_statements(*, quote: Any, role: str, owner: str, database: str) -> list[str]:
    """The SQL that gives `role` row access to everything `owner` has made, now and later."""
    r, o, db = quote(role), quote(owner), quote(database)
    return [
        f"GRANT CONNECT ON DATABASE {db} TO {r}",
        f"GRANT USAGE ON SCHEMA public TO {r}",
        f"REVOKE CREATE ON SCHEMA public FROM {r}",
        f"REVOKE TRUNCATE, REFERENCES, TRIGGER ON ALL TABLES IN SCHEMA public FROM {r}",
        f"GRANT {TABLE_PRIVILEGES} ON ALL TABLES IN SCHEMA public TO {r}",
        f"GRANT {SEQUENCE_PRIVILEGES} ON ALL SEQUENCES IN SCHEMA public TO {r}",
        f"ALTER DEFAULT PRIVILEGES FOR ROLE {o} IN SCHEMA public GRANT {TABLE_PRIVILEGES} ON TABLES TO {r}",
        f"ALTER DEFAULT PRIVILEGES FOR ROLE {o} IN SCHEMA public GRANT {SEQUENCE_PRIVILEGES} ON SEQUENCES TO {r}",
    ]


def role_problems(cursor: Any, *, role: str) -> list[str]:
    """Why `role` could switch the locks off (empty when it cannot): checked before it is used."""
    cursor.execute("SELECT rolsuper, rolbypassrls, rolreplication FROM pg_roles WHERE rolname = %s", [role])
    row = cursor.fetchone()
    if row is None:
        return [f"the role {role} does not exist"]
    problems = []
    if row[0]:
        problems.append(f"{role} is a superuser (it can set session_replication_role and skip every trigger)")
    if row[2]:
        problems.append(f"{role} has REPLICATION")
    cursor.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tableowner = %s", [role])
    owned = cursor.fetchone()[0]
    if owned:
        problems.append(f"{role} owns {owned} tables (an owner can TRUNCATE them and DISABLE TRIGGER)")
    return problems


def ensure_application_role(connection: Any, *, role: str, password: str | None = None) -> None:
    """Create the application role if it is missing and grant it row access to the whole schema.

    Runs as the owner (creating a role needs CREATEROLE or a superuser; granting needs the owner).
    Refuses a role that could unlock the notes: a superuser, a replication role or a table owner."""
    quote = connection.ops.quote_name
    with connected_as_owner(connection), connection.cursor() as cursor:
        cursor.execute("SELECT current_user, current_database()")
        owner, database = cursor.fetchone()
        if role == owner:
            raise ValueError(f"the application role must not be the owner ({owner}): choose another name")
        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
        if cursor.fetchone() is None:
            cursor.execute(
                f"CREATE ROLE {quote(role)} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS"
            )
        if password:
            cursor.execute(f"ALTER ROLE {quote(role)} PASSWORD %s", [password])
        problems = role_problems(cursor, role=role)
        if problems:
            raise ValueError("the application role is unsafe: " + "; ".join(problems))
        for statement in grant_statements(quote=quote, role=role, owner=owner, database=database):
            cursor.execute(statement)
