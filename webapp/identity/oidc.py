"""The OpenID Connect client (Authlib): discovery, keys, ID tokens and userinfo (DESIGN §2).

Works with any certified provider: discovery from the normalised issuer, refreshed on a TTL
and after a failed call; the key set refetched (rate-limited) when a token names a key we do
not have or its signature fails; algorithms from discovery.
"""

import json
import logging
import threading
import time
from urllib.parse import urlsplit

from authlib.common.urls import add_params_to_uri
from authlib.integrations.flask_client import FlaskOAuth2App, OAuth
from authlib.oidc.core import CodeIDToken, UserInfo
from flask import current_app
from joserfc import jws, jwt
from joserfc.errors import BadSignatureError, InvalidKeyIdError
from joserfc.jwk import KeySet
from requests.exceptions import RequestException

log = logging.getLogger(__name__)

HTTP_TIMEOUT = 10  # seconds; a provider slower than this is treated as unreachable
KEYS_REFETCH_INTERVAL = 10  # seconds between forced key-set fetches, per process
DISCOVERY_RETRY_INTERVAL = 30  # seconds; the CSP does not ask a dead provider on every page
DISCOVERY_PATH = "/.well-known/openid-configuration"


def discovery_url(base: str) -> str:
    """OpenID Connect Discovery §4: a terminating ``/`` is removed before the well-known path."""
    return base.rstrip("/") + DISCOVERY_PATH


def _raise_for_outage(response):
    """A 5xx from the token endpoint is an outage (RequestException), never a refusal."""
    if response.status_code >= 500:
        response.raise_for_status()
    return response


def _compliance(session):
    session.register_compliance_hook("access_token_response", _raise_for_outage)
    session.register_compliance_hook("refresh_token_response", _raise_for_outage)


class Provider(FlaskOAuth2App):
    """Authlib's Flask client whose discovery document expires and whose keys follow rotation."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._lock = threading.Lock()
        self._keys_forced_at = float("-inf")
        self._discovery_failed_at = float("-inf")

    def load_server_metadata(self, force=False):
        loaded = self.server_metadata.get("_loaded_at")
        ttl = current_app.config["OIDC_DISCOVERY_TTL_SECONDS"]
        if force or loaded is None or time.time() - loaded > ttl:
            try:
                metadata = self._fetch_json(self._server_metadata_url)
            except (RequestException, ValueError):
                self._discovery_failed_at = time.monotonic()
                raise
            issuer = current_app.config["OIDC_ISSUER"]
            if metadata.get("issuer") != issuer:
                log.warning("discovery names issuer %r, configured is %r", metadata.get("issuer"), issuer)
            keys = self.server_metadata.get("jwks")
            # Replaced, not merged: an endpoint the provider dropped must not linger.
            self.server_metadata = {**metadata, "_loaded_at": time.time()}
            if keys and metadata.get("jwks_uri"):
                self.server_metadata["jwks"] = keys
        return self.server_metadata

    def forget_metadata(self):
        """After a failed call: the next use fetches discovery again."""
        self.server_metadata.pop("_loaded_at", None)

    def known_metadata(self) -> dict:
        """Discovery as known, loaded only when it is not and the provider was not just tried
        (for the CSP, on every page)."""
        if "_loaded_at" not in self.server_metadata and (
            time.monotonic() - self._discovery_failed_at > DISCOVERY_RETRY_INTERVAL
        ):
            try:
                self.load_server_metadata()
            except (RequestException, ValueError) as error:
                log.info("provider discovery not available: %s", error)
        return self.server_metadata

    def fetch_jwk_set(self, force=False):
        keys = self.server_metadata.get("jwks")
        if keys and not force:
            return keys
        with self._lock:
            if keys and force and time.monotonic() - self._keys_forced_at < KEYS_REFETCH_INTERVAL:
                return keys  # refetched a moment ago: a bad token must not hammer the provider
            if force:
                self._keys_forced_at = time.monotonic()
            uri = self.load_server_metadata().get("jwks_uri")
            if not uri:
                raise ValueError("the provider's discovery names no jwks_uri")
            try:
                keys = self._fetch_json(uri)
            except (RequestException, ValueError):
                self.forget_metadata()
                raise
            self.server_metadata["jwks"] = keys
            return keys

    def _fetch_json(self, url) -> dict:
        with self._get_session() as session:
            response = session.request("GET", url, withhold_token=True, timeout=HTTP_TIMEOUT)
            response.raise_for_status()
            document = response.json()
        if not isinstance(document, dict):
            raise ValueError(f"{url} answered no JSON object")
        return document

    def signing_algorithms(self) -> list[str]:
        """The provider's ID-token algorithms (discovery), never ``none``; RS256 by default."""
        offered = self.load_server_metadata().get("id_token_signing_alg_values_supported") or ["RS256"]
        return [alg for alg in offered if alg != "none"]

    def parse_id_token(self, token, nonce, claims_options=None, claims_cls=None, leeway=120):
        if "id_token" not in token:
            return None
        decoded = verified_jwt(token["id_token"])
        params = {"nonce": nonce, "client_id": self.client_id, "access_token": token["access_token"]}
        claims = CodeIDToken(decoded.claims, decoded.header, claims_options, params)
        claims.validate(leeway=leeway)
        return UserInfo(claims)


