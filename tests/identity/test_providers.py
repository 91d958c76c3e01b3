"""Sign-in, refresh and logout against two independently written providers over HTTP:
the dev provider (panva's oidc-provider, Keycloak's layout) and oidc-provider-mock (PyPI,
Authlib-based), with the variations each can produce (DESIGN §2, issue 16)."""

import threading
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import requests

from tests.conftest import contact_named
from tests.harness.devidp import DEMO_USER_IDS, DevIdp
from tests.harness.mockidp import MockIdp
from tests.harness.signin import follow, log_in_at_provider
from tests.identity.conftest import PORTAL
from webapp import clock
from webapp.models import WebSession


@pytest.fixture(scope="module")
def mock_idp():
    with MockIdp() as running:
        yield running


@pytest.fixture(params=["dev-idp", "oidc-provider-mock"])
def idp(request):
    running = request.getfixturevalue("dev_idp" if request.param == "dev-idp" else "mock_idp")
    yield running
    if isinstance(running, DevIdp):
        running.set_switches(refreshTokens="keycloak", claimsAtUserinfoOnly=False, tokenDelayMs=0)
    else:
        running.app.wsgi_app.delay = 0


def make_portal(make_app, idp, **config):
    return make_app(BASE_URL=PORTAL, OIDC_ISSUER=idp.issuer, OIDC_CLIENT_SECRET=idp.client_secret,
                    **config)


@pytest.fixture
def portal(make_app, seeded, idp):
    return make_portal(make_app, idp)


def callback_for(client, idp, username):
    """Walk /login → the provider's page → back; return the callback path and query."""
    response = client.get("/login")
    assert response.status_code == 302, response.get_data(as_text=True)
    if isinstance(idp, MockIdp):
        browser = requests.Session()
        answer = idp.approve(browser, response.headers["Location"], DEMO_USER_IDS[username])
        callback = follow(browser, answer, PORTAL + "/auth/callback")
    else:
        callback = log_in_at_provider(requests.Session(), response.headers["Location"], username,
                                  PORTAL + "/auth/callback")
    parts = urlsplit(callback)
    return f"{parts.path}?{parts.query}"


def sign_in(portal, idp, username="carla.cursus"):
    client = portal.test_client()
    response = client.get(callback_for(client, idp, username))
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


def session_of(portal, username):
    with portal.app_context():
        return WebSession.get_or_none(WebSession.contact == contact_named(username))


def expire(portal, username):
    with portal.app_context():
        WebSession.update(access_expires_at=clock.now() - timedelta(seconds=5)).where(
            WebSession.contact == contact_named(username)
        ).execute()


def test_sign_in_refresh_and_logout(portal, idp):
    client = sign_in(portal, idp)
    assert "Carla Smit" in client.get("/support").get_data(as_text=True)
    before = session_of(portal, "carla.cursus")
    expire(portal, "carla.cursus")
    assert "Carla Smit" in client.get("/support").get_data(as_text=True)
    after = session_of(portal, "carla.cursus")
    assert after.access_token != before.access_token and after.access_expires_at > clock.now()
    response = client.post("/logout")
    with portal.app_context():
        end_session = portal.extensions["authlib.integrations.flask_client"].keycloak.server_metadata[
            "end_session_endpoint"]
    assert response.headers["Location"].startswith(end_session)
    assert session_of(portal, "carla.cursus") is None


def test_concurrent_requests_at_expiry_redeem_the_refresh_token_once(portal, idp):
    """Observation 8: with rotation and reuse detection a second redemption ends the session."""
    if isinstance(idp, DevIdp):
        idp.set_switches(refreshTokens="rotate", tokenDelayMs=400)
    else:
        idp.app.wsgi_app.delay = 0.4
    client = sign_in(portal, idp)
    cookie = client.get_cookie("klantportal_session").value
    expire(portal, "carla.cursus")
    refreshes = idp.token_requests()["refresh_token"]
    start = threading.Barrier(2)
    pages = []

    def visit():
        other = portal.test_client()
        other.set_cookie("klantportal_session", cookie)
        start.wait()
        pages.append(other.get("/support"))

    threads = [threading.Thread(target=visit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert [page.status_code for page in pages] == [200, 200]
    assert all("Carla Smit" in page.get_data(as_text=True) for page in pages)
    assert idp.token_requests()["refresh_token"] == refreshes + 1
    assert client.get("/support").status_code == 200  # the session lives on
    expire(portal, "carla.cursus")
    assert client.get("/support").status_code == 200  # and the new refresh token works


def test_without_a_refresh_token_the_session_ends_at_expiry_without_a_refresh_call(
    make_app, seeded, idp, request
):
    """Observation 7: no grant_type=refresh_token without one; htmx gets HX-Redirect."""
    if isinstance(idp, DevIdp):
        idp.set_switches(refreshTokens="none")
    else:
        idp = MockIdp(issue_refresh_token=False).start()
        request.addfinalizer(idp.stop)
    portal = make_portal(make_app, idp)
    client = sign_in(portal, idp)
    assert session_of(portal, "carla.cursus").refresh_token is None
    assert client.get("/support").status_code == 200
    refreshes = idp.token_requests()["refresh_token"]
    expire(portal, "carla.cursus")
    response = client.get("/support", headers={"HX-Request": "true"})
    assert response.status_code == 401
    assert response.headers["HX-Redirect"].startswith("/login?next=")
    assert idp.token_requests()["refresh_token"] == refreshes
    assert session_of(portal, "carla.cursus") is None
    assert client.get("/support").status_code == 302


def test_an_id_token_signed_with_a_rotated_key_still_signs_in(portal, idp):
    """Observation 6: the key set is fetched again for a key the portal does not know."""
    sign_in(portal, idp, "bram.legacy")  # the old key set is now cached
    idp.rotate_key()
    client = sign_in(portal, idp, "carla.cursus")
    assert "Carla Smit" in client.get("/support").get_data(as_text=True)


def test_client_secret_post_authenticates_at_the_token_endpoint(make_app, seeded, idp):
    portal = make_portal(make_app, idp, OIDC_TOKEN_AUTH_METHOD="client_secret_post")
    client = sign_in(portal, idp)
    assert client.get("/support").status_code == 200
    if isinstance(idp, MockIdp):
        # The mock takes client_secret_post only at the code exchange (its refresh grant keeps
        # Authlib's default, client_secret_basic, which its discovery implies by saying nothing).
        assert idp.token_calls[-1] == {"grant_type": "authorization_code", "auth": "post"}
        return
    expire(portal, "carla.cursus")
    assert client.get("/support").status_code == 200
