"""Token freshness for the gate: refresh when (about to be) expired.

``invalid_grant`` (account disabled, SSO session ended) ends the portal session. A
provider that cannot be reached is a transient fault: the session goes on for a grace
period, logged, and ends only when the provider stays away longer.
"""

import logging
from datetime import timedelta

from authlib.integrations.base_client.errors import OAuthError
from flask import current_app, session
from requests.exceptions import RequestException

from webapp import clock, oidc
from webapp.models import WebSession

log = logging.getLogger(__name__)

FATAL_ERRORS = {"invalid_grant", "invalid_client", "unauthorized_client", "invalid_token"}


def token_fields(token: dict) -> dict:
    """The session columns that hold a token response."""
    fields = {
        "access_token": token["access_token"],
        "access_expires_at": clock.now() + timedelta(seconds=int(token.get("expires_in", 300))),
        "refresh_failing_since": None,
    }
    if token.get("refresh_token"):
        fields["refresh_token"] = token["refresh_token"]
    if token.get("id_token"):
        fields["id_token"] = token["id_token"]
    return fields


def _store(row, fields):
    WebSession.update(**fields).where(WebSession.key_hash == row.key_hash).execute()
    for name, value in fields.items():
        setattr(row, name, value)


def fresh() -> bool:
    """Whether the signed-in session may go on; ends it when the provider says no."""
    row = session.row
    if row is None or row.access_expires_at is None:
        session.end()
        return False
    margin = timedelta(seconds=current_app.config["TOKEN_REFRESH_MARGIN_SECONDS"])
    now = clock.now()
    if row.access_expires_at - margin > now:
        return True
    try:
        token = oidc.client().fetch_access_token(
            grant_type="refresh_token", refresh_token=row.refresh_token
        )
    except OAuthError as error:
        if error.error in FATAL_ERRORS:
            log.info("refresh refused (%s): ending session of contact %s", error.error, row.contact_id)
            session.end()
            return False
        return _transient(row, now, error)
    except (RequestException, ValueError) as error:
        return _transient(row, now, error)
    _store(row, token_fields(token))
    return True


def _transient(row, now, error) -> bool:
    grace = timedelta(seconds=current_app.config["TOKEN_OUTAGE_GRACE_SECONDS"])
    since = row.refresh_failing_since or now
    log.warning(
        "identity provider unreachable for token refresh since %s (%s); contact %s",
        since.isoformat(timespec="seconds"), error, row.contact_id,
    )
    if now - since > grace:
        session.end()
        return False
    if row.refresh_failing_since is None:
        _store(row, {"refresh_failing_since": now})
    return True
