"""Provider layouts only one of the two test providers can produce (issue 16, observations
6, 9, 10, 11). The dev provider: back-channel logout after key rotation, end-session on
another origin, claims only at userinfo, an issuer ending in ``/`` (oidc-provider-mock has
no back-channel logout, one origin, claims in the ID token and an issuer without a path).
oidc-provider-mock: no ``email_verified`` at all, and a provider that dies after discovery."""

from urllib.parse import parse_qs

import pytest
import requests

from tests.conftest import contact_named, unavailable
from tests.harness.backchannel import BackchannelReceiver
from tests.harness.devidp import DEMO_USER_IDS, DevIdp, DevIdpError, free_port
from tests.harness.mockidp import MockIdp
from tests.identity.test_providers import PORTAL, callback_for, make_portal, session_of, sign_in
from webapp.models import WebSession


def dev_provider(**env):
    try:
        return DevIdp(env={"KLANTPORTAL_BASE_URL": PORTAL, **env}).start()
    except DevIdpError as error:
        unavailable(f"dev identity provider: {error}")


@pytest.fixture(scope="module")
def receiver():
    with BackchannelReceiver() as running:
        yield running


@pytest.fixture(scope="module")
def idp(receiver):
    running = dev_provider(KLANTPORTAL_BACKCHANNEL_LOGOUT_URL=receiver.url)
    yield running
    running.stop()


@pytest.fixture
def portal(make_app, seeded, idp):
    return make_portal(make_app, idp)


def test_back_channel_logout_after_key_rotation_ends_the_session(portal, idp, receiver):
    """Observation 6: the logout token names a key the portal has not seen."""
    sign_in(portal, idp, "anna.admin")  # the key set before rotation is cached
    idp.rotate_key()
    idp.logout_user(DEMO_USER_IDS["anna.admin"])
    token = receiver.logout_token()
    response = portal.test_client().post("/auth/backchannel-logout", data={"logout_token": token})
    assert response.status_code == 200
    assert session_of(portal, "anna.admin") is None


def test_claims_only_at_userinfo_sign_in_and_bind_by_email(portal, idp):
    """Observation 10: the ID token carries only sub; e-mail comes from userinfo."""
    idp.set_switches(claimsAtUserinfoOnly=True)
    try:
        client = sign_in(portal, idp, "carla.cursus")
    finally:
        idp.set_switches(claimsAtUserinfoOnly=False)
    assert "Carla Smit" in client.get("/support").get_data(as_text=True)
    with portal.app_context():
        assert contact_named("carla.cursus").oidc_subject == DEMO_USER_IDS["carla.cursus"]


def test_end_session_on_another_origin_is_allowed_and_keeps_its_query(make_app, seeded):
    """Observation 9 (AWS Cognito's layout) and 11 (an end-session URL with a query)."""
    second = free_port()
    idp = dev_provider(END_SESSION_PORT=str(second))
    try:
        portal = make_portal(make_app, idp)
        client = sign_in(portal, idp, "bram.legacy")
        page = client.get("/support")
        form_action = next(part for part in page.headers["Content-Security-Policy"].split("; ")
                           if part.startswith("form-action"))
        assert f"http://localhost:{second}" in form_action.split()
        logout = client.post("/logout").headers["Location"]
        assert logout.startswith(f"http://localhost:{second}/realms/klantportal/protocol/"
                                 "openid-connect/logout?origin=second&")
        assert parse_qs(logout.split("?", 1)[1])["post_logout_redirect_uri"] == [PORTAL + "/"]
        ended = requests.get(logout, allow_redirects=False, timeout=10)
        assert ended.status_code in (302, 303) and ended.headers["Location"] == PORTAL + "/"
    finally:
        idp.stop()


def test_an_issuer_ending_in_a_slash_is_discovered_without_a_double_slash(make_app, seeded):
    """Observation 11: issuer + /.well-known gave //.well-known."""
    port = free_port()
    issuer = f"http://localhost:{port}/realms/klantportal/"
    try:
        idp = DevIdp(port=port, env={"KLANTPORTAL_BASE_URL": PORTAL, "ISSUER": issuer}).start()
    except DevIdpError as error:
        unavailable(f"dev identity provider: {error}")
    try:
        portal = make_portal(make_app, idp)
        client = sign_in(portal, idp, "bram.legacy")
        assert "Bram Jansen" in client.get("/support").get_data(as_text=True)
        log = idp.output()
        assert "GET /realms/klantportal/.well-known/openid-configuration" in log
        assert "//.well-known" not in log
    finally:
        idp.stop()


def test_without_email_verified_first_sign_in_is_refused_unless_trusted(make_app, seeded):
    """Observation 11 (Entra ID): no email_verified claim at all."""
    with MockIdp(email_verified=False) as idp:
        refused = make_portal(make_app, idp)
        client = refused.test_client()
        response = client.get(callback_for(client, idp, "carla.cursus"))
        assert response.status_code == 403
        assert "nog niet bevestigd" in response.get_data(as_text=True)
        trusting = make_portal(make_app, idp, OIDC_TRUST_UNVERIFIED_EMAIL=True)
        client = sign_in(trusting, idp, "carla.cursus")
        assert "Carla Smit" in client.get("/support").get_data(as_text=True)


def test_login_explains_a_provider_that_died_after_discovery(make_app, seeded):
    """Observation 11: cached discovery used to send the browser to a dead provider."""
    idp = MockIdp().start()
    portal = make_portal(make_app, idp)
    sign_in(portal, idp, "bram.legacy")  # discovery is loaded and cached
    idp.stop()
    response = portal.test_client().get("/login")
    assert response.status_code == 503
    assert "niet bereikbaar" in response.get_data(as_text=True)
    with portal.app_context():
        assert WebSession.select().where(WebSession.contact.is_null(False)).count() == 1
