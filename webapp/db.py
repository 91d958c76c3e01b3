"""The database handle: each app opens its own database; ``db`` serves the app whose
context is active, and connects at a request's first query."""

import itertools
import re
from copy import copy
from weakref import WeakKeyDictionary

from flask import appcontext_popped, appcontext_pushed, current_app, has_app_context
from peewee import (
    SQL,
    DatabaseProxy,
    Field,
    IntegerField,
    InterfaceError,
    OperationalError,
    PostgresqlDatabase,
    SqliteDatabase,
    Value,
    fn,
)
from playhouse.db_url import connect
from playhouse.pool import MaxConnectionsExceeded, PooledDatabase

db = DatabaseProxy()

# What a request may meet when the database is down, restarting, locked for longer than
# busy_timeout, or when the pool is exhausted: passing trouble, answered with 503.
# (A broken query is a ProgrammingError or IntegrityError, and stays a 500.)
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError, MaxConnectionsExceeded)

SQLITE_PRAGMAS = {
    "foreign_keys": 1,
    "journal_mode": "wal",
    "busy_timeout": 10_000,  # concurrent grants wait for the write lock instead of failing
    "synchronous": "normal",
}


# PostgreSQL connections per process: a gunicorn sync worker uses one; threads (the
# scheduler, tests) a few more.
POOL_SIZE = 16


def init_app(app) -> None:
    """Open the app's database (``DATABASE_URL``); ``db`` serves it in the app's contexts."""
    app.extensions["database"] = open_database(app.config["DATABASE_URL"])
    appcontext_pushed.connect(_serve, app)
    appcontext_popped.connect(_serve_outer, app)

    @app.teardown_appcontext
    def close(exc):
        if not db.is_closed():
            db.close()  # back to the pool on PostgreSQL


def _serve(app, **extra):
    db.initialize(app.extensions["database"])


def _serve_outer(app, **extra):
    # A context of another app was inside this one's (tests, CLI): serve the outer app again.
    if has_app_context() and current_app._get_current_object() is not app:
        _serve(current_app._get_current_object())


def open_database(url: str):
    """The database at ``url`` (``sqlite:///path`` or ``postgresql://...``), not yet connected.

    PostgreSQL goes through peewee's pool: a new server connection per request cost
    more than the queries of most pages (bench/load). A connection handed back in a
    transaction is rolled back by the pool.
    """
    if url.startswith("sqlite"):
        # Per request: sqlite3 refuses a connection handed between threads, as a pool would.
        return connect(url, pragmas=SQLITE_PRAGMAS)
    scheme, rest = url.split("://", 1)
    return connect(f"{scheme}+pool://{rest}", max_connections=POOL_SIZE, stale_timeout=300, timeout=10)


def close_database(app) -> None:
    """Close every connection the app's database holds (a pool keeps them open)."""
    database = app.extensions["database"]
    if isinstance(database, PooledDatabase):
        database.close_all()
    elif not database.is_closed():
        database.close()


class _Slot:
    """Where a prepared query takes a value, converted by ``field`` as peewee would."""

    def __init__(self, name: str, field: Field):
        self.name, self.field = name, field

    def bind(self, values: dict):
        return self.field.db_value(values[self.name])


def slot(name: str, field: Field) -> Value:
    """A value of a ``Prepared`` query, given by name when it runs."""
    return Value(_Slot(name, field), converter=False)


def offset_slot() -> Value:
    """Where a prepared page of rows starts (``offset=`` when it runs)."""
    return slot("offset", IntegerField())


_NUMBERS = itertools.count(1)


class Prepared:
    """A peewee query whose SQL is built once per database and then run with new values.

    peewee renders a query's SQL anew on every run, node by node: 0.3-1 ms for the queries
    every page runs (the session, the signed-in contact), many times what the database
    takes to answer them. ``build()`` returns the query with ``slot(name, field)`` where a
    value varies; ``first(**values)`` and ``rows(**values)`` run it. Rows come back as the
    query would return them (models with their joins). ``run(**values)`` runs a write.
    A column's default is not applied: a query built once would keep its first value.
    """

    def __init__(self, build):
        self._build = build
        self._built = WeakKeyDictionary()  # database -> (query, sql, params)
        self._name = f"prepared_{next(_NUMBERS)}"  # its name on a PostgreSQL connection
        self._wrappers = WeakKeyDictionary()  # database -> a cursor wrapper, initialised

    def rows(self, **values):
        query, cursor = self._execute(values)
        template = self._wrappers.get(db.obj)
        if template is None:
            # peewee matches the cursor's columns to the query's fields for every result (a
            # third of the time of a one-row query); they are the same on every run.
            template = query._get_cursor_wrapper(cursor)
            template.initialize()
            template.initialized, template.cursor = True, None
            self._wrappers[db.obj] = template
        wrapper = copy(template)
        wrapper.cursor, wrapper.count, wrapper.index = cursor, 0, 0
        wrapper.populated, wrapper.row_cache = False, []
        return wrapper

    def first(self, **values):
        return next(iter(self.rows(**values)), None)

    def run(self, **values) -> None:
        self._execute(values)

    def _execute(self, values):
        database = db.obj
        if database not in self._built:
            query = self._build()
            self._built[database] = (query, *query.sql())
        query, sql, params = self._built[database]
        bound = [p.bind(values) if isinstance(p, _Slot) else p for p in params]
        if isinstance(database, PostgresqlDatabase):
            return query, _execute_on_server(database, self._name, lambda: _numbered(sql), bound)
        return query, database.execute_sql(sql, bound)


