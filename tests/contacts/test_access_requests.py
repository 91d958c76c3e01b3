"""Access requests: a contact refused for lack of a role asks for it; admins decide inline."""

import re

import pytest

from tests.conftest import contact_named, sign_in
from webapp.access import gate
from webapp.models import AccessRequest, AuditEntry, Organisation

HTMX = {"HX-Request": "true"}


@pytest.fixture
def portal(make_app, seeded):
    """The portal plus two gated pages that refuse for lack of a role, like the incident pages."""
    app = make_app()
    app.add_url_rule("/_test/submit", "test_submit", gate("submit")(lambda: "submitting"))
    app.add_url_rule("/_test/incidents", "test_incidents", gate("list_incidents")(lambda: "listing"))
    return app


def client_for(app, username):
    client = app.test_client()
    sign_in(client, username)
    return client


def ask(client, role, reason="Ik beheer de salarisadministratie.", htmx=False):
    return client.post("/contacts/access-requests", data={"role": role, "reason": reason},
                       headers=HTMX if htmx else {})


def test_the_refusal_page_offers_the_missing_role(portal):
    gijs = client_for(portal, "gijs.geen")
    page = gijs.get("/_test/submit").get_data(as_text=True)
    assert "Niet geautoriseerd" in page and "Rol aanvragen" in page
    assert 'name="role" value="submitter"' in page and 'action="/contacts/access-requests"' in page
    page = gijs.get("/_test/incidents").get_data(as_text=True)
    assert 'id="request-role-submitter"' in page and 'id="request-role-viewer"' in page
    # A refusal for another reason (the course) offers nothing to ask for.
    daan = client_for(portal, "daan.onvoldoende")
    page = daan.get("/_test/submit").get_data(as_text=True)
    assert "Niet geautoriseerd" in page and "Rol aanvragen" not in page


def test_a_request_is_stored_once_and_shown_on_the_home_page(portal):
    gijs = client_for(portal, "gijs.geen")
    response = ask(gijs, "submitter", htmx=True)
    assert response.status_code == 200 and "is verstuurd" in response.get_data(as_text=True)
    assert ask(gijs, "submitter").status_code == 303  # the same again: no duplicate
    assert AccessRequest.select().count() == 1
    request = AccessRequest.get()
    assert (request.contact.name, request.role, request.status) == ("Gijs de Boer", "submitter", "pending")
    assert "Incidenten insturen:" in gijs.get("/").get_data(as_text=True)
    assert "in behandeling" in gijs.get("/").get_data(as_text=True)
    page = gijs.get("/_test/submit").get_data(as_text=True)
    assert "Je aanvraag voor de rol Incidenten insturen is in behandeling" in page
    assert 'name="reason"' not in page


def test_bad_requests_are_refused_with_the_reason(portal):
    gijs = client_for(portal, "gijs.geen")
    response = ask(gijs, "submitter", reason="x" * 501, htmx=True)
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "Maximaal 500 tekens" in page and "x" * 501 in page
    assert ask(gijs, "admin").status_code == 422  # admin is given, not asked for
    assert ask(gijs, "superuser").status_code == 422
    bram = client_for(portal, "bram.legacy")
    response = ask(bram, "submitter")
    assert response.status_code == 422 and "Je hebt deze rol al" in response.get_data(as_text=True)
    assert AccessRequest.select().count() == 0


def test_admin_approves_within_the_maximum(portal):
    gijs = client_for(portal, "gijs.geen")
    ask(gijs, "submitter")
    anna = client_for(portal, "anna.admin")
    page = anna.get("/contacts").get_data(as_text=True)
    assert "Gijs de Boer vraagt de rol Incidenten insturen aan" in page
    assert "Ik beheer de salarisadministratie." in page
    assert page.index("Aanvragen voor een rol") < page.index('<table class="contacts')

    request = AccessRequest.get()
    response = anna.post(f"/contacts/access-requests/{request.id}/approve", headers=HTMX)
    html = response.get_data(as_text=True)
    assert response.status_code == 403 and response.headers["HX-Retarget"] == f"#request-{request.id}"
    assert "Maximum bereikt: 3 van 3" in html  # refused like any grant: still pending
    assert AccessRequest.get_by_id(request.id).status == "pending"
    assert not contact_named("gijs.geen").submitter

    bram = contact_named("bram.legacy")
    anna.post(f"/contacts/{bram.id}/roles/submitter", headers=HTMX)
    response = anna.post(f"/contacts/access-requests/{request.id}/approve", data={"note": "Welkom!"},
                         headers=HTMX)
    html = response.get_data(as_text=True)
    assert "Goedgekeurd." in html and "in gebruik 3 van 3" in html
    assert re.search(r'<template>\s*<tr id="contact-\d+" hx-swap-oob="true"', html)  # the row, out of band
    assert contact_named("gijs.geen").submitter
    request = AccessRequest.get_by_id(request.id)
    assert (request.status, request.decided_by.name, request.decision_note) == (
        "approved", "Anna de Vries", "Welkom!")
    assert AuditEntry.select().where(AuditEntry.contact == request.contact).count() == 1
    home = gijs.get("/").get_data(as_text=True)
    assert "goedgekeurd" in home and "Welkom!" in home
    assert gijs.get("/_test/submit").get_data(as_text=True) == "submitting"  # next request, no re-login


def test_admin_denies_with_a_note(portal):
    gijs = client_for(portal, "gijs.geen")
    ask(gijs, "viewer")
    request = AccessRequest.get()
    anna = client_for(portal, "anna.admin")
    response = anna.post(f"/contacts/access-requests/{request.id}/deny",
                         data={"note": "Vraag het via je team."})
    assert response.status_code == 303
    assert AccessRequest.get_by_id(request.id).status == "denied"
    assert not contact_named("gijs.geen").viewer
    assert AuditEntry.select().count() == 0
    home = gijs.get("/").get_data(as_text=True)
    assert "afgewezen" in home and "Vraag het via je team." in home
    assert "Aanvragen voor een rol" not in anna.get("/contacts").get_data(as_text=True)


def test_only_the_organisations_admins_decide(portal):
    ask(client_for(portal, "gijs.geen"), "submitter")
    request = AccessRequest.get()
    hugo = client_for(portal, "hugo.vandijk")  # admin of another organisation
    assert hugo.post(f"/contacts/access-requests/{request.id}/approve").status_code == 404
    eva = client_for(portal, "eva.bekijker")
    response = eva.post(f"/contacts/access-requests/{request.id}/deny")
    assert response.status_code == 403 and "Alleen klantportalbeheerders" in response.get_data(as_text=True)
    assert AccessRequest.get_by_id(request.id).status == "pending"
    assert Organisation.get(customer_number=10001).counts().in_use == 3
