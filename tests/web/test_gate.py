"""The gate reads roles fresh on every request and handles ended sessions and outages."""

from datetime import timedelta

from tests.conftest import contact_named
from webapp import clock
from webapp.models import Contact, WebSession


def test_revoked_role_refuses_the_very_next_request(client, login):
    bram = login(client, "bram.legacy")
    assert "Je mag incidenten insturen" in client.get("/").get_data(as_text=True)
    Contact.update(submitter=False).where(Contact.id == bram.id).execute()
    page = client.get("/").get_data(as_text=True)
    assert "Je mag geen incidenten insturen" in page


def test_granted_role_is_usable_on_the_next_request(client, login):
    gijs = login(client, "gijs.geen")
    assert "Je mag geen incidenten insturen" in client.get("/").get_data(as_text=True)
    Contact.update(submitter=True).where(Contact.id == gijs.id).execute()
    assert "Je mag incidenten insturen" in client.get("/").get_data(as_text=True)


def test_htmx_request_without_session_gets_hx_redirect_not_a_302(app, seeded):
    gated = next(
        rule.rule for rule in app.url_map.iter_rules()
        if getattr(app.view_functions[rule.endpoint], "access", None) == "gated"
        and "GET" in rule.methods and not rule.arguments
    )
    response = app.test_client().get(gated, headers={"HX-Request": "true"})
    assert response.status_code == 401
    assert response.headers["HX-Redirect"].startswith("/login?next=")


def expire_access_token(username, failing_since=None):
    contact = contact_named(username)
    WebSession.update(
        access_expires_at=clock.now() - timedelta(seconds=5), refresh_failing_since=failing_since
    ).where(WebSession.contact == contact).execute()


def test_unreachable_provider_is_a_transient_fault_within_the_grace_period(client, login):
    # The test app's provider address has nothing listening: every refresh fails to connect.
    login(client, "anna.admin")
    expire_access_token("anna.admin")
    assert "Anna de Vries" in client.get("/").get_data(as_text=True)
    row = WebSession.get(WebSession.contact == contact_named("anna.admin"))
    assert row.refresh_failing_since is not None


def test_session_ends_when_the_provider_stays_away_past_the_grace_period(client, login, app):
    login(client, "anna.admin")
    grace = app.config["TOKEN_OUTAGE_GRACE_SECONDS"]
    expire_access_token("anna.admin", failing_since=clock.now() - timedelta(seconds=grace + 1))
    response = client.get("/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")
    assert WebSession.select().where(WebSession.contact.is_null(False)).count() == 0


def test_a_session_without_tokens_is_not_accepted(client, login):
    login(client, "anna.admin")
    WebSession.update(access_expires_at=None).execute()
    assert client.get("/").status_code == 302
