"""Several portal processes as production runs them: gunicorn over one PostgreSQL, the rate
limits in one real Redis, signing in through the dev identity provider over HTTP."""

import os
import re
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from urllib.parse import urlsplit

import psycopg2
import pytest
import requests

from tests.conftest import _postgres, unavailable
from tests.harness.devidp import DEFAULT_CLIENT_SECRET, DevIdp, DevIdpError, free_port
from tests.harness.redis import RedisServer, RedisUnavailable
from tests.harness.signin import log_in_at_provider
from webapp.config import ROOT

SECRET_KEY = "scale-test-secret-key-0123456789abcdef"
STARTUP_TIMEOUT = float(os.environ.get("DEVIDP_STARTUP_TIMEOUT", "20")) * 3


def portal_environment(**settings: str) -> dict:
    """This process's environment without the portal's settings, plus ``settings``."""
    environment = {
        name: value for name, value in os.environ.items()
        if not name.startswith("KLANTPORTAL_") and name not in {"SECRET_KEY", "DATABASE_URL"}
    }
    return {**environment, "KLANTPORTAL_HTMX_SOURCE": "local", "SECRET_KEY": SECRET_KEY, **settings}


class Portal:
    """``gunicorn -c python:webapp.gunicorn_conf`` with one worker on a free port."""

    def __init__(self, environment: dict, port: int | None = None):
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.environment = environment
        self.log = tempfile.TemporaryFile(mode="w+b")  # noqa: SIM115 (closed in stop())
        self.process = None

    def start(self) -> "Portal":
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "python:webapp.gunicorn_conf", "-w", "1",
             "-b", f"127.0.0.1:{self.port}", "webapp:create_app()"],
            cwd=ROOT, env=self.environment, stdin=subprocess.DEVNULL, stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while True:
            try:
                if requests.get(self.url + "/readyz", timeout=2).status_code == 200:
                    return self
            except requests.RequestException:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                output = self.output()
                self.stop()
                raise AssertionError(f"portal on {self.url} did not start:\n{output}")
            time.sleep(0.2)

    def output(self) -> str:
        self.log.flush()
        self.log.seek(0)
        return self.log.read().decode("utf-8", "replace")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        self.log.close()


@contextmanager
def running(*portals: Portal):
    started = []
    try:
        for portal in portals:
            started.append(portal.start())
        yield portals
    finally:
        for portal in started:
            portal.stop()


@pytest.fixture(scope="module")
def redis_server():
    try:
        server = RedisServer().start()
    except RedisUnavailable as error:
        unavailable(f"Redis: {error}")
    yield server
    server.stop()


@pytest.fixture(scope="module")
def scale_database(postgres_url):
    """A database of its own on the test PostgreSQL server, migrated and seeded by the command line."""
    server = postgres_url.rsplit("/", 1)[0]
    name = f"klantportal_scale_{os.getpid()}"
    _postgres(f"{server}/postgres", f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    _postgres(f"{server}/postgres", f"CREATE DATABASE {name}")
    url = f"{server}/{name}"
    seeding = klantportal(url, "seed-demo")
    output = seeding.communicate(timeout=120)[0]
    assert seeding.returncode == 0, output
    yield url
    _postgres(f"{server}/postgres", f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def klantportal(database_url: str, *arguments: str, **settings: str) -> subprocess.Popen:
    """``klantportal <arguments>`` started in the background with these settings; its output
    (both streams) on ``stdout``."""
    command = [os.path.join(os.path.dirname(sys.executable), "klantportal"), *arguments]
    environment = portal_environment(DATABASE_URL=database_url, **settings)
    return subprocess.Popen(command, cwd=ROOT, env=environment,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def query(database_url: str, sql: str, *parameters):
    with psycopg2.connect(database_url) as connection, connection.cursor() as cursor:
        cursor.execute(sql, parameters)
        return cursor.fetchall() if cursor.description else None


class Pair:
    """Two portal processes behind one address (``base_url``: the first's), one provider."""

    def __init__(self, first: Portal, second: Portal, idp: DevIdp, database_url: str):
        self.portals, self.idp, self.database_url = (first, second), idp, database_url
        self.base_url = first.url

    def on(self, index: int, url: str) -> str:
        """``url`` sent to portal ``index``: a load balancer's choice, made by the test."""
        parts = urlsplit(url)
        return self.portals[index].url + parts.path + (f"?{parts.query}" if parts.query else "")


@pytest.fixture(scope="module")
def pair(scale_database, redis_server):
    first_port = free_port()
    base_url = f"http://127.0.0.1:{first_port}"
    try:
        idp = DevIdp(env={"KLANTPORTAL_BASE_URL": base_url}).start()
    except DevIdpError as error:
        unavailable(f"dev identity provider: {error}")
    environment = portal_environment(
        DATABASE_URL=scale_database,
        KLANTPORTAL_BASE_URL=base_url,
        KLANTPORTAL_OIDC_ISSUER=idp.issuer,
        KLANTPORTAL_OIDC_CLIENT_SECRET=DEFAULT_CLIENT_SECRET,
        KLANTPORTAL_RATELIMIT_STORAGE_URI=redis_server.url,
        KLANTPORTAL_PROCESSES="2",
    )
    try:
        with running(Portal(environment, first_port), Portal(environment)) as (first, second):
            yield Pair(first, second, idp, scale_database)
    finally:
        idp.stop()


def sign_in(pair: Pair, username: str, *, start: int = 0, finish: int = 1) -> requests.Session:
    """A browser signing in as ``username``: /login on portal ``start``, the provider's form,
    the callback on portal ``finish``."""
    browser = requests.Session()
    callback = log_in_at_provider(browser, pair.on(start, pair.base_url + "/login"), username, pair.base_url)
    done = browser.get(pair.on(finish, callback), allow_redirects=False)
    assert done.status_code == 302, done.text[:2000]
    return browser


def csrf_token(page: str) -> str:
    return re.search(r'<meta name="csrf-token" content="([^"]+)"', page)[1]
