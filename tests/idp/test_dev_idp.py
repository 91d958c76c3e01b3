"""The Keycloak-compatible dev IdP (keycloak/dev-idp) over real HTTP.

These tests pin down the behaviour the portal relies on, in Keycloak's terms:
paths, claims, login form ids, refresh, disabled users, RP-initiated logout
without confirmation, back-channel logout and realm placeholder resolution.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
import secrets
import time
from http.client import HTTPConnection
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
import requests
from joserfc import jwt
from joserfc.jwk import KeySet

from tests.harness.backchannel import BackchannelReceiver
from tests.harness.devidp import CLIENT_ID, DEFAULT_CLIENT_SECRET, DEMO_PASSWORD, DEMO_USER_IDS, DevIdp
from tests.harness.signin import follow

PORTAL = "http://localhost:5000"
REDIRECT_URI = f"{PORTAL}/auth/callback"
POST_LOGOUT_URI = f"{PORTAL}/"
BACKCHANNEL_EVENT = "http://schemas.openid.net/event/backchannel-logout"


# --------------------------------------------------------------------------- helpers


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def login_form_action(page: str, page_url: str) -> str:
    m = re.search(r'<form[^>]*id="kc-form-login"[^>]*action="([^"]+)"', page)
    assert m, f"no login form in page:\n{page[:2000]}"
    return urljoin(page_url, html.unescape(m.group(1)))




class Browser:
    """A requests session that walks the authorization-code flow like a browser + RP would."""

    def __init__(self, idp: DevIdp, redirect_uri: str = REDIRECT_URI) -> None:
        self.idp = idp
        self.redirect_uri = redirect_uri
        self.session = requests.Session()

    def authorize(self, **extra) -> tuple[requests.Response | str, dict]:
        verifier, challenge = pkce_pair()
        params = {
            "client_id": CLIENT_ID,
            "response_type": "code",
            "scope": "openid email profile",
            "redirect_uri": self.redirect_uri,
            "state": secrets.token_urlsafe(16),
            "nonce": secrets.token_urlsafe(16),
            "code_challenge": challenge,
            "code_challenge_method": "S256",
            **extra,
        }
        r = self.session.get(self.idp.endpoint("auth"), params=params, allow_redirects=False)
        return follow(self.session, r, self.redirect_uri), {**params, "code_verifier": verifier}

    def submit_login(self, page: requests.Response, username: str, password: str) -> requests.Response | str:
        action = login_form_action(page.text, page.url)
        r = self.session.post(
            action, data={"username": username, "password": password}, allow_redirects=False
        )
        return follow(self.session, r, self.redirect_uri)

    def code_from(self, callback_url: str, request: dict) -> str:
        query = parse_qs(urlsplit(callback_url).query)
        assert query["state"] == [request["state"]]
        assert query["iss"] == [self.idp.issuer]  # RFC 9207, Keycloak sends it too
        return query["code"][0]

    def exchange(self, code: str, request: dict, auth: str = "basic") -> requests.Response:
        data = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": self.redirect_uri,
            "code_verifier": request["code_verifier"],
        }
        return token_request(self.idp, data, auth)

    def login(self, username: str, password: str = DEMO_PASSWORD, auth: str = "basic") -> dict:
        page, request = self.authorize()
        assert isinstance(page, requests.Response) and page.status_code == 200, page
        callback = self.submit_login(page, username, password)
        assert isinstance(callback, str), (
            f"login did not redirect back: {getattr(callback, 'text', callback)[:1000]}"
        )
        r = self.exchange(self.code_from(callback, request), request, auth)
        assert r.status_code == 200, r.text
        return {**r.json(), "_request": request}


def token_request(idp: DevIdp, data: dict, auth: str = "basic") -> requests.Response:
    if auth == "basic":
        return requests.post(
            idp.endpoint("token"), data=data, auth=(CLIENT_ID, idp.client_secret), timeout=10
        )
    return requests.post(
        idp.endpoint("token"),
        data={**data, "client_id": CLIENT_ID, "client_secret": idp.client_secret},
        timeout=10,
    )


def refresh(idp: DevIdp, refresh_token: str, auth: str = "basic") -> requests.Response:
    return token_request(idp, {"grant_type": "refresh_token", "refresh_token": refresh_token}, auth)


def jwks(idp: DevIdp) -> KeySet:
    return KeySet.import_key_set(requests.get(idp.endpoint("certs"), timeout=10).json())


def verify(idp: DevIdp, token: str) -> dict:
    """Signature check against the provider's published keys (joserfc, Authlib's JOSE successor)."""
    return dict(jwt.decode(token, jwks(idp), algorithms=["RS256"]).claims)


def header_of(token: str) -> dict:
    segment = token.split(".")[0]
    return json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def receiver():
    with BackchannelReceiver() as r:
        yield r


@pytest.fixture(scope="module")
def idp(receiver):
    with DevIdp(env={"KLANTPORTAL_BACKCHANNEL_LOGOUT_URL": receiver.url}) as running:
        yield running


# --------------------------------------------------------------------------- tests


def test_discovery_has_keycloak_paths_and_issuer(idp):
    doc = requests.get(idp.discovery_url, timeout=10).json()
    base = f"http://localhost:{idp.port}/realms/klantportal"
    assert doc["issuer"] == base == idp.issuer
    oidc = f"{base}/protocol/openid-connect"
    assert doc["authorization_endpoint"] == f"{oidc}/auth"
    assert doc["token_endpoint"] == f"{oidc}/token"
    assert doc["jwks_uri"] == f"{oidc}/certs"
    assert doc["userinfo_endpoint"] == f"{oidc}/userinfo"
    assert doc["end_session_endpoint"] == f"{oidc}/logout"
    assert doc["revocation_endpoint"] == f"{oidc}/revoke"
    assert doc["introspection_endpoint"] == f"{oidc}/token/introspect"
    assert doc["code_challenge_methods_supported"] == ["S256"]
    assert {"client_secret_basic", "client_secret_post"} <= set(doc["token_endpoint_auth_methods_supported"])
    assert doc["backchannel_logout_supported"] is True
    assert doc["backchannel_logout_session_supported"] is True
    assert requests.get(f"http://127.0.0.1:{idp.port}/health/ready", timeout=5).status_code == 200


def test_code_flow_with_pkce_returns_keycloak_like_id_token(idp):
    browser = Browser(idp)
    tokens = browser.login("anna.admin")
    assert tokens["token_type"].lower() == "bearer"
    assert tokens["refresh_token"]
    assert 0 < tokens["expires_in"] <= 300

    claims = verify(idp, tokens["id_token"])
    assert header_of(tokens["id_token"])["alg"] == "RS256"
    assert claims["iss"] == idp.issuer
    assert claims["aud"] == CLIENT_ID
    assert claims["nonce"] == tokens["_request"]["nonce"]
    assert claims["sub"] == DEMO_USER_IDS["anna.admin"]
    assert claims["sid"]
    assert claims["email"] == "anna.admin@korenschoof.example"
    assert claims["email_verified"] is True
    assert claims["preferred_username"] == "anna.admin"
    assert claims["given_name"] == "Anna"
    assert claims["family_name"] == "de Vries"
    assert claims["name"] == "Anna de Vries"

    info = requests.get(
        idp.endpoint("userinfo"), headers={"Authorization": f"Bearer {tokens['access_token']}"}, timeout=10
    ).json()
    assert info["sub"] == DEMO_USER_IDS["anna.admin"]
    assert info["email"] == "anna.admin@korenschoof.example"

    # Existing SSO session: the next authorization request skips the login form.
    callback, request = browser.authorize()
    assert isinstance(callback, str) and callback.startswith(REDIRECT_URI)
    assert browser.code_from(callback, request)


def test_pkce_is_required(idp):
    r = requests.get(
        idp.endpoint("auth"),
        params={
            "client_id": CLIENT_ID,
            "response_type": "code",
            "scope": "openid",
            "redirect_uri": REDIRECT_URI,
            "state": "s",
            "nonce": "n",
        },
        allow_redirects=False,
        timeout=10,
    )
    assert r.status_code in (302, 303)
    query = parse_qs(urlsplit(r.headers["Location"]).query)
    assert query["error"] == ["invalid_request"]
    assert query["state"] == ["s"]


def test_wrong_password_shows_keycloak_error(idp):
    browser = Browser(idp)
    page, _ = browser.authorize()
    assert 'id="username"' in page.text and 'id="password"' in page.text and 'id="kc-login"' in page.text
    again = browser.submit_login(page, "bram.legacy", "not-the-password")
    assert isinstance(again, requests.Response) and again.status_code == 200
    assert re.search(r'id="input-error"[^>]*>\s*Invalid username or password\.', again.text)
    assert 'id="kc-form-login"' in again.text
    # The form still works after an error, and e-mail login is allowed (Keycloak default).
    callback = browser.submit_login(again, "bram.legacy@korenschoof.example", DEMO_PASSWORD)
    assert isinstance(callback, str) and callback.startswith(REDIRECT_URI)


def test_refresh_returns_new_tokens_with_both_client_auth_methods(idp):
    tokens = Browser(idp).login("carla.cursus", auth="post")
    r = refresh(idp, tokens["refresh_token"], auth="post")
    assert r.status_code == 200, r.text
    new = r.json()
    assert new["access_token"] != tokens["access_token"]
    assert new["id_token"]  # same claims; may be byte-identical within the same second
    assert new["refresh_token"]
    claims = verify(idp, new["id_token"])
    assert claims["sub"] == DEMO_USER_IDS["carla.cursus"]
    assert claims["email"] == "carla.cursus@korenschoof.example"

    again = refresh(idp, new["refresh_token"], auth="basic")
    assert again.status_code == 200, again.text
    # Like Keycloak (revokeRefreshToken=false): an earlier refresh token keeps working.
    assert refresh(idp, tokens["refresh_token"]).status_code == 200


def test_wrong_client_secret_is_rejected(idp):
    r = requests.post(
        idp.endpoint("token"),
        data={"grant_type": "refresh_token", "refresh_token": "x"},
        auth=(CLIENT_ID, "wrong"),
        timeout=10,
    )
    assert r.status_code == 401
    assert r.json()["error"] == "invalid_client"


def test_disabled_user_cannot_refresh_or_log_in(idp):
    user_id = DEMO_USER_IDS["daan.onvoldoende"]
    browser = Browser(idp)
    tokens = browser.login("daan.onvoldoende")
    idp.disable_user(user_id)
    try:
        assert idp.get_user(user_id)["enabled"] is False
        r = refresh(idp, tokens["refresh_token"])
        assert r.status_code == 400
        assert r.json()["error"] == "invalid_grant"
        # The SSO session no longer counts and the password is refused.
        page, _ = browser.authorize()
        assert isinstance(page, requests.Response) and 'id="kc-form-login"' in page.text
        again = browser.submit_login(page, "daan.onvoldoende", DEMO_PASSWORD)
        assert isinstance(again, requests.Response)
        assert "Invalid username or password." in again.text
    finally:
        idp.enable_user(user_id)
    assert Browser(idp).login("daan.onvoldoende")["id_token"]


def test_admin_user_representation(idp):
    user = idp.get_user(DEMO_USER_IDS["hugo.vandijk"])
    assert user["username"] == "hugo.vandijk"
    assert user["email"] == "hugo.vandijk@vandijk.example"
    assert user["enabled"] is True and user["emailVerified"] is True
    assert "credentials" not in user
    assert requests.get(f"{idp.admin_url}/users/does-not-exist", timeout=10).status_code == 404


def test_rp_initiated_logout_redirects_without_confirmation(idp, receiver):
    browser = Browser(idp)
    tokens = browser.login("eva.bekijker")
    sid = verify(idp, tokens["id_token"])["sid"]
    receiver.drain()
    r = browser.session.get(
        idp.endpoint("logout"),
        params={
            "id_token_hint": tokens["id_token"],
            "post_logout_redirect_uri": POST_LOGOUT_URI,
            "state": "bye",
        },
        allow_redirects=False,
    )
    assert r.status_code in (302, 303), r.text[:1000]
    location = r.headers["Location"]
    assert location.split("?")[0] == POST_LOGOUT_URI
    assert parse_qs(urlsplit(location).query)["state"] == ["bye"]

    # The provider session is gone: the password is asked again.
    page, _ = browser.authorize()
    assert isinstance(page, requests.Response) and 'id="kc-form-login"' in page.text
    # Tokens of that session are revoked.
    assert refresh(idp, tokens["refresh_token"]).json()["error"] == "invalid_grant"
    # The client was told through the back channel as well.
    message = receiver.received.get(timeout=10)
    claims = verify(idp, message["form"]["logout_token"][0])
    assert claims["sid"] == sid and claims["sub"] == DEMO_USER_IDS["eva.bekijker"]


def test_logout_with_id_token_hint_but_without_cookie_ends_that_session(idp, receiver):
    """Keycloak finds the session through the hint's sid when no SSO cookie comes along."""
    browser = Browser(idp)
    tokens = browser.login("bram.legacy")
    sid = verify(idp, tokens["id_token"])["sid"]
    receiver.drain()
    r = requests.get(
        idp.endpoint("logout"),
        params={"id_token_hint": tokens["id_token"], "post_logout_redirect_uri": POST_LOGOUT_URI},
        allow_redirects=False,
        timeout=10,
    )
    assert r.status_code in (302, 303) and r.headers["Location"] == POST_LOGOUT_URI
    messages = receiver.drain()
    assert [verify(idp, m["form"]["logout_token"][0])["sid"] for m in messages] == [sid]
    page, _ = browser.authorize()
    assert isinstance(page, requests.Response) and 'id="kc-form-login"' in page.text


