"""A real stack for browser tests: the dev identity provider over HTTP, the portal on a
live server, and Chromium driven by Playwright (``KLANTPORTAL_CHROMIUM`` picks the binary)."""

import os
import shutil
import threading
from contextlib import contextmanager
from pathlib import Path

import pytest
from peewee import SqliteDatabase
from werkzeug.serving import make_server

from tests.conftest import TEST_CONFIG, unavailable
from tests.harness.devidp import DevIdp, DevIdpError, free_port
from tests.harness.maildev import Maildev, MaildevError
from webapp import create_app, schema
from webapp.mail import delivery
from webapp.models import AccessRequest, Contact, OutboxMail, WebSession
from webapp.seed import seed_demo

pytestmark = pytest.mark.e2e

# Debian's headless shell (no UI toolkit, far lighter on a 2-core machine), else full Chromium.
CHROMIUM = (os.environ.get("KLANTPORTAL_CHROMIUM") or shutil.which("chromium-headless-shell")
            or shutil.which("chromium") or "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


class Stack:
    """The portal at ``base_url`` signing in through ``idp``, its mails caught by ``maildev``."""

    def __init__(self, app, server, idp, maildev):
        self.app, self.server, self.idp, self.maildev = app, server, idp, maildev
        self.database = app.extensions["database"]
        self.base_url = app.config["BASE_URL"]

    def url(self, path: str) -> str:
        return self.base_url + path

    def deliver_mail(self) -> None:
        """One pass of the mail delivery (the demo runs it in a loop)."""
        with self.app.app_context():
            delivery.deliver_due()


@contextmanager
def running_stack(database_url: str, access_token_ttl: int | None = None, **config):
    """Start the provider and the portal; stop both afterwards."""
    port = free_port()
    base_url = f"http://localhost:{port}"
    idp_env = {
        "KLANTPORTAL_BASE_URL": base_url,
        "KLANTPORTAL_BACKCHANNEL_LOGOUT_URL": f"http://127.0.0.1:{port}/auth/backchannel-logout",
    }
    if access_token_ttl:
        idp_env["ACCESS_TOKEN_TTL"] = str(access_token_ttl)
    try:
        maildev = Maildev().start()
    except MaildevError as error:
        unavailable(f"maildev: {error}")
    try:
        idp = DevIdp(env=idp_env).start()
    except DevIdpError as error:
        maildev.stop()
        unavailable(f"dev identity provider: {error}")
    app = create_app({
        **TEST_CONFIG,
        "DATABASE_URL": database_url,
        "BASE_URL": base_url,
        "OIDC_ISSUER": idp.issuer,
        "OIDC_CLIENT_SECRET": "klantportal-demo-secret",
        "WTF_CSRF_ENABLED": True,
        "TOKEN_REFRESH_MARGIN_SECONDS": 0,
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": maildev.smtp_port,
        **config,
    })
    with app.app_context():
        schema.migrate()
        seed_demo()
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Stack(app, server, idp, maildev)
    finally:
        server.shutdown()
        idp.stop()
        maildev.stop()


@pytest.fixture(scope="session")
def e2e_database_url(tmp_path_factory):
    from tests.conftest import TEST_DB

    if TEST_DB == "postgres":
        pytest.skip("browser tests run once, on SQLite; the web suite covers PostgreSQL")
    return f"sqlite:///{tmp_path_factory.mktemp('e2e') / 'portal.sqlite3'}"


@pytest.fixture(scope="session")
def stack(e2e_database_url):
    with running_stack(e2e_database_url) as running:
        yield running


@pytest.fixture(autouse=True)
def fresh_demo(request):
    """Each browser test starts from the demo data with nobody signed in."""
    if "stack" not in request.fixturenames:
        yield
        return
    stack = request.getfixturevalue("stack")
    app = stack.app
    with app.app_context():
        seed_demo()
        WebSession.delete().execute()
        AccessRequest.delete().execute()
        OutboxMail.delete().execute()
        Contact.update(language="nl", mail_informational=True).execute()
    stack.maildev.clear()
    yield


@contextmanager
def database_unreachable(stack):
    """The running portal's database out of reach (a file in a folder that is not there),
    then back: the portal opens its database per request."""
    extensions = stack.app.extensions
    reachable = extensions["database"]
    extensions["database"] = SqliteDatabase("/nonexistent-folder/portal.sqlite3")
    try:
        yield
    finally:
        extensions["database"] = reachable


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        unavailable(f"Chromium not found at {CHROMIUM} (set KLANTPORTAL_CHROMIUM)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def new_context(browser):
    """``new_context()`` opens a separate browser profile (cookies of its own), in Dutch."""
    contexts = []

    def make(**options):
        context = browser.new_context(locale="nl-NL", **options)
        context.set_default_timeout(60_000)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_context):
    return new_context().new_page()


def sign_in(page, stack, username: str, password: str = "demo", next_path: str = "/"):
    """Sign in through the provider's login form, as a person would."""
    page.goto(stack.url(f"/login?next={next_path}"))
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("#kc-login")
    page.wait_for_url(f"{stack.base_url}/**")


AXE = Path(__file__).parent / "axe" / "node_modules" / "axe-core" / "axe.min.js"


def serious_accessibility_violations(page) -> list[str]:
    """Run axe-core on the page; return its serious and critical violations, described."""
    if not AXE.exists():
        unavailable(f"axe-core not installed ({AXE}); run make install")
    # evaluate() runs outside the page's CSP, so axe needs no inline <script>.
    page.evaluate(AXE.read_text() + "\n;0")
    violations = page.evaluate(
        """async () => (await axe.run(document, {resultTypes: ['violations']})).violations
            .filter(v => ['serious', 'critical'].includes(v.impact))
            .map(v => `${v.id} (${v.impact}): ${v.help} — `
                      + v.nodes.map(n => n.target.join(' ')).join(', '))"""
    )
    return violations
