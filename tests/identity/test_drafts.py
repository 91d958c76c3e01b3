"""Drafts: kept only from the portal's own pages, for the person who typed them (issue 16, 2-3).

Sign-in goes through the real callback and the dev provider, so each draft travels
through the real session code: the signed cookie, ``regenerate`` and the new row.
"""

import re
from datetime import timedelta

import pytest
from markupsafe import escape

from tests.conftest import contact_named
from tests.identity.conftest import PORTAL
from tests.identity.test_auth import provider_login
from webapp import clock
from webapp.models import AccessRequest, CallbackRequest, Contact, Incident, Reaction, WebSession
from webapp.seed import seed_demo

SAME_ORIGIN = {"Origin": PORTAL, "Sec-Fetch-Site": "same-origin"}
CROSS_SITE = {"Origin": "http://127.0.0.1:8000", "Sec-Fetch-Site": "cross-site"}
RESTORED = "We hebben bewaard wat je had ingevuld"
CARLAS = "2026-000003"




@pytest.fixture
def portal(make_app, idp):
    app = make_app(BASE_URL=PORTAL, OIDC_ISSUER=idp.issuer, OIDC_CLIENT_SECRET=idp.client_secret,
                   WTF_CSRF_ENABLED=True)
    with app.app_context():
        seed_demo()
    return app


def signed_in(portal, username, next_path="/"):
    client = portal.test_client()
    assert client.get(provider_login(client, username, next_path=next_path)).status_code == 302
    return client


