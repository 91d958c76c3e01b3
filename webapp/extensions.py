"""Flask extensions, created here and bound in the app factory."""

from flask import request
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect

csrf = CSRFProtect()
login_manager = LoginManager()
# The store comes from RATELIMIT_STORAGE_URI (KLANTPORTAL_RATELIMIT_STORAGE_URI). A store that
# cannot be reached must not take the portal down: each process then counts in its own memory
# (Flask-Limiter logs a warning) and goes back to the store once it answers again; an error
# that still gets through is logged and the request served.
# The key is request.remote_addr: the client's address only where ProxyFix (KLANTPORTAL_TRUST_PROXY)
# has put it there, so a forged X-Forwarded-For never buys a fresh limit.
limiter = Limiter(
    key_func=get_remote_address,
    default_limits=[],
    in_memory_fallback_enabled=True,
    swallow_errors=True,
    key_prefix="klantportal",
)
babel = Babel()

LANGUAGES = ("nl", "en")

# A store that stops answering must fail fast, not hold every limited request for seconds.
STORE_TIMEOUTS = {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}


def init_limiter(app) -> None:
    if not app.config["RATELIMIT_STORAGE_URI"].startswith("memory://"):
        app.config.setdefault("RATELIMIT_STORAGE_OPTIONS", STORE_TIMEOUTS)
    limiter.init_app(app)


def select_locale() -> str:
    """An explicit choice (cookie) wins; else the browser's preference; Dutch by default."""
    chosen = request.cookies.get("lang")
    if chosen in LANGUAGES:
        return chosen
    return request.accept_languages.best_match(LANGUAGES, default="nl")
