"""Production configuration: refuses demo secrets and insecure cookies; forwarded headers only on request."""

import os

import pytest
from flask import request

from webapp import config as configuration
from webapp import create_app
from webapp.access import public
from webapp.db import db

GOOD_SECRET_KEY = "k" * 24 + "-production-secret-key-0123456789"
GOOD_CLIENT_SECRET = "a-real-client-secret-from-the-keycloak-admin"


def env_example_value(name: str) -> str:
    for line in configuration.ENV_EXAMPLE.read_text().splitlines():
        key, _, value = line.partition("=")
        if key.strip() == name:
            return value.strip()
    raise LookupError(name)


@pytest.fixture
def production_env(monkeypatch, tmp_path):
    """A production environment with proper secrets; each test spoils one thing."""
    for name in list(os.environ):
        if name.startswith("KLANTPORTAL_") or name in {"SECRET_KEY", "DATABASE_URL"}:
            monkeypatch.delenv(name)
    values = {
        "KLANTPORTAL_ENV": "production",
        "SECRET_KEY": GOOD_SECRET_KEY,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'production.sqlite3'}",
        "KLANTPORTAL_OIDC_CLIENT_SECRET": GOOD_CLIENT_SECRET,
        "KLANTPORTAL_OIDC_ISSUER": "https://login.example.nl/realms/klantportal",
        "KLANTPORTAL_BASE_URL": "https://portal.example.nl",
        "KLANTPORTAL_SMTP_HOST": "smtp.example.nl",
        "KLANTPORTAL_SMTP_PORT": "587",
        "KLANTPORTAL_SMTP_SECURITY": "starttls",
        "KLANTPORTAL_SMTP_USER": "klantportal",
        "KLANTPORTAL_SMTP_PASSWORD": "a-real-smtp-password",
        "KLANTPORTAL_MAIL_SENDER": "Klantportal <klantportal@example.nl>",
        "KLANTPORTAL_SUPPORT_EMAIL": "support@example.nl",
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    yield monkeypatch
    if db.obj is not None and not db.is_closed():  # a refused start never opened it
        db.close()


def refuses(match: str):
    return pytest.raises(RuntimeError, match=match)


def test_starts_with_proper_secrets(production_env):
    app = create_app()
    assert app.config["ENV_NAME"] == "production"
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["TRUST_PROXY_HEADERS"] is False


def test_refuses_the_demo_secret_key(production_env):
    demo_key = env_example_value("SECRET_KEY")
    assert demo_key
    production_env.setenv("SECRET_KEY", demo_key)
    with refuses("SECRET_KEY"):
        create_app()


def test_refuses_a_short_secret_key(production_env):
    production_env.setenv("SECRET_KEY", "short-but-not-the-demo-value")
    with refuses("SECRET_KEY"):
        create_app()


@pytest.mark.parametrize("source", [".env.example", "realm file"])
def test_refuses_the_demo_client_secret(production_env, source):
    if source == ".env.example":
        demo_secret = env_example_value("KLANTPORTAL_OIDC_CLIENT_SECRET")
    else:
        text = configuration.REALM_FILE.read_text()
        demo_secret = text.split("${KLANTPORTAL_CLIENT_SECRET:", 1)[1].split("}", 1)[0]
    assert demo_secret
    production_env.setenv("KLANTPORTAL_OIDC_CLIENT_SECRET", demo_secret)
    with refuses("KLANTPORTAL_OIDC_CLIENT_SECRET"):
        create_app()


def test_refuses_a_missing_client_secret(production_env):
    production_env.delenv("KLANTPORTAL_OIDC_CLIENT_SECRET")
    with refuses("KLANTPORTAL_OIDC_CLIENT_SECRET"):
        create_app()


def test_refuses_cookies_not_marked_secure(production_env):
    production_env.setenv("KLANTPORTAL_COOKIE_SECURE", "false")
    with refuses("Secure"):
        create_app()


