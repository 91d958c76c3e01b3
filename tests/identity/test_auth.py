"""Sign-in callbacks, logout tokens and redirects against the real dev provider (DESIGN §2)."""

import re
import time
from urllib.parse import urlsplit

import pytest
import requests
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey

from tests.conftest import contact_named
from tests.harness.devidp import DEMO_USER_IDS
from tests.harness.signin import log_in_at_provider
from tests.identity.conftest import PORTAL
from webapp.identity import logout_tokens, oidc
from webapp.identity.redirects import safe_next
from webapp.models import Contact, WebSession
from webapp.seed import seed_demo


@pytest.fixture
def portal(make_app, idp):
    app = make_app(
        BASE_URL=PORTAL, OIDC_ISSUER=idp.issuer, OIDC_CLIENT_SECRET=idp.client_secret
    )
    with app.app_context():
        seed_demo()
    return app


def provider_login(client, username, next_path="/"):
    """Walk /login → the provider's form → back; return the callback URL (path and query)."""
    response = client.get(f"/login?next={next_path}")
    assert response.status_code == 302
    callback = log_in_at_provider(requests.Session(), response.headers["Location"], username,
                                  PORTAL + "/auth/callback")
    parts = urlsplit(callback)
    return f"{parts.path}?{parts.query}"


def test_sign_in_binds_the_contact_by_verified_email_and_starts_a_session(portal):
    client = portal.test_client()
    callback = provider_login(client, "carla.cursus", next_path="/support")
    response = client.get(callback)
    assert response.status_code == 302
    assert response.headers["Location"] == "/support"
    with portal.app_context():
        carla = contact_named("carla.cursus")
        assert carla.oidc_subject == DEMO_USER_IDS["carla.cursus"]
        row = WebSession.get(WebSession.contact == carla)
        assert row.refresh_token and row.id_token and row.sid
    assert "Carla Smit" in client.get("/").get_data(as_text=True)


def test_cookie_holds_only_a_random_key_that_changes_at_sign_in(portal):
    client = portal.test_client()
    client.get("/login")
    before = client.get_cookie("klantportal_session").value
    client.get(provider_login(client, "bram.legacy"))
    cookie = client.get_cookie("klantportal_session")
    assert cookie.value != before
    assert cookie.http_only and cookie.same_site == "Lax"
    assert "." not in cookie.value and len(cookie.value) >= 40  # no signed payload, just a key


def test_email_bound_to_another_subject_is_refused(portal):
    with portal.app_context():
        Contact.update(oidc_subject="someone-else").where(
            Contact.email == "gijs.geen@korenschoof.example"
        ).execute()
    client = portal.test_client()
    response = client.get(provider_login(client, "gijs.geen"))
    assert response.status_code == 403
    assert "hoort al bij een ander account" in response.get_data(as_text=True)
    with portal.app_context():
        assert WebSession.select().where(WebSession.contact.is_null(False)).count() == 0


def test_person_without_contact_gets_geen_contactpersoon(portal):
    client = portal.test_client()
    response = client.get(provider_login(client, "iris.onbekend"))
    assert response.status_code == 403
    assert "Geen contactpersoon" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "query, message",
    [
        ("?error=access_denied&state=x", "afgebroken"),
        ("?state=abc", "onvolledig"),  # missing code
        ("?code=abc", "onvolledig"),  # missing state
        ("?code=abc&state=not-the-one-we-sent", "kon niet worden voltooid"),
    ],
)
def test_bad_callback_gives_a_clear_page_and_no_session(portal, query, message):
    client = portal.test_client()
    client.get("/login")
    response = client.get("/auth/callback" + query)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    with portal.app_context():
        assert WebSession.select().where(WebSession.contact.is_null(False)).count() == 0


def test_replayed_code_is_refused(portal):
    first = portal.test_client()
    callback = provider_login(first, "bram.legacy")
    assert first.get(callback).status_code == 302
    replay = portal.test_client()
    replay.get("/login")
    with replay.session_transaction() as session:
        state = next(k for k in session if k.startswith("_state_keycloak_")).removeprefix(
            "_state_keycloak_"
        )
    code = re.search(r"code=([^&]+)", callback).group(1)
    response = replay.get(f"/auth/callback?code={code}&state={state}")
    assert response.status_code == 400
    assert "kon niet worden voltooid" in response.get_data(as_text=True)


def test_tampered_id_token_is_refused(portal, monkeypatch):
    client = portal.test_client()
    callback = provider_login(client, "bram.legacy")
    with portal.app_context():
        provider = oidc.client()
    real_fetch = provider.fetch_access_token

    def tampered(**kwargs):
        token = real_fetch(**kwargs)
        header, payload, signature = token["id_token"].split(".")
        token["id_token"] = ".".join([header, payload, signature[:-4] + "AAAA"])
        return token

    monkeypatch.setattr(provider, "fetch_access_token", tampered)
    response = client.get(callback)
    assert response.status_code == 400
    with portal.app_context():
        assert WebSession.select().where(WebSession.contact.is_null(False)).count() == 0


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example", "javascript:alert(1)",
                                    "/\\evil.example", "http:/evil", " /x"])
def test_unsafe_next_never_leaves_the_site(target):
    assert safe_next(target) == "/"


def test_local_next_is_kept():
    assert safe_next("/incidents?status=nieuw") == "/incidents?status=nieuw"


