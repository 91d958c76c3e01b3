"""Fixtures: the app over a throw-away database (SQLite, or PostgreSQL with
``KLANTPORTAL_TEST_DB=postgres``), a client, the demo data and signing in as a demo person."""

import os
import shutil
import tempfile
from pathlib import Path

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from tests.harness.postgres import PostgresServer, PostgresUnavailable
from tests.harness.sessions import COOKIE, open_session
from tests.harness.sessions import contact_named as contact_named  # tests import it from here
from webapp import create_app, schema
from webapp.db import close_database, db
from webapp.models import Contact
from webapp.seed import seed_demo

IN_CI = os.environ.get("CI") == "true"
TEST_DB = os.environ.get("KLANTPORTAL_TEST_DB", "sqlite")
TRANSLATIONS = Path(__file__).resolve().parents[1] / "translations"


def pytest_configure(config):
    """Compile missing or stale catalogues (build output, not in git), so plain pytest works."""
    for po in TRANSLATIONS.glob("*/LC_MESSAGES/*.po"):
        mo = po.with_suffix(".mo")
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        with po.open("rb") as source:
            catalogue = read_po(source)
        # Written aside and renamed: parallel workers never read half a file.
        with tempfile.NamedTemporaryFile("wb", dir=mo.parent, delete=False) as target:
            write_mo(target, catalogue)
        os.chmod(target.name, 0o644)
        os.replace(target.name, mo)




def unavailable(reason: str):
    """Skip for a missing service, except in CI, where a skipped suite is a failure."""
    if IN_CI:
        pytest.fail(f"required in CI: {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def postgres_url():
    """A PostgreSQL database for this test session."""
    if os.environ.get("KLANTPORTAL_TEST_DATABASE_URL"):
        yield os.environ["KLANTPORTAL_TEST_DATABASE_URL"]
        return
    try:
        server = PostgresServer().start()
    except PostgresUnavailable as error:
        unavailable(f"PostgreSQL: {error}")
    yield server.url
    server.stop()


TEST_CONFIG = {
    "TESTING": True,
    "SECRET_KEY": "test-secret-key",
    "OIDC_ISSUER": "http://127.0.0.1:9/realms/klantportal",  # nothing listens: no provider
    "OIDC_CLIENT_SECRET": "test-client-secret",
    "WTF_CSRF_ENABLED": False,
    "RATELIMIT_ENABLED": False,
    "HTMX_SOURCE": "local",
}


def _postgres(url: str, sql: str, fetch: bool = False):
    """Run ``sql`` outside a transaction (CREATE/DROP DATABASE refuse to run inside one)."""
    import psycopg2

    connection = psycopg2.connect(url)
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql)
            return cursor.fetchall() if fetch else None
    finally:
        connection.close()


class PostgresSnapshots:
    """Copies of the test database's tables in schemas of the same database, one per kind.

    Restoring one is a DELETE and an INSERT … SELECT per table: tens of milliseconds,
    where CREATE DATABASE … TEMPLATE costs seconds (it checkpoints the whole cluster)."""

    def __init__(self, url: str):
        self.url = url
        self.restore_sql: dict[str, str] = {}

    def take(self, kind: str) -> None:
        """Copy every table of ``public`` into schema ``snapshot_<kind>``."""
        columns: dict[str, list[str]] = {}
        for table, column in _postgres(
            self.url,
            "SELECT c.table_name, c.column_name FROM information_schema.columns c "
            "JOIN information_schema.tables t USING (table_schema, table_name) "
            "WHERE c.table_schema = 'public' AND t.table_type = 'BASE TABLE' "
            "ORDER BY c.table_name, c.ordinal_position",
            fetch=True,
        ):
            columns.setdefault(table, []).append(f'"{column}"')
        sequences = _postgres(
            self.url,
            "SELECT sequencename, COALESCE(last_value, start_value), last_value IS NOT NULL "
            "FROM pg_sequences WHERE schemaname = 'public'",
            fetch=True,
        )
        schema = f"snapshot_{kind}"
        _postgres(self.url, f"DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}; " + " ".join(
            f'CREATE TABLE {schema}."{table}" AS SELECT * FROM public."{table}";' for table in columns
        ))
        self.restore_sql[kind] = "".join([
            # Whatever the last test left connected (a live server's threads) lets go.
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid();",
            # Foreign keys are whole again once every table is back; no trigger order needed.
            "SET session_replication_role = replica;",
            # DELETE, not TRUNCATE: for tables this small it skips creating new files.
            *(f'DELETE FROM public."{table}";' for table in columns),
            *(f'INSERT INTO public."{table}" ({", ".join(names)}) '
              f'SELECT {", ".join(names)} FROM {schema}."{table}";' for table, names in columns.items()),
            *(f"SELECT setval('public.\"{name}\"', {value}, {called});"
              for name, value, called in sequences),
        ])

    def restore(self, kind: str) -> None:
        _postgres(self.url, self.restore_sql[kind])