@pytest.mark.parametrize(
    ("name", "demo_value"),
    [
        ("KLANTPORTAL_SMTP_HOST", None),  # unset: the demo's localhost:1025
        ("KLANTPORTAL_SMTP_SECURITY", "none"),
        ("KLANTPORTAL_SMTP_PASSWORD", None),
        ("KLANTPORTAL_MAIL_SENDER", "Klantportal <klantportal@klantportal.example>"),
        ("KLANTPORTAL_SUPPORT_EMAIL", "support@klantportal.example"),
    ],
)
def test_refuses_the_demo_mail_settings(production_env, name, demo_value):
    if demo_value is None:
        production_env.delenv(name)
        if name == "KLANTPORTAL_SMTP_HOST":
            production_env.delenv("KLANTPORTAL_SMTP_PORT")
    else:
        production_env.setenv(name, demo_value)
    with refuses(name.removesuffix("_HOST").removesuffix("_SECURITY").removesuffix("_PASSWORD")):
        create_app()


def test_the_env_example_mail_settings_are_the_demo_ones(production_env):
    for name in ("KLANTPORTAL_SMTP_HOST", "KLANTPORTAL_SMTP_PORT", "KLANTPORTAL_SMTP_SECURITY",
                 "KLANTPORTAL_MAIL_SENDER", "KLANTPORTAL_SUPPORT_EMAIL"):
        production_env.setenv(name, env_example_value(name))
    with refuses("KLANTPORTAL_SMTP_.*KLANTPORTAL_MAIL_SENDER.*KLANTPORTAL_SUPPORT_EMAIL"):
        create_app()


def test_refuses_an_unknown_smtp_security_everywhere(production_env):
    production_env.setenv("KLANTPORTAL_ENV", "development")
    production_env.setenv("KLANTPORTAL_SMTP_SECURITY", "ssl")
    with refuses("KLANTPORTAL_SMTP_SECURITY"):
        create_app()


def test_refuses_a_missing_secret_key_everywhere(production_env):
    production_env.delenv("SECRET_KEY")
    production_env.setenv("KLANTPORTAL_ENV", "development")
    with refuses("SECRET_KEY"):
        create_app()


def test_development_accepts_the_demo_values(production_env):
    """`make demo` (and the Docker demo) run with .env.example as it is."""
    production_env.setenv("KLANTPORTAL_ENV", "development")
    production_env.setenv("SECRET_KEY", env_example_value("SECRET_KEY"))
    demo_client_secret = env_example_value("KLANTPORTAL_OIDC_CLIENT_SECRET")
    production_env.setenv("KLANTPORTAL_OIDC_CLIENT_SECRET", demo_client_secret)
    app = create_app()
    assert app.config["ENV_NAME"] == "development"


# --- forwarded headers ---------------------------------------------------------------------------

FORWARDED = {
    "X-Forwarded-For": "203.0.113.7",
    "X-Forwarded-Proto": "https",
    "X-Forwarded-Host": "portal.example.nl",
}


def with_echo_route(app):
    """A test-only route that shows what the app believes about the request."""

    @public
    def echo():
        return {"remote_addr": request.remote_addr, "scheme": request.scheme, "host": request.host}

    app.add_url_rule("/_test/request-origin", "test_request_origin", echo)
    return app


def test_forwarded_headers_are_ignored_by_default(make_app):
    app = with_echo_route(make_app())
    assert app.config["TRUST_PROXY_HEADERS"] is False
    seen = app.test_client().get("/_test/request-origin", headers=FORWARDED, base_url="http://localhost").json
    assert seen == {"remote_addr": "127.0.0.1", "scheme": "http", "host": "localhost"}


def test_forwarded_headers_are_honoured_when_trusted(make_app):
    app = with_echo_route(make_app(TRUST_PROXY_HEADERS=True))
    seen = app.test_client().get("/_test/request-origin", headers=FORWARDED, base_url="http://localhost").json
    assert seen == {"remote_addr": "203.0.113.7", "scheme": "https", "host": "portal.example.nl"}


def test_trust_proxy_is_read_from_the_environment(production_env):
    production_env.setenv("KLANTPORTAL_TRUST_PROXY", "true")
    app = with_echo_route(create_app())
    seen = app.test_client().get(
        "/_test/request-origin", headers={"X-Forwarded-For": "198.51.100.9, 10.0.0.2"}
    ).json
    # One trusted hop: the address the proxy saw, never the client-supplied first entry.
    assert seen["remote_addr"] == "10.0.0.2"
