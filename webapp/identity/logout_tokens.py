"""Back-channel logout tokens, validated as OpenID Back-Channel Logout 1.0 §2.6 says."""

import time

from flask import current_app
from joserfc import jwt
from joserfc.errors import JoseError
from requests.exceptions import RequestException

from webapp.identity import oidc

BACKCHANNEL_EVENT = "http://schemas.openid.net/event/backchannel-logout"
LOGOUT_TOKEN_MAX_AGE = 300  # seconds; a logout token is sent the moment the session ends
LEEWAY = 30  # seconds of clock difference allowed


class InvalidLogoutToken(ValueError):
    pass


def verify(token: str) -> dict:
    """The claims of a valid logout token; else InvalidLogoutToken saying why."""
    config = current_app.config
    registry = jwt.JWTClaimsRegistry(
        leeway=LEEWAY,
        iss={"essential": True, "value": config["OIDC_ISSUER"]},
        aud={"essential": True, "value": config["OIDC_CLIENT_ID"]},
        iat={"essential": True},
    )
    try:
        # Signature and algorithms exactly as for ID tokens, key rotation included (§2.6 2).
        claims = oidc.verified_jwt(token).claims
        registry.validate(claims)  # iss, aud, iat, and exp when present (§2.6 3)
    except (JoseError, ValueError, RequestException) as error:
        raise InvalidLogoutToken(f"{type(error).__name__}: {error}") from error
    if abs(time.time() - claims["iat"]) > LOGOUT_TOKEN_MAX_AGE:
        raise InvalidLogoutToken("iat too far from now")
    events = claims.get("events")
    if not isinstance(events, dict) or BACKCHANNEL_EVENT not in events:
        raise InvalidLogoutToken("events is not an object with the back-channel logout event")
    if "nonce" in claims:
        raise InvalidLogoutToken("a logout token carries no nonce")
    if not isinstance(claims.get("sid"), str | None) or not isinstance(claims.get("sub"), str | None):
        raise InvalidLogoutToken("sid and sub are strings")
    if not claims.get("sid") and not claims.get("sub"):
        raise InvalidLogoutToken("neither sid nor sub")
    return claims