def test_unregistered_post_logout_redirect_is_refused(idp):
    tokens = Browser(idp).login("gijs.geen")
    r = requests.get(
        idp.endpoint("logout"),
        params={"id_token_hint": tokens["id_token"], "post_logout_redirect_uri": "http://evil.example/"},
        allow_redirects=False,
        timeout=10,
    )
    assert r.status_code == 400


def test_admin_logout_sends_backchannel_logout_token(idp, receiver):
    user_id = DEMO_USER_IDS["femke.expert"]
    browser = Browser(idp)
    tokens = browser.login("femke.expert")
    sid = verify(idp, tokens["id_token"])["sid"]
    receiver.drain()

    idp.logout_user(user_id)

    # logout_user returns after the back-channel call was made.
    messages = receiver.drain()
    assert len(messages) == 1, messages
    message = messages[0]
    assert message["path"] == "/auth/backchannel-logout"
    assert message["content_type"].startswith("application/x-www-form-urlencoded")
    token = message["form"]["logout_token"][0]
    assert header_of(token)["alg"] == "RS256"
    claims = verify(idp, token)  # signed with the provider's key
    assert claims["iss"] == idp.issuer
    assert claims["aud"] == CLIENT_ID
    assert claims["iat"] and claims["jti"]
    assert BACKCHANNEL_EVENT in claims["events"]
    assert claims["sid"] == sid
    assert claims["sub"] == user_id
    assert "nonce" not in claims

    # Sessions and tokens are gone, as after Keycloak's "log out user".
    assert refresh(idp, tokens["refresh_token"]).json()["error"] == "invalid_grant"
    page, _ = browser.authorize()
    assert isinstance(page, requests.Response) and 'id="kc-form-login"' in page.text
    # Nothing left to log out: no further back-channel calls.
    idp.logout_user(user_id)
    assert receiver.drain() == []


