"""The OpenID Connect client (Authlib) and logout-token verification."""

import time

from authlib.integrations.flask_client import OAuth
from flask import current_app
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

BACKCHANNEL_EVENT = "http://schemas.openid.net/event/backchannel-logout"
LOGOUT_TOKEN_MAX_AGE = 300  # seconds; a logout token is sent the moment the session ends


def init_app(app):
    # One registry per app: the client caches the provider's metadata and keys.
    oauth = OAuth(app)
    metadata_base = app.config["OIDC_INTERNAL_URL"] or app.config["OIDC_ISSUER"]
    oauth.register(
        "keycloak",
        client_id=app.config["OIDC_CLIENT_ID"],
        client_secret=app.config["OIDC_CLIENT_SECRET"],
        server_metadata_url=f"{metadata_base}/.well-known/openid-configuration",
        client_kwargs={"scope": "openid email profile", "code_challenge_method": "S256"},
        overwrite=True,
    )


def client():
    return current_app.extensions["authlib.integrations.flask_client"].keycloak


def claims_options() -> dict:
    """ID-token checks beyond Authlib's defaults: the configured issuer, not the metadata's."""
    return {"iss": {"essential": True, "value": current_app.config["OIDC_ISSUER"]}}


class InvalidLogoutToken(ValueError):
    pass


def verify_logout_token(token: str) -> dict:
    """Validate a back-channel logout token (OpenID Back-Channel Logout 1.0, §2.6)."""
    config = current_app.config
    registry = jwt.JWTClaimsRegistry(
        leeway=30,
        iss={"essential": True, "value": config["OIDC_ISSUER"]},
        aud={"essential": True, "value": config["OIDC_CLIENT_ID"]},
        iat={"essential": True},
    )
    try:
        keys = KeySet.import_key_set(client().fetch_jwk_set())
        claims = jwt.decode(token, keys, algorithms=["RS256", "ES256", "PS256"]).claims
        registry.validate(claims)
    except (JoseError, ValueError) as error:
        raise InvalidLogoutToken(str(error)) from error
    if abs(time.time() - claims["iat"]) > LOGOUT_TOKEN_MAX_AGE:
        raise InvalidLogoutToken("iat too far from now")
    if BACKCHANNEL_EVENT not in (claims.get("events") or {}):
        raise InvalidLogoutToken("missing back-channel logout event")
    if "nonce" in claims:
        raise InvalidLogoutToken("a logout token carries no nonce")
    if not claims.get("sid") and not claims.get("sub"):
        raise InvalidLogoutToken("neither sid nor sub")
    return claims
