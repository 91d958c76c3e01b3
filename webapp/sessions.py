"""Server-side sessions: the cookie carries a random key, the database row everything else."""

import hashlib
import json
import secrets
from datetime import timedelta

from flask import session
from flask.sessions import SessionInterface, SessionMixin
from werkzeug.datastructures import CallbackDict

from webapp import clock
from webapp.db import DATABASE_UNAVAILABLE, Prepared, slot
from webapp.models import WebSession

TOUCH_EVERY = timedelta(seconds=60)  # sliding expiry without a write on every request

_LIVE_SESSION = Prepared(
    lambda: WebSession.select().where(
        (WebSession.key_hash == slot("key_hash", WebSession.key_hash))
        & (WebSession.expires_at > slot("now", WebSession.expires_at))
    )
)


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class ServerSession(CallbackDict, SessionMixin):
    def __init__(self, initial=None, key=None, row=None, database_error=None):
        def on_update(self):
            self.modified = True

        super().__init__(initial, on_update)
        self.key = key
        self.row = row
        self.modified = False
        self.ended = False
        self.columns = {}
        # The database error that put this session's row out of reach (when it was read, or
        # later in the request): raised first thing by raise_unreadable; nothing is saved.
        self.database_error = database_error

    def bind(self, **columns):
        """Store these columns (contact, subject, tokens) on the row when the response is saved."""
        self.columns.update(columns)

    def regenerate(self):
        """A new key for the same data (at sign-in), so a planted key is worthless."""
        if self.row is not None:
            WebSession.delete().where(WebSession.key_hash == self.row.key_hash).execute()
        self.key, self.row, self.modified = None, None, True

    def end(self):
        """Forget this session entirely (sign-out, revoked tokens)."""
        self.clear()
        self.ended = True


class DatabaseSessionInterface(SessionInterface):
    session_class = ServerSession

    def open_session(self, app, request):
        key = request.cookies.get(self.get_cookie_name(app))
        if not key or request.path.startswith(app.static_url_path + "/"):
            # A stylesheet or script needs no session, and so loads while the database is down.
            return ServerSession()
        try:
            row = _LIVE_SESSION.first(key_hash=key_hash(key), now=clock.now())
        except DATABASE_UNAVAILABLE as error:
            # Flask cannot answer an error raised while it opens the session, and the
            # person is not signed out: raise_unreadable raises it where it can.
            return ServerSession(database_error=error)
        if row is None:
            return ServerSession()
        return ServerSession(json.loads(row.data), key=key, row=row)

    def save_session(self, app, session, response):
        if session.database_error is not None:
            return
        name = self.get_cookie_name(app)
        domain = self.get_cookie_domain(app)
        path = self.get_cookie_path(app)
        if session.ended:
            if session.row is not None:
                WebSession.delete().where(WebSession.key_hash == session.row.key_hash).execute()
            response.delete_cookie(name, domain=domain, path=path)
            return
        if not session and session.row is None:
            return
        now = clock.now()
        idle = timedelta(seconds=app.config["SESSION_IDLE_SECONDS"])
        if session.row is None:
            session.key = secrets.token_urlsafe(32)
            session.row = WebSession.create(
                key_hash=key_hash(session.key),
                data=json.dumps(dict(session)),
                expires_at=now + idle,
                **session.columns,
            )
        elif session.modified or session.columns or now - session.row.last_seen_at > TOUCH_EVERY:
            WebSession.update(
                data=json.dumps(dict(session)),
                last_seen_at=now,
                expires_at=now + idle,
                **session.columns,
            ).where(WebSession.key_hash == session.row.key_hash).execute()
        else:
            return
        response.set_cookie(
            name,
            session.key,
            max_age=int(idle.total_seconds()),
            httponly=True,
            secure=self.get_cookie_secure(app),
            samesite="Lax",
            domain=domain,
            path=path,
        )
        response.vary.add("Cookie")


def raise_unreadable():
    """Before anything else of a request: a session that could not be read is the
    database's outage (503), not a signed-out visitor."""
    if session.database_error is not None:
        raise session.database_error


def sweep_expired() -> int:
    """Delete the sessions past their expiry; return how many. Nobody can use them any
    more, and their tokens (a refresh token is a credential) should not stay at rest.
    Anonymous visits make sessions too (the sign-in form's CSRF token)."""
    return WebSession.delete().where(WebSession.expires_at <= clock.now()).execute()


def end_sessions(*, contact_id=None, subject=None, sid=None) -> int:
    """Delete the sessions matching any given selector; return how many ended."""
    condition = None
    for field, value in (
        (WebSession.contact, contact_id),
        (WebSession.subject, subject),
        (WebSession.sid, sid),
    ):
        if value is not None:
            clause = field == value
            condition = clause if condition is None else condition & clause
    if condition is None:
        return 0
    return WebSession.delete().where(condition).execute()
