"""Database triggers that make rows immutable, on SQLite and PostgreSQL alike.

Python-level checks stop the ORM; a trigger also stops a queryset `update()`, raw SQL and any other
client of the database. Two kinds are used:

- append-only tables (the audit trail): no UPDATE, no DELETE, ever;
- lockable tables (signed notes and what hangs off them): no UPDATE or DELETE once locked.

Nothing an application query can write switches them off: there is no bypass row or flag. Emptying
the whole database (`flush`, used between tests) drops and recreates the SQLite triggers inside its
own transaction; on PostgreSQL it truncates as the owner, a right the application role does not have
(`needlechart.common.dbroles`). A migration that must rewrite locked rows drops the triggers and
creates them again itself.
"""

from __future__ import annotations

MESSAGE_APPEND_ONLY = "append-only: {table} rows cannot be changed or deleted"
MESSAGE_LOCKED = "locked: a signed note cannot be changed; add a dated addendum instead"
MESSAGE_DISCHARGED = "locked: a discharged episode cannot be changed; start a new episode of care instead"


def append_only(schema_editor, table: str) -> None:
    """No UPDATE or DELETE on `table`."""
    vendor = schema_editor.connection.vendor
    message = MESSAGE_APPEND_ONLY.format(table=table)
    if vendor == "sqlite":
        for op in ("UPDATE", "DELETE"):
            schema_editor.execute(
                f"CREATE TRIGGER {table}_append_only_{op.lower()} BEFORE {op} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{message}'); END"
            )
    elif vendor == "postgresql":
        schema_editor.execute(
            f"CREATE OR REPLACE FUNCTION {table}_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN RAISE EXCEPTION '{message}' USING ERRCODE = 'integrity_constraint_violation'; END $$"
        )
        schema_editor.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {table}_append_only()"
        )
    else:  # pragma: no cover - NeedleChart supports these two databases only
        raise NotImplementedError(vendor)


def drop_append_only(schema_editor, table: str) -> None:
    # The append-only triggers are named like lock triggers called f"{table}_append_only".
    drop_lock(schema_editor, table, f"{table}_append_only")


def lock_when(schema_editor, table: str, locked_condition_old: str, name: str, message: str = MESSAGE_LOCKED) -> None:
    """No UPDATE or DELETE of a row of `table` once `locked_condition_old` holds for it.

    The condition is SQL over the row as it was, written with `OLD.` (e.g. `OLD.signed_at IS NOT NULL`,
    or a sub-select on the parent note). `message` is the error the database raises (no quotes).
    """
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        for op in ("UPDATE", "DELETE"):
            schema_editor.execute(
                f"CREATE TRIGGER {name}_{op.lower()} BEFORE {op} ON {table} "
                f"WHEN ({locked_condition_old}) "
                f"BEGIN SELECT RAISE(ABORT, '{message}'); END"
            )
    elif vendor == "postgresql":
        schema_editor.execute(
            f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN IF {locked_condition_old} THEN RAISE EXCEPTION '{message}' "
            f"USING ERRCODE = 'integrity_constraint_violation'; END IF; "
            f"IF TG_OP = 'DELETE' THEN RETURN OLD; END IF; RETURN NEW; END $$"
        )
        schema_editor.execute(
            f"CREATE TRIGGER {name} BEFORE UPDATE OR DELETE ON {table} FOR EACH ROW EXECUTE FUNCTION {name}()"
        )
    else:  # pragma: no cover
        raise NotImplementedError(vendor)


def drop_lock(schema_editor, table: str, name: str) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        for op in ("update", "delete"):
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}_{op}")
    elif vendor == "postgresql":
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
        schema_editor.execute(f"DROP FUNCTION IF EXISTS {name}()")


def _new_row_guard(schema_editor, table: str, op: str, locked_condition_new: str, name: str) -> None:
    """A BEFORE `op` (INSERT or UPDATE) trigger refusing a row whose new values meet the condition."""
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        schema_editor.execute(
            f"CREATE TRIGGER {name} BEFORE {op} ON {table} WHEN ({locked_condition_new}) "
            f"BEGIN SELECT RAISE(ABORT, '{MESSAGE_LOCKED}'); END"
        )
    elif vendor == "postgresql":
        schema_editor.execute(
            f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN IF {locked_condition_new} THEN RAISE EXCEPTION '{MESSAGE_LOCKED}' "
            f"USING ERRCODE = 'integrity_constraint_violation'; END IF; RETURN NEW; END $$"
        )
        schema_editor.execute(f"CREATE TRIGGER {name} BEFORE {op} ON {table} FOR EACH ROW EXECUTE FUNCTION {name}()")
    else:  # pragma: no cover
        raise NotImplementedError(vendor)


def insert_guard(schema_editor, table: str, locked_condition_new: str, name: str) -> None:
    """No INSERT into `table` when `locked_condition_new` (SQL over `NEW.`) holds: nothing is added
    to a signed note's needle log, findings or events."""
    _new_row_guard(schema_editor, table, "INSERT", locked_condition_new, name)


def drop_insert_guard(schema_editor, table: str, name: str) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}")
    elif vendor == "postgresql":
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
        schema_editor.execute(f"DROP FUNCTION IF EXISTS {name}()")


def update_guard(schema_editor, table: str, locked_condition_new: str, name: str) -> None:
    """No UPDATE of a row of `table` that would leave it where `locked_condition_new` (SQL over `NEW.`)
    holds: a draft's needle, palpation, adverse event or exercise cannot be moved into a signed note
    by changing its visit (the lock on the old row alone would let that through)."""
    _new_row_guard(schema_editor, table, "UPDATE", locked_condition_new, name)


def drop_update_guard(schema_editor, table: str, name: str) -> None:
    drop_insert_guard(schema_editor, table, name)
