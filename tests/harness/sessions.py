"""A server-side session opened as the OIDC callback would, for tests and benches."""

import json
import secrets
from datetime import timedelta

from webapp import clock
from webapp.identity.sessions import key_hash
from webapp.models import Contact, WebSession

COOKIE = "klantportal_session"


def contact_named(username: str) -> Contact:
    """A demo contact by username (the part of the e-mail before @)."""
    return Contact.get(Contact.email.startswith(username + "@"))


def open_session(username: str, *, expires_in: int = 3600) -> tuple[Contact, str]:
    """A new session of the demo person ``username``: the contact and the cookie's key.
    Call inside the app's context."""
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
    return contact, key
