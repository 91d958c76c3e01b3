"""A second, independently written OpenID provider: the PyPI package ``oidc-provider-mock``.

It runs in a thread on 127.0.0.1 (addressed as ``localhost``). What it can do: discovery,
authorization code with PKCE, token endpoint with any client authentication, refresh tokens
(or none), userinfo, an end-session page with a confirmation button. What it cannot: back-
channel logout, refresh-token rotation, claims only at userinfo, another end-session origin.
The wrapper adds what the tests need on top: a count of token requests by grant type and how
the client authenticated, and a route that rotates the signing key.
"""

from __future__ import annotations

import io
import json
import re
import threading
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs

import flask
import requests
from joserfc.jwk import RSAKey
from werkzeug.serving import make_server

REALM_FILE = Path(__file__).resolve().parents[2] / "keycloak" / "realm-klantportal.json"


class MockIdp:
    def __init__(self, *, issue_refresh_token: bool = True, email_verified: bool = True):
        from oidc_provider_mock import app as mock_app

        self.app = mock_app(
            issue_refresh_token=issue_refresh_token, access_token_max_age=timedelta(minutes=5)
        )
        self.app.add_url_rule("/_test/rotate-key", "rotate_key", _rotate_key, methods=["POST"])
        self.token_calls: list[dict] = []
        self.app.wsgi_app = _Recorder(self.app.wsgi_app, self.token_calls)
        self.email_verified = email_verified
        self.server = make_server("127.0.0.1", 0, self.app, threaded=True)
        self.port = self.server.server_port
        self.issuer = f"http://localhost:{self.port}"
        self.client_secret = "mock-accepts-any-secret"
        self._thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)

    def start(self) -> MockIdp:
        self._thread.start()
        for user in json.loads(REALM_FILE.read_text())["users"]:
            claims = {"email": user["email"], "name": f"{user['firstName']} {user['lastName']}"}
            if self.email_verified:
                claims["email_verified"] = bool(user.get("emailVerified"))
            requests.put(f"{self.issuer}/users/{user['id']}", json=claims, timeout=10).raise_for_status()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def token_requests(self) -> dict:
        counts = {"authorization_code": 0, "refresh_token": 0}
        for call in self.token_calls:
            counts[call["grant_type"]] = counts.get(call["grant_type"], 0) + 1
        return counts

    def rotate_key(self) -> None:
        requests.post(f"{self.issuer}/_test/rotate-key", timeout=30).raise_for_status()

    def approve(self, browser: requests.Session, authorize_url: str, user_id: str) -> requests.Response:
        """The mock's consent page: post the subject to the same URL."""
        page = browser.get(authorize_url)
        assert re.search(r'name="sub"', page.text), page.text[:500]
        return browser.post(page.url, data={"sub": user_id}, allow_redirects=False)


def _rotate_key():
    # The mock keeps one key in its storage (on flask.g per request); a new one replaces it.
    flask.g.oidc_provider_mock_storage.jwk = _authlib_key()
    return "", 204


def _authlib_key():
    # The mock signs with an Authlib key object; joserfc generates, Authlib imports it.
    from authlib.jose import JsonWebKey

    return JsonWebKey.import_key(RSAKey.generate_key(2048, private=True).as_dict(private=True))


class _Recorder:
    """WSGI middleware: remembers each token request's grant type and client authentication."""

    def __init__(self, app, calls):
        self.app, self.calls = app, calls
        self.delay = 0.0  # seconds a refresh takes, so concurrent ones overlap

    def __call__(self, environ, start_response):
        if environ["PATH_INFO"] == "/oauth2/token" and environ["REQUEST_METHOD"] == "POST":
            body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
            environ["wsgi.input"] = io.BytesIO(body)
            form = parse_qs(body.decode())
            self.calls.append({
                "grant_type": form.get("grant_type", [""])[0],
                "auth": "post" if "client_secret" in form else
                        "basic" if environ.get("HTTP_AUTHORIZATION", "").startswith("Basic ") else "none",
            })
            if self.calls[-1]["grant_type"] == "refresh_token":
                time.sleep(self.delay)
        return self.app(environ, start_response)
