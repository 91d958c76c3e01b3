"""Configuration from the environment (``DATABASE_URL``, ``SECRET_KEY``, ``KLANTPORTAL_*``)."""

import json
import os
import re
from datetime import date
from decimal import Decimal
from pathlib import Path

from webapp import rules

ROOT = Path(__file__).resolve().parent.parent
REALM_FILE = ROOT / "keycloak" / "realm-klantportal.json"
ENV_EXAMPLE = ROOT / ".env.example"

# The demo's mail catcher (maildev) and addresses; production refuses them (``check``).
DEMO_SMTP = ("localhost", 1025)
DEMO_SENDER = "Klantportal <klantportal@klantportal.example>"
DEMO_SUPPORT_EMAIL = "support@klantportal.example"
SMTP_SECURITY = ("none", "starttls", "tls")

# The rules' band table in the form KLANTPORTAL_QUOTA_BANDS takes: [[min, max or null, base], ...].
DEFAULT_BANDS = [[band.min_employees, band.max_employees, band.base] for band in rules.DEFAULT_BANDS]


def _bool(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


def from_environment(environ=os.environ) -> dict:
    """Return the Flask config mapping read from ``environ``."""
    env = environ.get
    production = env("KLANTPORTAL_ENV", "development") == "production"
    return {
        "ENV_NAME": "production" if production else "development",
        "SECRET_KEY": env("SECRET_KEY"),
        "DATABASE_URL": env("DATABASE_URL") or f"sqlite:///{ROOT / 'instance' / 'klantportal.sqlite3'}",
        "BASE_URL": env("KLANTPORTAL_BASE_URL", "http://localhost:5000"),
        "OIDC_ISSUER": env("KLANTPORTAL_OIDC_ISSUER", "http://localhost:8080/realms/klantportal"),
        # Inside docker-compose the portal reaches Keycloak by its service name while the
        # browser uses localhost; the issuer stays the browser-facing one.
        "OIDC_INTERNAL_URL": env("KLANTPORTAL_OIDC_INTERNAL_URL"),
        "OIDC_CLIENT_ID": env("KLANTPORTAL_OIDC_CLIENT_ID", "klantportal-web"),
        "OIDC_CLIENT_SECRET": env("KLANTPORTAL_OIDC_CLIENT_SECRET"),
        "OIDC_SCOPE": env("KLANTPORTAL_OIDC_SCOPE", "openid email profile"),
        # How the portal authenticates at the token endpoint: client_secret_basic | client_secret_post.
        "OIDC_TOKEN_AUTH_METHOD": env("KLANTPORTAL_OIDC_TOKEN_AUTH_METHOD", "client_secret_basic"),
        "OIDC_DISCOVERY_TTL_SECONDS": int(env("KLANTPORTAL_OIDC_DISCOVERY_TTL", "3600")),
        # Providers that never send email_verified (Entra ID): bind by e-mail anyway. Off by
        # default; turn on only for a provider whose e-mail addresses you trust.
        "OIDC_TRUST_UNVERIFIED_EMAIL": _bool(env("KLANTPORTAL_OIDC_TRUST_UNVERIFIED_EMAIL", "false")),
        "TOKEN_REFRESH_MARGIN_SECONDS": int(env("KLANTPORTAL_TOKEN_REFRESH_MARGIN", "30")),
        "TOKEN_OUTAGE_GRACE_SECONDS": int(env("KLANTPORTAL_TOKEN_OUTAGE_GRACE", "300")),
        # During an outage one request per session tries the provider again, at most this often.
        "TOKEN_OUTAGE_RETRY_SECONDS": int(env("KLANTPORTAL_TOKEN_OUTAGE_RETRY", "30")),
        "SESSION_IDLE_SECONDS": int(env("KLANTPORTAL_SESSION_IDLE", "1800")),
        "SESSION_COOKIE_SECURE": _bool(env("KLANTPORTAL_COOKIE_SECURE", "true" if production else "false")),
        "TRUST_PROXY_HEADERS": _bool(env("KLANTPORTAL_TRUST_PROXY", "false")),
        "HTMX_SOURCE": env("KLANTPORTAL_HTMX_SOURCE", "cdn"),
        "COURSE_REQUIRED_FROM": date.fromisoformat(env("KLANTPORTAL_COURSE_REQUIRED_FROM", "2026-01-01")),
        "COURSE_PASS_SCORE": Decimal(env("KLANTPORTAL_COURSE_PASS_SCORE", "7.0")),
        "EXPERT_SATISFIES_COURSE": _bool(env("KLANTPORTAL_EXPERT_SATISFIES_COURSE", "true")),
        "QUOTA_BANDS": json.loads(env("KLANTPORTAL_QUOTA_BANDS", json.dumps(DEFAULT_BANDS))),
        "SUPPORT_PHONE": env("KLANTPORTAL_SUPPORT_PHONE", "088 - 030 0000"),
        "RATELIMIT_ENABLED": _bool(env("KLANTPORTAL_RATELIMIT", "true")),
        # Shared by every portal process (redis:// or valkey://); memory:// counts per process.
        "RATELIMIT_STORAGE_URI": env("KLANTPORTAL_RATELIMIT_STORAGE_URI", "memory://"),
        "PROCESSES": int(env("KLANTPORTAL_PROCESSES", "1")),
        # Old keys still accepted (never used to sign), comma-separated: a rotated SECRET_KEY
        # signs no one out (docs/operations.md).
        "SECRET_KEY_FALLBACKS": [key.strip() for key in env("KLANTPORTAL_SECRET_KEY_FALLBACKS", "").split(",")
                                 if key.strip()],
        "SMTP_HOST": env("KLANTPORTAL_SMTP_HOST", DEMO_SMTP[0]),
        "SMTP_PORT": int(env("KLANTPORTAL_SMTP_PORT", str(DEMO_SMTP[1]))),
        "SMTP_SECURITY": env("KLANTPORTAL_SMTP_SECURITY", "none").strip().lower(),
        "SMTP_USER": env("KLANTPORTAL_SMTP_USER", ""),
        "SMTP_PASSWORD": env("KLANTPORTAL_SMTP_PASSWORD", ""),
        "SMTP_TIMEOUT_SECONDS": float(env("KLANTPORTAL_SMTP_TIMEOUT", "10")),
        "MAIL_SENDER": env("KLANTPORTAL_MAIL_SENDER", DEMO_SENDER),
        "SUPPORT_EMAIL": env("KLANTPORTAL_SUPPORT_EMAIL", DEMO_SUPPORT_EMAIL),
        # Retries wait RETRY_BASE, 2x, 4x ... (at most an hour); after MAX_ATTEMPTS a mail is failed.
        "MAIL_RETRY_BASE_SECONDS": float(env("KLANTPORTAL_MAIL_RETRY_BASE", "30")),
        "MAIL_MAX_ATTEMPTS": int(env("KLANTPORTAL_MAIL_MAX_ATTEMPTS", "10")),
    }


def demo_secrets() -> set[str]:
    """The demo values shipped in ``.env.example`` and the realm file; never valid in production."""
    secrets = set()
    if ENV_EXAMPLE.exists():
        for line in ENV_EXAMPLE.read_text().splitlines():
            name, _, value = line.partition("=")
            if name.strip() in {"SECRET_KEY", "KLANTPORTAL_OIDC_CLIENT_SECRET"} and value.strip():
                secrets.add(value.strip())
    if REALM_FILE.exists():
        # Keycloak placeholders look like ${NAME:default}; the default is the demo value.
        secrets.update(re.findall(r"\$\{KLANTPORTAL_CLIENT_SECRET:([^}]*)\}", REALM_FILE.read_text()))
    return secrets


def check(config: dict) -> None:
    """Refuse to start with missing or demo secrets, and insecure cookies in production."""
    if not config.get("SECRET_KEY"):
        raise RuntimeError("SECRET_KEY is not set (for the demo: copy .env.example to .env)")
    if config.get("SMTP_SECURITY", "none") not in SMTP_SECURITY:
        raise RuntimeError("KLANTPORTAL_SMTP_SECURITY must be one of: " + ", ".join(SMTP_SECURITY))
    if config.get("ENV_NAME") != "production":
        return
    demo = demo_secrets()
    problems = []
    if config["SECRET_KEY"] in demo or len(config["SECRET_KEY"]) < 32:
        problems.append("SECRET_KEY is the demo value or shorter than 32 characters")
    if not config.get("OIDC_CLIENT_SECRET") or config["OIDC_CLIENT_SECRET"] in demo:
        problems.append("KLANTPORTAL_OIDC_CLIENT_SECRET is missing or the demo value")
    if not config.get("SESSION_COOKIE_SECURE"):
        problems.append("cookies must be marked Secure (KLANTPORTAL_COOKIE_SECURE)")
    if set(config.get("SECRET_KEY_FALLBACKS") or ()) & demo:
        problems.append("KLANTPORTAL_SECRET_KEY_FALLBACKS holds the demo secret key")
    problem = rate_limit_store_problem(config, config.get("PROCESSES", 1))
    if problem:
        problems.append(problem)
    problems.extend(_mail_problems(config))
    if problems:
        raise RuntimeError("refusing to start in production: " + "; ".join(problems))


def rate_limit_store_problem(config: dict, processes: int) -> str | None:
    """Memory storage counts per process: with several, every limit is multiplied by their number."""
    if processes > 1 and config.get("RATELIMIT_ENABLED", True) and \
            str(config.get("RATELIMIT_STORAGE_URI", "memory://")).startswith("memory://"):
        return (
            f"rate limits are kept in memory while {processes} processes serve the portal "
            "(KLANTPORTAL_PROCESSES or gunicorn workers): set KLANTPORTAL_RATELIMIT_STORAGE_URI "
            "to a shared store, e.g. redis://valkey:6379/0"
        )
    return None
def _mail_problems(config: dict) -> list[str]:
    """The demo's mail catcher and addresses are no place for real people's mail."""
    problems = []
    if (config["SMTP_HOST"], config["SMTP_PORT"]) == DEMO_SMTP or config["SMTP_SECURITY"] == "none":
        problems.append("KLANTPORTAL_SMTP_* is the demo mail catcher or without TLS (starttls or tls)")
    if config["SMTP_USER"] and not config["SMTP_PASSWORD"]:
        problems.append("KLANTPORTAL_SMTP_PASSWORD is missing for KLANTPORTAL_SMTP_USER")
    if config["MAIL_SENDER"] == DEMO_SENDER:
        problems.append("KLANTPORTAL_MAIL_SENDER is the demo sender")
    if config["SUPPORT_EMAIL"] == DEMO_SUPPORT_EMAIL:
        problems.append("KLANTPORTAL_SUPPORT_EMAIL is the demo address")
    return problems
