"""Error pages: every failure explains itself, as a page or, to htmx, as its fragment."""

import jinja2_fragments
from flask import current_app, request, session, url_for
from flask_limiter.errors import RateLimitExceeded
from flask_login import current_user
from flask_wtf.csrf import CSRFError

from webapp.db import DATABASE_UNAVAILABLE
from webapp.htmx import render_page_or_block, request_is_partial
from webapp.identity import drafts
from webapp.same_origin import CrossSiteRequest

# What failed → its status and the kind of explanation error.html gives.
EXPLAINED = {
    CrossSiteRequest: (400, "cross_site"),
    413: (413, "too_large"),
    RateLimitExceeded: (429, "rate_limited"),
    404: (404, "not_found"),
    405: (405, "not_allowed"),
}


def init_app(app) -> None:
    for failure, (status, kind) in EXPLAINED.items():
        app.register_error_handler(failure, _explained(status, kind))
    app.register_error_handler(CSRFError, csrf_failed)
    app.register_error_handler(500, server_error)
    for unavailable in DATABASE_UNAVAILABLE:
        app.register_error_handler(unavailable, database_unavailable)


def error_page(status: int, kind: str):
    page = render_page_or_block("error.html", "content", kind=kind, status=status, path=request.path)
    return page, status


def _explained(status: int, kind: str):
    return lambda error: error_page(status, kind)


def csrf_failed(error):
    # The page's token expired (another sign-in since, another tab): a form of our own
    # pages is shown again with what was typed and a fresh token.
    if drafts.restorable() and not request_is_partial():
        if current_user.is_authenticated:
            return drafts.redisplay()
        return drafts.unsaved(url_for("auth.login", next=request.path))
    return error_page(400, "csrf")


def server_error(error):
    if isinstance(error.original_exception, DATABASE_UNAVAILABLE):
        # Raised while saving the session: outside the handlers registered for it.
        return database_unavailable(error.original_exception)
    return error_page(500, "server_error")


def database_unavailable(error):
    # An outage, a lock held too long, a full pool: it passes, so 503 and "try again",
    # on a page that reads nothing from the database; the session is not saved.
    current_app.logger.error("database unavailable: %s", error)
    session.database_error = error
    # Rendered without Flask's context processors: Flask-Login's would load the contact.
    environment = current_app.jinja_env
    if request_is_partial():
        page = jinja2_fragments.render_block(environment, "unavailable.html", "content")
    else:
        page = environment.get_template("unavailable.html").render()
    return page, 503, {"Retry-After": "30"}
