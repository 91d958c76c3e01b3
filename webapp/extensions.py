"""Flask extensions, created here and bound in the app factory."""

from flask import request
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect

csrf = CSRFProtect()
login_manager = LoginManager()
limiter = Limiter(key_func=get_remote_address, default_limits=[], storage_uri="memory://")
babel = Babel()

LANGUAGES = ("nl", "en")


def select_locale() -> str:
    """An explicit choice (cookie) wins; else the browser's preference; Dutch by default."""
    chosen = request.cookies.get("lang")
    if chosen in LANGUAGES:
        return chosen
    return request.accept_languages.best_match(LANGUAGES, default="nl")