class _OAuth(OAuth):
    oauth2_client_cls = Provider


def init_app(app):
    # One registry per app: the client keeps the provider's metadata and keys.
    oauth = _OAuth(app)
    config = app.config
    oauth.register(
        "keycloak",
        client_id=config["OIDC_CLIENT_ID"],
        client_secret=config["OIDC_CLIENT_SECRET"],
        # Inside docker-compose discovery is read from the internal address; the issuer
        # checked in tokens stays the configured, browser-facing one.
        server_metadata_url=discovery_url(config["OIDC_INTERNAL_URL"] or config["OIDC_ISSUER"]),
        client_kwargs={
            "scope": config["OIDC_SCOPE"],
            "code_challenge_method": "S256",
            "token_endpoint_auth_method": config["OIDC_TOKEN_AUTH_METHOD"],
            "default_timeout": HTTP_TIMEOUT,
        },
        compliance_fix=_compliance,
        overwrite=True,
    )


def client() -> Provider:
    return current_app.extensions["authlib.integrations.flask_client"].keycloak


def claims_options() -> dict:
    """ID-token checks beyond Authlib's defaults: the configured issuer, not the metadata's."""
    return {"iss": {"essential": True, "value": current_app.config["OIDC_ISSUER"]}}


def _decode(token: str, keys: dict, algorithms: list[str]):
    registry = jws.JWSRegistry(algorithms=algorithms, strict_check_header=False)
    key_set = KeySet.import_key_set(keys)
    if "kid" in jws.extract_compact(token.encode()).protected or len(key_set.keys) < 2:
        return jwt.decode(token, key_set, registry=registry)
    # No kid and several keys: joserfc will not guess, so each key is tried.
    for key in key_set.keys:
        try:
            return jwt.decode(token, key, registry=registry)
        except BadSignatureError:
            continue
    raise BadSignatureError()


def verified_jwt(token: str):
    """A JWT signed by the provider: on an unknown kid or a failed signature the key set is
    fetched again once (the provider may have rotated its keys), then it must verify."""
    provider = client()
    algorithms = provider.signing_algorithms()
    try:
        return _decode(token, provider.fetch_jwk_set(), algorithms)
    except (InvalidKeyIdError, BadSignatureError):
        return _decode(token, provider.fetch_jwk_set(force=True), algorithms)


def with_userinfo(claims: dict, token: dict) -> dict:
    """Claims the ID token left out (OIDC Core §5.4), from userinfo, only for the same ``sub``
    (§5.3.2); the ID token's own claims win."""
    if "email" in claims and "email_verified" in claims:
        return claims
    endpoint = client().load_server_metadata().get("userinfo_endpoint")
    if not endpoint or not token.get("access_token"):
        return claims
    response = client().get(endpoint, token=token)
    response.raise_for_status()
    try:
        info = response.json()
    except json.JSONDecodeError:
        log.warning("userinfo answered no JSON (signed userinfo is not supported)")
        return claims
    if not isinstance(info, dict) or info.get("sub") != claims["sub"]:
        log.warning("userinfo ignored: its sub differs from the ID token's (%s)", claims["sub"])
        return claims
    return {**info, **claims}


def logout_url(id_token: str | None) -> str | None:
    """The provider's end-session URL (RP-initiated logout), keeping any query it has."""
    end_session = client().load_server_metadata().get("end_session_endpoint")
    if not end_session:
        return None
    config = current_app.config
    params = {
        "post_logout_redirect_uri": config["BASE_URL"].rstrip("/") + "/",
        "client_id": config["OIDC_CLIENT_ID"],
    }
    if id_token:
        params["id_token_hint"] = id_token
    return add_params_to_uri(end_session, params)


def _origin(url: str) -> str | None:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else None


def form_origins() -> list[str]:
    """Where a form of ours may end up: the provider's authorize and end-session endpoints
    (a POST that needs sign-in, logout), from discovery; the issuer's origin until it is known."""
    origins = [_origin(current_app.config["OIDC_ISSUER"])]
    metadata = client().known_metadata()
    for name in ("authorization_endpoint", "end_session_endpoint"):
        if isinstance(metadata.get(name), str):
            origins.append(_origin(metadata[name]))
    return list(dict.fromkeys(origin for origin in origins if origin))