def token_of(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def session_ends():
    """The idle expiry passes while the person types (the row stays until the nightly sweep)."""
    WebSession.update(expires_at=clock.now() - timedelta(seconds=1)).execute()


def forms(portal):
    """(username, form page, what is typed, what must come back) for every restorable form."""
    with portal.app_context():
        profile = str(contact_named("carla.cursus").profile_links[0].profile_id)
        gijs = contact_named("gijs.geen")
    return {
        "incident": ("carla.cursus", "/incidents/new",
                     {"profile": profile, "subject": "Getypt voor het verlopen",
                      "description": "Dit mag niet verloren gaan, echt niet.", "priority": "hoog",
                      "reference": "INT-1"}, ["Getypt voor het verlopen", "Dit mag niet verloren gaan"]),
        "reaction": ("carla.cursus", f"/incidents/{CARLAS}", {"body": "Nog steeds stuk, regel 2"},
                     ["Nog steeds stuk, regel 2"]),
        "callback": ("carla.cursus", "/support",
                     {"phone": "06 12345678", "topic": "Terugbellen over de run",
                      "preferred_moment": "middag"},
                     ["Terugbellen over de run"]),
        "access request": ("gijs.geen", "/contacts/access-requests",
                           {"role": "submitter", "reason": "Ik doe de salarisadministratie"},
                           ["Ik doe de salarisadministratie"]),
        "contact add": ("anna.admin", "/contacts/new",
                        {"name": "Nieuwe Collega", "email": "nieuw@korenschoof.example", "phone": "",
                         "function": "Controller", "active": "y"},
                        ["Nieuwe Collega", "nieuw@korenschoof.example"]),
        "contact edit": ("anna.admin", f"/contacts/{gijs.id}/edit",
                         {"name": "Gijs van den Boer", "email": gijs.email, "phone": "",
                          "function": "Magazijn", "active": "y"}, ["Gijs van den Boer", "Magazijn"]),
    }


STORED = {
    "incident": lambda: Incident.select().where(Incident.subject == "Getypt voor het verlopen").count(),
    "reaction": lambda: Reaction.select().where(Reaction.body.contains("Nog steeds stuk")).count(),
    "callback": lambda: CallbackRequest.select().count(),
    "access request": lambda: AccessRequest.select().count(),
    "contact add": lambda: Contact.select().where(Contact.name == "Nieuwe Collega").count(),
    "contact edit": lambda: Contact.select().where(Contact.name == "Gijs van den Boer").count(),
}


@pytest.mark.parametrize("kind", list(STORED))
def test_every_form_typed_before_the_session_ended_is_restored_after_sign_in(portal, kind):
    username, path, typed, shown = forms(portal)[kind]
    client = signed_in(portal, username)
    token = token_of(client.get(path).get_data(as_text=True))
    with portal.app_context():
        session_ends()
        before = STORED[kind]()
    response = client.post(path, data={**typed, "csrf_token": token}, headers=SAME_ORIGIN)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")
    with portal.app_context():
        assert WebSession.select().where(WebSession.expires_at > clock.now()).count() == 0

    # The callback lands on the form page (a GET page, never a POST-only URL).
    callback = provider_login(client, username, next_path=path)
    landing = client.get(callback)
    assert landing.status_code == 302 and landing.headers["Location"] == path
    page = client.get(path)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert RESTORED in html
    for text in shown:
        assert str(escape(text)) in html
    with portal.app_context():
        assert STORED[kind]() == before  # shown again to check, not sent
    # Shown once.
    assert RESTORED not in client.get(path).get_data(as_text=True)


def test_a_draft_is_given_back_only_to_the_person_who_typed_it(portal):
    client = signed_in(portal, "carla.cursus")
    token = token_of(client.get("/support").get_data(as_text=True))
    with portal.app_context():
        session_ends()
    client.post("/support", data={"phone": "06 12345678", "topic": "Alleen voor Carla",
                                  "preferred_moment": "middag", "csrf_token": token}, headers=SAME_ORIGIN)
    client.get(provider_login(client, "bram.legacy", next_path="/support"))
    page = client.get("/support").get_data(as_text=True)
    assert "Bram Jansen" in page
    assert "Alleen voor Carla" not in page and RESTORED not in page


def test_an_old_draft_is_not_given_back(portal, monkeypatch):
    client = signed_in(portal, "carla.cursus")
    token = token_of(client.get("/support").get_data(as_text=True))
    with portal.app_context():
        session_ends()
    client.post("/support", data={"phone": "06 12345678", "topic": "Lang geleden getypt",
                                  "preferred_moment": "middag", "csrf_token": token}, headers=SAME_ORIGIN)
    later = clock.now() + timedelta(minutes=31)
    monkeypatch.setattr(clock, "now", lambda: later)
    client.get(provider_login(client, "carla.cursus", next_path="/support"))
    assert "Lang geleden getypt" not in client.get("/support").get_data(as_text=True)


def test_a_form_from_a_tab_opened_before_signing_in_again_is_shown_again_with_a_fresh_token(portal):
    client = signed_in(portal, "carla.cursus")
    old_tab = token_of(client.get("/incidents/new").get_data(as_text=True))
    with portal.app_context():
        WebSession.delete().execute()  # signed out elsewhere (back-channel logout)
    client.get(provider_login(client, "carla.cursus"))  # and in again, in another tab
    _, path, typed, shown = forms(portal)["incident"]
    response = client.post(path, data={**typed, "csrf_token": old_tab}, headers=SAME_ORIGIN)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert RESTORED in html and all(str(escape(text)) in html for text in shown)
    fresh = token_of(html)
    assert fresh != old_tab
    sent = client.post(path, data={**typed, "csrf_token": fresh}, headers=SAME_ORIGIN)
    assert sent.status_code == 303
    with portal.app_context():
        assert STORED["incident"]() == 1


def test_a_draft_too_large_for_the_cookie_is_shown_to_copy_instead_of_lost(portal):
    client = signed_in(portal, "carla.cursus")
    token = token_of(client.get(f"/incidents/{CARLAS}").get_data(as_text=True))
    with portal.app_context():
        session_ends()
    body = " ".join(f"woord{n}" for n in range(3000))  # ~27,000 characters
    response = client.post(f"/incidents/{CARLAS}", data={"body": body, "csrf_token": token},
                           headers=SAME_ORIGIN)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Je tekst is nog niet verstuurd" in html and body in html
    assert "/login?next=" in html
    assert len(response.headers.get("Set-Cookie", "")) < 4096


def test_a_cross_site_post_changes_no_cookie_no_session_and_plants_no_draft(portal):
    client = signed_in(portal, "carla.cursus")
    cookie = client.get_cookie("klantportal_session").value
    with portal.app_context():
        row = WebSession.get()
        before = (row.key_hash, row.data, row.expires_at, row.last_seen_at, row.access_token)
    planted = {"subject": "Geplant door een andere site", "description": "Klik hier: http://evil.example"}
    for headers in (CROSS_SITE, {"Origin": "http://evil.example"}, {"Sec-Fetch-Site": "cross-site"}):
        response = client.post("/incidents/new", data=planted, headers=headers)
        assert response.status_code == 400
        assert "Set-Cookie" not in response.headers
    # Without the cookie too (SameSite=Lax keeps it from a cross-site POST).
    stranger = portal.test_client()
    response = stranger.post("/incidents/new", data=planted, headers=CROSS_SITE)
    assert response.status_code == 400 and "Set-Cookie" not in response.headers
    assert client.get_cookie("klantportal_session").value == cookie
    with portal.app_context():
        assert WebSession.select().count() == 1
        row = WebSession.get()
        assert (row.key_hash, row.data, row.expires_at, row.last_seen_at, row.access_token) == before
    page = client.get("/incidents/new").get_data(as_text=True)
    assert "Geplant" not in page and RESTORED not in page
    assert "Carla Smit" in page
