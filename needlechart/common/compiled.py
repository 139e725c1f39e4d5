"""Queries of a fixed shape, compiled to SQL once per process instead of on every request.

Building a QuerySet and compiling it to SQL costs Django more than PostgreSQL spends answering
the small index lookups a page makes: for the visit page's note (six tables joined) about 2-4 ms of
Python against a tenth of that in the database. A query whose shape never changes (the same
tables, columns, joins and conditions; only the ids differ) need not be compiled again:
`CompiledQuery` builds it once with stand-in ids, remembers the SQL and where each id goes among
its parameters, and afterwards runs that SQL with the real ids and makes the model instances the
way the QuerySet itself would (`select_related` objects and annotations included).

    NOTE = CompiledQuery(lambda visit_id, patient_id: Visit.objects.select_related("patient").filter(
        pk=visit_id, patient_id=patient_id))
    rows = NOTE.all(visit.pk, patient.pk)

Only what the build function is given may vary: it must build the same query for any ids (no
branch on their values), take positional int ids or dates only (a date as a DateField lookup's
value: `taken_on__lte=on`), and use no value that changes between calls (such as the current time)
other than through its arguments. Each argument keeps the kind it had on the first call. The SQL is kept per database
connection alias and vendor, so a test run on SQLite and one on PostgreSQL each compile their own.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache
from typing import Any

from django.db import connections
from django.db.models import QuerySet
from django.db.models.query import ModelIterable, ValuesListIterable, get_related_populators

# Stand-ins for the arguments while compiling, each distinct: ids far outside any row id, dates in
# the year 1111 (no clinical record is dated then).
_STAND_IN = -(10**15)
_STAND_IN_DATE = date(1111, 1, 1)


@dataclass(frozen=True)
class _Compiled:
    alias: str
    sql: str
    slots: tuple[Any, ...]  # per parameter: an int (which argument) or a _Fixed value
    converters: tuple[tuple[int, tuple[Callable, ...], Any], ...]
    model: type | None
    init_list: tuple[str, ...]
    model_slice: slice
    related: tuple[Any, ...]
    annotations: tuple[tuple[str, int], ...]
    width: int | None  # columns to keep when the SQL selects extra ones (ordering)


@dataclass(frozen=True)
class _Fixed:
    value: Any


@dataclass(frozen=True)
class _AsText:
    """A date argument that the backend passes as ISO text (SQLite), not as a date."""

    argument: int


def _cursor(connection: Any) -> Any:
    """A cursor for compiled SQL. On PostgreSQL a server-side statement, prepared on the connection
    at its first run and reused afterwards: PostgreSQL then plans the query once per connection
    instead of on every request, and planning a page's joined read costs more than running it.
    (Django's own cursors bind parameters on the client, which cannot be prepared.) The cursor is
    wrapped as Django wraps its own, so the query is logged and counted like any other."""
    if connection.vendor != "postgresql":
        return connection.cursor()
    connection.ensure_connection()
    preparing, logging = _postgresql_cursors()
    raw = preparing(connection.connection)
    return logging(raw, connection) if connection.queries_logged else connection.make_cursor(raw)


@cache
def _postgresql_cursors() -> tuple[type, type]:
    """The preparing cursor, and the wrapper that logs its statements as Django logs its own, with
    the values in (Django reads them back from its client-side cursors; a prepared one has none)."""
    from django.db.backends.postgresql.base import CursorDebugWrapper, ServerBindingCursor
    from django.db.backends.utils import CursorWrapper

    class PreparingCursor(ServerBindingCursor):  # type: ignore[misc, valid-type]
        def execute(self, query: Any, params: Any = None, *, prepare: bool | None = None, binary: bool | None = None):
            return super().execute(query, params, prepare=True, binary=binary)

    class PreparedDebugWrapper(CursorDebugWrapper):  # type: ignore[misc, valid-type]
        def execute(self, sql: str, params: Any = None):
            with self.debug_sql(self.db.ops.compose_sql(sql, params), params):
                return CursorWrapper.execute(self, sql, params)

    return PreparingCursor, PreparedDebugWrapper


def _kind(value: object) -> type:
    if isinstance(value, bool | datetime):
        raise TypeError(f"CompiledQuery takes int ids or dates, not {value!r}")
    if isinstance(value, int):
        return int
    if isinstance(value, date):
        return date
    raise TypeError(f"CompiledQuery takes int ids or dates, not {value!r}")


class CompiledQuery:
    """A query of fixed shape: `build(*ids)` returns the QuerySet; `all(*ids)` its instances."""

    def __init__(self, build: Callable[..., QuerySet]):
        self._build = build
        self._compiled: dict[tuple[str, str], _Compiled] = {}
        self._kinds: tuple[type, ...] | None = None
        self._lock = threading.Lock()

    def queryset(self, *ids: int) -> QuerySet:
        """The QuerySet itself, as the build function makes it (for anything but reading rows)."""
        return self._build(*ids)

    def rows(self, *ids: int) -> list[tuple]:
        """The rows of a `values_list()` query, as it would answer them."""
        compiled = self._get(ids)
        if compiled.model is not None:
            raise TypeError("CompiledQuery.rows() is for values_list() queries; all() makes instances")
        return [tuple(row) for row in self._fetch(compiled, ids)]

    def all(self, *ids: int) -> list:
        """The model instances the QuerySet would make."""
        compiled = self._get(ids)
        if compiled.model is None:
            raise TypeError("CompiledQuery.all() makes instances; rows() is for values_list() queries")
        out = []
        for row in self._fetch(compiled, ids):
            obj = compiled.model.from_db(compiled.alias, compiled.init_list, row[compiled.model_slice])
            for populator in compiled.related:
                populator.populate(row, obj)
            for name, position in compiled.annotations:
                setattr(obj, name, row[position])
            out.append(obj)
        return out

    @staticmethod
    def _fetch(compiled: _Compiled, ids: tuple[Any, ...]) -> list[list]:
        connection = connections[compiled.alias]
        params = [
            ids[slot]
            if isinstance(slot, int)
            else ids[slot.argument].isoformat()
            if isinstance(slot, _AsText)
            else slot.value
            for slot in compiled.slots
        ]
        with _cursor(connection) as cursor:
            cursor.execute(compiled.sql, params)
            fetched = cursor.fetchall()
        out = []
        for raw in fetched:
            row = list(raw if compiled.width is None else raw[: compiled.width])
            for position, converters, expression in compiled.converters:
                value = row[position]
                for converter in converters:
                    value = converter(value, expression, connection)
                row[position] = value
            out.append(row)
        return out

    def _get(self, ids: tuple[Any, ...]) -> _Compiled:
        """The SQL compiled for this database; every call's arguments checked against the kinds it was
        compiled for (an id where a date went would otherwise reach the SQL)."""
        kinds = tuple(_kind(value) for value in ids)
        if self._kinds is not None and kinds != self._kinds:
            raise TypeError(f"CompiledQuery was compiled for arguments of kinds {self._kinds}, not {kinds}")
        alias = "default"
        key = (alias, connections[alias].vendor)
        found = self._compiled.get(key)
        if found is not None:
            return found
        with self._lock:
            found = self._compiled.get(key)
            if found is None:
                stand_ins: list[Any] = [
                    _STAND_IN - n if kind is int else _STAND_IN_DATE + timedelta(days=n) for n, kind in enumerate(kinds)
                ]
                queryset = self._build(*stand_ins)
                if queryset.db != alias:
                    raise ValueError(f"CompiledQuery reads the default database, not {queryset.db!r}")
                found = self._compile(queryset, stand_ins)
                self._kinds = kinds
                self._compiled[key] = found
        return found

    @staticmethod
    def _compile(queryset: QuerySet, stand_ins: list[Any]) -> _Compiled:
        if queryset._prefetch_related_lookups or queryset._known_related_objects:
            raise ValueError("CompiledQuery reads rows only: no prefetch_related")
        compiler = queryset.query.get_compiler(using=queryset.db)
        sql, params = compiler.as_sql()
        where = {(type(value), value): n for n, value in enumerate(stand_ins)}
        as_text = {value.isoformat(): n for n, value in enumerate(stand_ins) if isinstance(value, date)}
        slots: list[Any] = []
        seen: set[int] = set()
        for param in params:
            n = None if isinstance(param, bool) else where.get((type(param), param))
            if n is not None:
                slots.append(n)
                seen.add(n)
            elif isinstance(param, str) and param in as_text:
                slots.append(_AsText(as_text[param]))
                seen.add(as_text[param])
            else:
                slots.append(_Fixed(param))
        if len(seen) != len(stand_ins):
            raise ValueError("CompiledQuery: an argument does not reach the SQL as a parameter")
        select, klass_info, annotation_col_map = compiler.select, compiler.klass_info, compiler.annotation_col_map
        fields = [s[0] for s in select[0 : compiler.col_count]]
        converters = tuple(
            (position, tuple(convs), expression)
            for position, (convs, expression) in compiler.get_converters(fields).items()
        )
        if queryset._iterable_class is not ModelIterable:  # values_list(): rows, no instances
            query = queryset.query
            names = [*query.extra_select, *query.values_select, *query.annotation_select]
            if queryset._iterable_class is not ValuesListIterable or list(queryset._fields or names) != names:
                # ValuesListIterable would reorder these columns: not done here.
                raise ValueError("CompiledQuery reads values_list() whose columns come in the order named")
            return _Compiled(
                alias=queryset.db,
                sql=sql,
                slots=tuple(slots),
                converters=converters,
                model=None,
                init_list=(),
                model_slice=slice(0),
                related=(),
                annotations=(),
                width=compiler.col_count if compiler.has_extra_select else None,
            )
        select_fields = klass_info["select_fields"]
        start, end = select_fields[0], select_fields[-1] + 1
        return _Compiled(
            alias=queryset.db,
            sql=sql,
            slots=tuple(slots),
            converters=converters,
            model=klass_info["model"],
            init_list=tuple(f[0].target.attname for f in select[start:end]),
            model_slice=slice(start, end),
            related=tuple(get_related_populators(klass_info, select, queryset.db)),
            annotations=tuple((annotation_col_map or {}).items()),
            width=compiler.col_count if compiler.has_extra_select else None,
        )

    def clear(self) -> None:
        with self._lock:
            self._compiled.clear()