def test_backchannel_logout_waits_for_a_slow_portal(idp, receiver):
    # oidc-provider gives up after 2.5 s by default; a busy portal may need longer.
    Browser(idp).login("femke.expert")
    receiver.drain()
    receiver.delay = 4
    try:
        idp.logout_user(DEMO_USER_IDS["femke.expert"])
    finally:
        receiver.delay = 0
    assert [m["path"] for m in receiver.drain()] == ["/auth/backchannel-logout"]


def test_idle_keep_alive_connection_is_still_served(idp):
    # A client reusing a connection just as Node closes it (5 s idle plus a 1 s
    # grace by default) gets "connection reset"; the provider waits longer.
    connection = HTTPConnection("127.0.0.1", idp.port, timeout=10)
    try:
        for pause in (0, 8):
            time.sleep(pause)
            connection.request("GET", "/health/ready")
            response = connection.getresponse()
            response.read()
            assert response.status == 200
    finally:
        connection.close()


def test_realm_placeholders_resolve_from_environment(receiver):
    env = {
        "KLANTPORTAL_BASE_URL": "http://localhost:5999",
        "KLANTPORTAL_CLIENT_SECRET": "other-secret",
        "KLANTPORTAL_BACKCHANNEL_LOGOUT_URL": receiver.url,
    }
    with DevIdp(env=env) as other:
        assert other.client_secret == "other-secret"
        # Default redirect URI is no longer registered ...
        page, _ = Browser(other, REDIRECT_URI).authorize()
        assert isinstance(page, requests.Response) and page.status_code == 400
        assert "redirect_uri" in page.text
        # ... the one built from KLANTPORTAL_BASE_URL is.
        browser = Browser(other, "http://localhost:5999/auth/callback")
        tokens = browser.login("hugo.vandijk")
        assert verify(other, tokens["id_token"])["sub"] == DEMO_USER_IDS["hugo.vandijk"]
        # The secret came from KLANTPORTAL_CLIENT_SECRET, not the file's default.
        r = requests.post(
            other.endpoint("token"),
            data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
            auth=(CLIENT_ID, DEFAULT_CLIENT_SECRET),
            timeout=10,
        )
        assert r.status_code == 401
        # post_logout_redirect_uri follows the base URL too.
        r = browser.session.get(
            other.endpoint("logout"),
            params={
                "id_token_hint": tokens["id_token"],
                "post_logout_redirect_uri": "http://localhost:5999/",
            },
            allow_redirects=False,
        )
        assert r.status_code in (302, 303) and r.headers["Location"] == "http://localhost:5999/"
    receiver.drain()
