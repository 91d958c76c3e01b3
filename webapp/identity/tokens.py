"""Token freshness for the gate: refresh when (about to be) expired (DESIGN §2).

Single-flight per session: a request redeems the refresh token only after claiming a lease
on the session row (a compare-and-swap on ``refreshing_until`` and the access token), so
with refresh-token rotation and reuse detection a second request never presents the token
the first one just redeemed; it waits briefly and uses the new tokens.

A refusal (``invalid_grant``, ``invalid_request``, ``invalid_client``, any 4xx answer) ends
the session. Only a network failure or a 5xx is an outage: the session goes on for a grace
period, logged, and the provider is tried again at most every TOKEN_OUTAGE_RETRY_SECONDS.
Without a refresh token nothing is redeemed: the session ends when the access token expires.
"""

import logging
import time
from datetime import timedelta

from authlib.integrations.base_client.errors import OAuthError
from flask import current_app, session
from requests.exceptions import RequestException

from webapp import clock
from webapp.identity import oidc
from webapp.models import WebSession

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=oidc.HTTP_TIMEOUT + 5)  # longer than one refresh call can take
WAIT_SECONDS = LEASE.total_seconds()  # how long a request waits for another's refresh
POLL_SECONDS = 0.05
TOKEN_COLUMNS = ("access_token", "access_expires_at", "refresh_token", "id_token", "refresh_failing_since")


def token_fields(token: dict) -> dict:
    """The session columns that hold a token response."""
    fields = {
        "access_token": token["access_token"],
        "access_expires_at": clock.now() + timedelta(seconds=int(token.get("expires_in", 300))),
        "refresh_failing_since": None,
        "refreshing_until": None,
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


def _end(row) -> bool:
    """End the session now, so requests waiting for this refresh see it gone."""
    WebSession.delete().where(WebSession.key_hash == row.key_hash).execute()
    session.end()
    return False


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
    if not row.refresh_token:
        if row.access_expires_at > now:
            return True
        log.info("access token expired, no refresh token: ending session of contact %s", row.contact_id)
        return _end(row)
    if _claim(row, now):
        return _refresh(row, now)
    return _follow(row)


def _claim(row, now) -> bool:
    """Take the lease, unless another request holds it or already refreshed."""
    return bool(
        WebSession.update(refreshing_until=now + LEASE)
        .where(
            (WebSession.key_hash == row.key_hash)
            & (WebSession.access_token == row.access_token)
            & (WebSession.refreshing_until.is_null() | (WebSession.refreshing_until <= now))
        )
        .execute()
    )


def _refresh(row, now) -> bool:
    try:
        token = oidc.client().fetch_access_token(
            grant_type="refresh_token", refresh_token=row.refresh_token
        )
    except OAuthError as error:
        # A 5xx was raised as RequestException (oidc._raise_for_outage): this is a refusal.
        log.info("refresh refused (%s): ending session of contact %s", error.error, row.contact_id)
        return _end(row)
    except (RequestException, ValueError) as error:
        oidc.client().forget_metadata()
        return _outage(row, now, error)
    _store(row, token_fields(token))
    return True


def _outage(row, now, error) -> bool:
    grace = timedelta(seconds=current_app.config["TOKEN_OUTAGE_GRACE_SECONDS"])
    since = row.refresh_failing_since or now
    log.warning(
        "identity provider unreachable for token refresh since %s (%s); contact %s",
        since.isoformat(timespec="seconds"), error, row.contact_id,
    )
    if now - since > grace:
        return _end(row)
    # The lease is kept until the next attempt: the other requests go on without trying.
    retry = timedelta(seconds=current_app.config["TOKEN_OUTAGE_RETRY_SECONDS"])
    _store(row, {"refresh_failing_since": since, "refreshing_until": now + retry})
    return True


def _follow(row) -> bool:
    """Another request holds the lease: use its new tokens, or go on through its outage."""
    deadline = time.monotonic() + WAIT_SECONDS
    grace = timedelta(seconds=current_app.config["TOKEN_OUTAGE_GRACE_SECONDS"])
    while True:
        current = WebSession.get_or_none(WebSession.key_hash == row.key_hash)
        if current is None:
            session.end()  # the provider refused the other request's refresh
            return False
        now = clock.now()
        if current.access_token != row.access_token:
            for name in TOKEN_COLUMNS:
                setattr(row, name, getattr(current, name))
            return True
        if current.refresh_failing_since is not None:
            return now - current.refresh_failing_since <= grace
        lease_over = current.refreshing_until is None or current.refreshing_until <= now
        if lease_over and _claim(row, now):  # its holder gave up without an answer
            return _refresh(row, now)
        if time.monotonic() > deadline:
            log.warning("gave up waiting for another request's token refresh; contact %s", row.contact_id)
            return current.access_expires_at > now
        time.sleep(POLL_SECONDS)