def test_unsafe_next_at_login_is_replaced_by_home(portal):
    client = portal.test_client()
    client.get("/login?next=//evil.example/steal")
    with client.session_transaction() as session:
        assert session["next"] == "/"


# Logout tokens: signed by a key we control, which the portal is told is the provider's.

TEST_KEY = RSAKey.generate_key(2048, parameters={"kid": "test"}, private=True)


@pytest.fixture
def our_keys(portal, monkeypatch):
    with portal.app_context():
        monkeypatch.setattr(
            oidc.client(), "fetch_jwk_set", lambda force=False: KeySet([TEST_KEY]).as_dict(private=False)
        )
    return portal


def logout_token(portal, key=TEST_KEY, **overrides):
    claims = {
        "iss": portal.config["OIDC_ISSUER"],
        "aud": portal.config["OIDC_CLIENT_ID"],
        "iat": int(time.time()),
        "jti": "j1",
        "sid": "sid-anna.admin",
        "events": {logout_tokens.BACKCHANNEL_EVENT: {}},
        **overrides,
    }
    claims = {k: v for k, v in claims.items() if v is not None}
    return jwt.encode({"alg": "RS256", "kid": key.kid}, claims, key)


def anna_sessions(portal):
    with portal.app_context():
        return WebSession.select().where(WebSession.sid == "sid-anna.admin").count()


def test_valid_logout_token_ends_the_matching_session(our_keys, login):
    client = our_keys.test_client()
    with our_keys.app_context():
        login(client, "anna.admin")
    response = client.post("/auth/backchannel-logout", data={"logout_token": logout_token(our_keys)})
    assert response.status_code == 200
    assert anna_sessions(our_keys) == 0


OTHER_KEY = RSAKey.generate_key(2048, parameters={"kid": "test"}, private=True)


@pytest.mark.parametrize(
    "overrides",
    [
        {"key": OTHER_KEY},  # wrong signature
        {"aud": "another-client"},
        {"iss": "http://evil.example/realms/klantportal"},
        {"events": None},
        {"events": {"http://example.com/other-event": {}}},
        {"events": [logout_tokens.BACKCHANNEL_EVENT]},  # an array, not an object (§2.4)
        {"nonce": "n-0S6_WzA2Mj"},
        {"sid": None, "sub": None},
        {"iat": int(time.time()) - 3600},
    ],
    ids=["signature", "audience", "issuer", "no-events", "wrong-event", "events-array", "nonce",
         "no-sid-sub", "old"],
)
def test_bad_logout_token_is_rejected_and_ends_nothing(our_keys, login, overrides):
    client = our_keys.test_client()
    with our_keys.app_context():
        login(client, "anna.admin")
    token = logout_token(our_keys, **overrides)
    response = client.post("/auth/backchannel-logout", data={"logout_token": token})
    assert response.status_code == 400
    assert anna_sessions(our_keys) == 1


def test_logout_token_whose_sid_no_session_has_ends_the_subjects_sessions_without_sid(our_keys, login):
    """A provider that puts sid in logout tokens but not in ID tokens: matched by sub."""
    client, other_device = our_keys.test_client(), our_keys.test_client()
    with our_keys.app_context():
        login(client, "anna.admin")
        login(other_device, "anna.admin")
        WebSession.update(sid=None).where(WebSession.key_hash == WebSession.select(
            WebSession.key_hash).limit(1)).execute()
    token = logout_token(our_keys, sid="sid-only-in-logout-tokens", sub="subject-anna.admin")
    response = client.post("/auth/backchannel-logout", data={"logout_token": token})
    assert response.status_code == 200
    with our_keys.app_context():
        # The session without a sid ended; the one with a sid of its own is another
        # provider session (another device) and stays.
        assert [row.sid for row in WebSession.select()] == ["sid-anna.admin"]


def test_unreachable_provider_at_login_is_explained(client):
    response = client.get("/login")
    assert response.status_code == 503
    assert "niet bereikbaar" in response.get_data(as_text=True)


def test_sign_out_works_while_the_provider_is_unreachable(client, login):
    """The portal session ends even when the provider's logout endpoint cannot be found."""
    login(client, "anna.admin")
    response = client.post("/logout")
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert WebSession.select().count() == 0
    assert client.get("/contacts").status_code == 302  # signed out: sent to sign in


def test_the_sign_in_callback_is_rate_limited_per_address(make_app):
    """Guessing codes or states at the callback is slowed down, with a Dutch explanation."""
    app = make_app(RATELIMIT_ENABLED=True)
    client = app.test_client()
    statuses = [client.get("/auth/callback?error=access_denied").status_code for _ in range(30)]
    assert set(statuses) == {400}
    refused = client.get("/auth/callback?code=guess&state=guess")
    assert refused.status_code == 429
    page = refused.get_data(as_text=True)
    assert "Even geduld" in page and "Wacht een minuut" in page
    # Another address is not held up by the first one's attempts.
    other = client.get("/auth/callback?error=access_denied", environ_base={"REMOTE_ADDR": "192.0.2.7"})
    assert other.status_code == 400


def test_a_contact_made_inactive_behind_the_portal_is_no_longer_signed_in(client, login):
    carla = login(client, "carla.cursus")
    assert client.get("/incidents").status_code == 200
    Contact.update(active=False).where(Contact.id == carla.id).execute()  # e.g. an import
    response = client.get("/incidents")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=%2Fincidents"
