"""Sessions: a signed cookie while signed out, a server-side row once signed in.

Signed out, everything (CSRF token, the ``next`` target, a draft, the sign-in state)
lives in one signed cookie, so an anonymous request never writes to the database.
Signed in, the cookie carries only a random key; the row (found by the key's hash)
holds the data and the tokens. The row is made at sign-in and nowhere else.
"""

import hashlib
import json
import secrets
from datetime import timedelta

from flask import session
from flask.sessions import SecureCookieSessionInterface, SessionMixin
from itsdangerous import BadSignature
from werkzeug.datastructures import CallbackDict

from webapp import clock
from webapp.db import DATABASE_UNAVAILABLE
from webapp.models import WebSession

TOUCH_EVERY = timedelta(seconds=60)  # sliding expiry without a write on every request
CSRF_FIELD = "csrf_token"  # Flask-WTF's key in the session
LAST_SUBJECT = "last_subject"  # kept when a signed-in browser's session ends: whose drafts

def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def csrf_secret(key: str) -> str:
    """The CSRF secret of a signed-in browser, derived from its key: a page's token stays
    valid after the row ended (so what was typed can be kept), and changes at sign-in. Not
    from SECRET_KEY (the token itself is signed with it and its fallbacks), so rotating the
    secret key leaves open forms valid."""
    return hashlib.sha256(b"csrf:" + key.encode()).hexdigest()


class ServerSession(CallbackDict, SessionMixin):
    def __init__(self, initial=None, key=None, row=None, database_error=None):
        def on_update(self):
            self.modified = True

        super().__init__(initial, on_update)
        self.key = key  # the cookie's key, also when its row has ended
        self.row = row
        self.modified = False
        self.ended = False
        self.signing_in = False
        self.frozen = False
        self.columns = {}
        # The database error that put this session's row out of reach (when it was read, or
        # later in the request): raised first thing by raise_unreadable; nothing is saved.
        self.database_error = database_error

    def bind(self, **columns):
        """Store these columns (contact, subject, tokens) on the row when the response is saved."""
        self.columns.update(columns)

    def regenerate(self):
        """At sign-in: a new key and a new row for the same data, so a planted key is worthless."""
        if self.row is not None:
            WebSession.delete().where(WebSession.key_hash == self.row.key_hash).execute()
        self.pop(CSRF_FIELD, None)  # derived from the new key from now on
        self.key, self.row, self.modified, self.signing_in = None, None, True, True

    def end(self):
        """Forget this session entirely (sign-out, revoked tokens)."""
        self.clear()
        self.ended = True

    def freeze(self):
        """Save nothing of this request: no row touched, no cookie set (a cross-site POST)."""
        self.frozen = True

    def typist(self) -> str | None:
        """The subject signed in with this browser's key, also after its session ended."""
        if self.get(LAST_SUBJECT):
            return self[LAST_SUBJECT]
        if self.row is not None:
            return self.row.subject
        if self.key is None:
            return None
        row = WebSession.get_or_none(WebSession.key_hash == key_hash(self.key))
        return row.subject if row is not None else None


class DatabaseSessionInterface(SecureCookieSessionInterface):
    session_class = ServerSession

    def open_session(self, app, request):
        value = request.cookies.get(self.get_cookie_name(app))
        if not value or request.path.startswith(app.static_url_path + "/"):
            # A stylesheet or script needs no session, and so loads while the database is down.
            return ServerSession()
        if "." in value:  # a signed payload: nobody is signed in (a key has no dots)
            return ServerSession(self._unsign(app, value))
        try:
            row = WebSession.get_or_none(
                (WebSession.key_hash == key_hash(value)) & (WebSession.expires_at > clock.now())
            )
        except DATABASE_UNAVAILABLE as error:
            # Flask cannot answer an error raised while it opens the session, and the
            # person is not signed out: raise_unreadable raises it where it can.
            return ServerSession(database_error=error)
        data = json.loads(row.data) if row is not None else {}
        return ServerSession({**data, CSRF_FIELD: csrf_secret(value)}, key=value, row=row)

    def _unsign(self, app, value: str) -> dict:
        idle = app.config["SESSION_IDLE_SECONDS"]
        try:
            return self.get_signing_serializer(app).loads(value, max_age=idle)
        except BadSignature:
            return {}

    def cookie_length(self, app, data: dict) -> int:
        """How long the signed cookie holding ``data`` would be."""
        return len(self.get_signing_serializer(app).dumps(data))

    def save_session(self, app, session, response):
        if session.database_error is not None or session.frozen:
            return
        if session.ended and session.row is not None:
            WebSession.delete().where(WebSession.key_hash == session.row.key_hash).execute()
            session.row = None
        if session.signing_in or session.row is not None:
            self._save_row(app, session, response)
        elif session.modified or session.ended:
            self._save_cookie(app, session, response)

    def _save_cookie(self, app, session, response):
        response.vary.add("Cookie")
        if not session:
            response.delete_cookie(
                self.get_cookie_name(app), domain=self.get_cookie_domain(app), path=self.get_cookie_path(app)
            )
            return
        data = dict(session)
        if session.key is not None and (subject := session.typist()):
            data.setdefault(LAST_SUBJECT, subject)  # the key goes; whose browser this was stays
        self._set_cookie(app, response, self.get_signing_serializer(app).dumps(data))

    def _save_row(self, app, session, response):
        now = clock.now()
        idle = timedelta(seconds=app.config["SESSION_IDLE_SECONDS"])
        data = json.dumps({k: v for k, v in session.items() if k != CSRF_FIELD})
        if session.row is None:
            session.key = secrets.token_urlsafe(32)
            session.row = WebSession.create(
                key_hash=key_hash(session.key), data=data, expires_at=now + idle, **session.columns
            )
        elif session.modified or session.columns or now - session.row.last_seen_at > TOUCH_EVERY:
            WebSession.update(
                data=data, last_seen_at=now, expires_at=now + idle, **session.columns
            ).where(WebSession.key_hash == session.row.key_hash).execute()
        else:
            return
        self._set_cookie(app, response, session.key)
        response.vary.add("Cookie")

    def _set_cookie(self, app, response, value: str):
        response.set_cookie(
            self.get_cookie_name(app),
            value,
            max_age=app.config["SESSION_IDLE_SECONDS"],
            httponly=True,
            secure=self.get_cookie_secure(app),
            samesite="Lax",
            domain=self.get_cookie_domain(app),
            path=self.get_cookie_path(app),
        )


def raise_unreadable():
    """Before anything else of a request: a session that could not be read is the
    database's outage (503), not a signed-out visitor."""
    if session.database_error is not None:
        raise session.database_error


def sweep_expired() -> int:
    """Delete the sessions past their expiry; return how many. Nobody can use them any
    more, and their tokens (a refresh token is a credential) should not stay at rest."""
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