def _build_templates(url: str, keep) -> None:
    """Migrate, ``keep("migrated")``, seed the demo, ``keep("seeded")``."""
    app = create_app({**TEST_CONFIG, "DATABASE_URL": url})
    with app.app_context():
        schema.migrate()
        keep("migrated")
        seed_demo()
        keep("seeded")
    db.close()


@pytest.fixture(scope="session")
def database_templates(request, tmp_path_factory):
    """The schema, and the schema with the demo data, built once per test session: each
    test starts from a copy instead of migrating and seeding again (most of a test's time)."""
    if TEST_DB == "postgres":
        snapshots = PostgresSnapshots(request.getfixturevalue("postgres_url"))
        _build_templates(snapshots.url, snapshots.take)
        return snapshots
    folder = tmp_path_factory.mktemp("templates")
    paths = {kind: folder / f"{kind}.sqlite3" for kind in ("migrated", "seeded")}
    work = folder / "work.sqlite3"

    def keep(kind):
        db.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")  # the file is then the whole database
        shutil.copyfile(work, paths[kind])

    _build_templates(f"sqlite:///{work}", keep)
    return paths


@pytest.fixture
def database_url(request, tmp_path, database_templates):
    """This test's own database: a copy of the seeded template when the test asks for
    the demo data (``seeded``/``login``), else of the empty schema. A test marked
    ``alters_schema`` gets a new, empty PostgreSQL database instead, so the snapshots'
    tables keep matching the schema."""
    kind = "seeded" if "seeded" in request.fixturenames else "migrated"
    if TEST_DB == "postgres":
        url = request.getfixturevalue("postgres_url")
        if request.node.get_closest_marker("alters_schema"):
            assert kind == "migrated", "an alters_schema test starts from an empty database"
            scratch = "klantportal_scratch"
            server = url.rsplit("/", 1)[0]
            _postgres(f"{server}/postgres", f"DROP DATABASE IF EXISTS {scratch} WITH (FORCE)")
            _postgres(f"{server}/postgres", f"CREATE DATABASE {scratch}")
            return f"{server}/{scratch}"
        database_templates.restore(kind)
        return url
    path = tmp_path / "test.sqlite3"
    shutil.copyfile(database_templates[kind], path)
    return f"sqlite:///{path}"


@pytest.fixture
def make_app(database_url):
    """Build an app on this test's database; extra config overrides the test defaults."""

    apps = []

    def make(**config):
        app = create_app({**TEST_CONFIG, "DATABASE_URL": database_url, **config})
        with app.app_context():
            schema.migrate()
        apps.append(app)
        return app

    yield make
    for app in apps:
        close_database(app)


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def seeded(app):
    """The app over the demo data (its database was copied from the seeded template)."""
    return app


def sign_in(client, username: str, *, expires_in: int = 3600) -> Contact:
    """Give ``client`` a session as the demo person, as the OIDC callback would."""
    contact, key = open_session(username, expires_in=expires_in)
    client.set_cookie(COOKIE, key)
    return contact


@pytest.fixture
def login(seeded):
    """``login(client, "anna.admin")`` signs ``client`` in as that demo person."""
    return sign_in


@pytest.fixture
def rendered(app):
    """What this test's responses rendered, in order: ``(template, None)`` for a whole page,
    ``(template, block)`` for a fragment, ``(template, (block, ...))`` for render_blocks."""
    from flask import template_rendered
    from jinja2_fragments.flask import template_block_rendered, template_blocks_rendered

    seen = []

    def page(sender, template, context, **extra):
        seen.append((template.name, None))

    def block(sender, template_name, block_name, **extra):
        seen.append((template_name, block_name))

    def blocks(sender, template_name, block_names, **extra):
        seen.append((template_name, tuple(block_names)))

    with (
        template_rendered.connected_to(page, app),
        template_block_rendered.connected_to(block, app),
        template_blocks_rendered.connected_to(blocks, app),
    ):
        yield seen
