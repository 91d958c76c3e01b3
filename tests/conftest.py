"""Fixtures: the app over a throw-away database (SQLite, or PostgreSQL with
``KLANTPORTAL_TEST_DB=postgres``), a client, the demo data and signing in as a demo person."""

import json
import os
import secrets
import shutil
import tempfile
from datetime import timedelta
from pathlib import Path

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from tests.support.postgres import PostgresServer, PostgresUnavailable
from webapp import clock, create_app, schema
from webapp.db import db
from webapp.models import Contact, WebSession
from webapp.seed import seed_demo
from webapp.sessions import key_hash

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


def _build(url: str, *, demo: bool) -> None:
    app = create_app({**TEST_CONFIG, "DATABASE_URL": url})
    with app.app_context():
        schema.migrate()
        if demo:
            seed_demo()
        if TEST_DB == "sqlite":
            db.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")  # the copy is the whole database
    db.close()


def _postgres_admin(url: str, *statements: str) -> None:
    """Run CREATE/DROP DATABASE statements (they refuse to run inside a transaction)."""
    import psycopg2

    connection = psycopg2.connect(url.rsplit("/", 1)[0] + "/postgres")
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)
    finally:
        connection.close()


@pytest.fixture(scope="session")
def database_templates(request, tmp_path_factory):
    """The schema, and the schema with the demo data, built once per test session: each
    test starts from a copy instead of migrating and seeding again (most of a test's time)."""
    if TEST_DB == "postgres":
        url = request.getfixturevalue("postgres_url")
        base = url.rsplit("/", 1)[0]
        names = {"migrated": "klantportal_template_migrated", "seeded": "klantportal_template_seeded"}
        for name in names.values():
            _postgres_admin(url, f"DROP DATABASE IF EXISTS {name}", f"CREATE DATABASE {name}")
        for kind, name in names.items():
            _build(f"{base}/{name}", demo=kind == "seeded")
        return names
    folder = tmp_path_factory.mktemp("templates")
    paths = {kind: folder / f"{kind}.sqlite3" for kind in ("migrated", "seeded")}
    for kind, path in paths.items():
        _build(f"sqlite:///{path}", demo=kind == "seeded")
    return paths


@pytest.fixture
def database_url(request, tmp_path, database_templates):
    """This test's own database: a copy of the seeded template when the test asks for
    the demo data (``seeded``/``login``), else of the empty schema."""
    kind = "seeded" if "seeded" in request.fixturenames else "migrated"
    if TEST_DB == "postgres":
        url = request.getfixturevalue("postgres_url")
        name = url.rsplit("/", 1)[1]
        # FILE_COPY: for a small database, copying its files beats WAL-logging every page.
        _postgres_admin(url, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)",
                        f"CREATE DATABASE {name} TEMPLATE {database_templates[kind]} STRATEGY FILE_COPY")
        return url
    path = tmp_path / "test.sqlite3"
    shutil.copyfile(database_templates[kind], path)
    return f"sqlite:///{path}"


@pytest.fixture
def make_app(database_url):
    """Build an app on this test's database; extra config overrides the test defaults."""

    def make(**config):
        app = create_app({**TEST_CONFIG, "DATABASE_URL": database_url, **config})
        with app.app_context():
            schema.migrate()
        return app

    yield make
    if not db.is_closed():
        db.close()


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


def contact_named(username: str) -> Contact:
    """A demo contact by username (the part of the e-mail before @)."""
    return Contact.get(Contact.email.startswith(username + "@"))


def sign_in(client, username: str, *, expires_in: int = 3600) -> Contact:
    """Give ``client`` a session as the demo person, as the OIDC callback would."""
    contact = contact_named(username)
    key = secrets.token_urlsafe(32)
    now = clock.now()
    WebSession.create(
        key_hash=key_hash(key),
        data=json.dumps({"_user_id": str(contact.id), "_fresh": True}),
        contact=contact,
        subject=f"subject-{username}",
        sid=f"sid-{username}",
        id_token="id-token",
        access_token="access-token",
        refresh_token="refresh-token",
        access_expires_at=now + timedelta(seconds=expires_in),
        expires_at=now + timedelta(hours=1),
    )
    client.set_cookie("klantportal_session", key)
    return contact


@pytest.fixture
def login(seeded):
    """``login(client, "anna.admin")`` signs ``client`` in as that demo person."""
    return sign_in