# PostgreSQL connection -> the names of the statements prepared on it.
_SERVER_PREPARED: WeakKeyDictionary = WeakKeyDictionary()


def _execute_on_server(database, name: str, numbered_sql, params: list):
    """Run a statement PostgreSQL parsed and planned once on this connection, written
    with $1, $2… by ``numbered_sql()`` when it is first prepared there.

    PREPARE lasts as long as the connection (the pool keeps it), rollbacks included; a
    one-row query of the portal took 0.27 ms as plain SQL and 0.08 ms so.
    """
    prepared = _SERVER_PREPARED.setdefault(database.connection(), set())
    if name not in prepared:
        database.execute_sql(f"PREPARE {name} AS {numbered_sql()}")
        prepared.add(name)
    arguments = f"({', '.join(['%s'] * len(params))})" if params else ""
    return database.execute_sql(f"EXECUTE {name}{arguments}", params)


def _numbered(sql: str) -> str:
    """psycopg2's placeholders (``%s``) as PostgreSQL's ($1, $2…); ``%%`` stays, as psycopg2
    reads the PREPARE too."""
    numbers = itertools.count(1)
    return re.sub(r"%[%s]", lambda m: m.group() if m.group() == "%%" else f"${next(numbers)}", sql)


class PreparedSQL:
    """Plain SQL with ``{name}`` parameters, run as ``Prepared`` runs a query: on PostgreSQL
    parsed and planned once per connection."""

    def __init__(self, sql: str):
        self._sql = sql
        self._names = list(dict.fromkeys(re.findall(r"\{(\w+)\}", sql)))
        self._numbered = sql.format(**{name: f"${n}" for n, name in enumerate(self._names, 1)})
        self._name = f"prepared_{next(_NUMBERS)}"

    def run(self, **params):
        if is_postgres():
            values = [params[name] for name in self._names]
            return _execute_on_server(db.obj, self._name, lambda: self._numbered, values)
        return execute_named(self._sql, params)


def count(query) -> int:
    """How many rows ``query`` gives (one without LIMIT, GROUP BY or DISTINCT).

    peewee's ``.count()`` wraps the query, every selected column written out, in a subquery;
    ``COUNT(*)`` in its place reads no column (20,000 incidents: 1.1 → 0.85 ms).
    """
    return query.select(fn.COUNT(SQL("*"))).order_by().scalar()


def execute_named(sql: str, params: dict):
    """Run SQL whose parameters are written ``{name}``, in this database's placeholder style."""
    style = ":{}" if is_sqlite() else "%({})s"
    return db.execute_sql(sql.format(**{name: style.format(name) for name in params}), params)


def is_sqlite() -> bool:
    return isinstance(db.obj, SqliteDatabase)


def is_postgres() -> bool:
    return isinstance(db.obj, PostgresqlDatabase)


def write_transaction():
    """A transaction that takes the write lock up front on SQLite.

    Rules such as the maximum are checked and applied in one transaction; SQLite's
    IMMEDIATE mode serialises those, PostgreSQL uses row locks (see ``lock_organisation``).
    """
    if is_sqlite():
        return db.obj.atomic("IMMEDIATE")
    return db.atomic()


def lock_organisation(organisation_id: int) -> None:
    """Serialise writes that check an organisation-wide rule (the maximum, the last admin).

    Call inside ``write_transaction()``. PostgreSQL: ``SELECT … FOR UPDATE`` on the
    organisation row, so a second grant waits until the first one commits and then counts
    again. SQLite: nothing to do, the IMMEDIATE transaction already holds the write lock.
    """
    if is_postgres():
        db.execute_sql("SELECT id FROM organisation WHERE id = %s FOR UPDATE", (organisation_id,))
