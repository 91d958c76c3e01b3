"""The start page: an admin's to-do (open access requests decided inline, how far over the
maximum) and an admin who lacks a role told to grant it herself (issue 18)."""

import re

import pytest

from tests.conftest import contact_named, sign_in
from tests.web.test_languages import ENGLISH, visible_text
from webapp.contacts import audit
from webapp.models import AccessRequest, AuditEntry, Contact, Organisation

HTMX = {"HX-Request": "true"}
REQUEST_FORM = 'action="/contacts/access-requests"'


def client_for(app, username):
    client = app.test_client()
    sign_in(client, username)
    return client


def asked(username: str, role: str, reason: str = "Ik doe de salarisadministratie.") -> AccessRequest:
    return AccessRequest.create(contact=contact_named(username), role=role, reason=reason)


@pytest.fixture
def anna(app, seeded):
    return client_for(app, "anna.admin")


def text_of(response) -> str:
    return " ".join(visible_text(response.get_data(as_text=True)).split())


# --- The admin's to-do --------------------------------------------------------------------


def test_the_admins_start_page_lists_open_requests_with_the_decision_forms(anna):
    request = asked("gijs.geen", "viewer")
    page = anna.get("/").get_data(as_text=True)
    assert 'data-testid="admin-to-do"' in page
    assert f'id="request-{request.id}"' in page  # the fragment of Mijn contactpersonen
    assert "Gijs de Boer vraagt de rol Incidenten bekijken aan" in page
    assert "Ik doe de salarisadministratie." in page
    assert f'hx-post="/contacts/access-requests/{request.id}/approve"' in page
    assert f'hx-post="/contacts/access-requests/{request.id}/deny"' in page
    assert '<input type="hidden" name="from" value="home">' in page
    assert "in gebruik 3 van 3" in text_of(anna.get("/"))


def test_approving_from_the_start_page_swaps_the_fragment_and_grants(anna, rendered):
    request = asked("gijs.geen", "viewer")
    response = anna.post(f"/contacts/access-requests/{request.id}/approve",
                         data={"from": "home", "note": "Prima"}, headers=HTMX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert html.lstrip().startswith(f'<li id="request-{request.id}"')  # swapped outerHTML
    assert "Goedgekeurd." in html and "<form" not in html.split("</li>")[0]
    assert 'id="summary"' in html and 'hx-swap-oob="true"' in html  # the counter, out of band
    assert '<tr id="contact-' not in html  # no table row on the start page to swap
    assert rendered == [("contacts/_changed.html", ("request", "summary_oob"))]
    stored = AccessRequest.get_by_id(request.id)
    assert (stored.status, stored.decided_by.name, stored.decision_note) == (
        "approved", "Anna de Vries", "Prima")
    assert contact_named("gijs.geen").viewer
    assert "Er zijn geen openstaande aanvragen." in anna.get("/").get_data(as_text=True)


def test_denying_from_the_start_page_closes_the_request(anna):
    request = asked("gijs.geen", "submitter")
    response = anna.post(f"/contacts/access-requests/{request.id}/deny", data={"from": "home"}, headers=HTMX)
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith(f'<li id="request-{request.id}"') and "Afgewezen." in html
    assert AccessRequest.get_by_id(request.id).status == "denied"
    assert not contact_named("gijs.geen").submitter
    # Without htmx the form posts and comes back to the start page.
    other = asked("gijs.geen", "viewer")
    response = anna.post(f"/contacts/access-requests/{other.id}/deny", data={"from": "home"})
    assert response.status_code == 303 and response.headers["Location"] == "/"
    assert AccessRequest.get_by_id(other.id).status == "denied"


def test_an_approval_refused_by_the_maximum_keeps_the_request_open_on_the_start_page(anna, rendered):
    request = asked("gijs.geen", "submitter")
    response = anna.post(f"/contacts/access-requests/{request.id}/approve", data={"from": "home"},
                         headers=HTMX)
    html = response.get_data(as_text=True)
    # Refused (403), and said in the request itself: swapped over it, not in the problem box.
    assert response.status_code == 403
    assert (response.headers["HX-Retarget"], response.headers["HX-Reswap"]) == (
        f"#request-{request.id}", "outerHTML")
    assert rendered == [("contacts/_changed.html", ("request", "summary_oob"))]
    assert html.lstrip().startswith(f'<li id="request-{request.id}"')
    assert re.search(r'role="status"[^>]*>.*Maximum bereikt: 3 van 3', html, re.S)
    assert '<input type="hidden" name="from" value="home">' in html  # decided again from here
    assert 'id="summary"' in html and "in gebruik 3 van 3" in html  # the counter, unchanged
    assert AccessRequest.get_by_id(request.id).status == "pending"
    assert not contact_named("gijs.geen").submitter


def test_without_htmx_a_refused_approval_answers_the_explained_page(anna, rendered):
    request = asked("gijs.geen", "submitter")
    response = anna.post(f"/contacts/access-requests/{request.id}/approve", data={"from": "home"})
    page = response.get_data(as_text=True)
    assert response.status_code == 403 and rendered == [("refused.html", None)]
    assert '<html lang="nl">' in page and "Maximum bereikt: 3 van 3" in page
    assert AccessRequest.get_by_id(request.id).status == "pending"
    assert not contact_named("gijs.geen").submitter


def test_mijn_contactpersonen_still_gets_its_row(anna, rendered):
    request = asked("gijs.geen", "viewer")
    html = anna.post(f"/contacts/access-requests/{request.id}/approve", headers=HTMX).get_data(as_text=True)
    assert rendered == [("contacts/_changed.html", ("request", "row_oob", "summary_oob"))]
    assert re.search(r'<template>\s*<tr id="contact-\d+" hx-swap-oob="true"', html)
    assert "from" not in re.findall(r'name="(\w+)"', html)


def test_how_far_over_the_maximum(anna):
    Organisation.update(max_submitters=2).where(Organisation.customer_number == 10001).execute()
    text = text_of(anna.get("/"))
    assert "in gebruik 3 van 2: 1 boven het maximum" in text
    english = text_of(anna.get("/", headers=ENGLISH))
    assert "in use 3 of 2: 1 over the maximum" in english
    Organisation.update(max_submitters=3).where(Organisation.customer_number == 10001).execute()
    assert "boven het maximum" not in text_of(anna.get("/"))


@pytest.mark.parametrize("username", ["gijs.geen", "eva.bekijker", "bram.legacy"])
def test_others_have_no_admin_to_do(app, seeded, username):
    asked("gijs.geen", "viewer")
    page = client_for(app, username).get("/").get_data(as_text=True)
    assert 'data-testid="admin-to-do"' not in page and "vraagt de rol" not in page


# --- An admin who lacks a role grants it herself --------------------------------------------


def test_anna_is_told_to_grant_herself_the_role_not_to_ask_herself(anna):
    me = contact_named("anna.admin")
    for path in ("/", "/support", "/incidents/new"):
        response = anna.get(path)
        page, text = response.get_data(as_text=True), text_of(response)
        assert "Vraag een klantportalbeheerder" not in text and "(Anna de Vries)" not in text, path
        assert "kunt jezelf de rol Incidenten insturen geven" in text, path
        assert f'href="/contacts?q=anna.admin@korenschoof.example#contact-{me.id}"' in page, path
        assert REQUEST_FORM not in page and "Rol aanvragen" not in text, path
    assert "het maximum is bereikt (3 van 3 in gebruik)" in text_of(anna.get("/"))
    # The link opens her row on Mijn contactpersonen.
    page = anna.get("/contacts?q=anna.admin%40korenschoof.example").get_data(as_text=True)
    assert f'id="role-{me.id}-submitter"' in page


def test_with_room_and_with_a_colleague_she_still_grants_it_herself(app, seeded, anna):
    bram = contact_named("bram.legacy")
    anna.post(f"/contacts/{bram.id}/roles/submitter", headers=HTMX)  # revoked: 2 of 3
    Contact.update(admin=True).where(Contact.id == contact_named("eva.bekijker").id).execute()
    text = text_of(anna.get("/support"))
    assert ("je kunt jezelf de rol Incidenten insturen geven op Mijn contactpersonen "
            "(2 van 3 in gebruik)") in text
    assert "Eva Visser" not in text
    # Eva, now an admin too, is told the same; Gijs still asks the admins.
    eva = text_of(client_for(app, "eva.bekijker").get("/"))
    assert "je kunt jezelf de rol Incidenten insturen geven" in eva
    gijs = text_of(client_for(app, "gijs.geen").get("/support"))
    assert "Vraag een klantportalbeheerder (Anna de Vries of Eva Visser)" in gijs


def test_in_english(anna):
    text = text_of(anna.get("/support", headers=ENGLISH))
    assert "You are a portal administrator and can give yourself the role Submit incidents" in text


def test_an_admins_request_for_a_role_is_refused_with_the_explanation(anna):
    response = anna.post("/contacts/access-requests", data={"role": "submitter", "reason": "graag"})
    text = text_of(response)
    assert response.status_code == 403
    assert "je hoeft de rol Incidenten insturen niet aan te vragen" in text
    assert "Geef jezelf de rol op Mijn contactpersonen" in text
    assert 'data-testid="grant-yourself"' in response.get_data(as_text=True)
    response = anna.post("/contacts/access-requests", data={"role": "viewer"}, headers=HTMX)
    assert response.status_code == 403
    assert "je hoeft de rol Incidenten bekijken niet aan te vragen" in text_of(response)
    assert AccessRequest.select().count() == 0


# --- Audit labels ----------------------------------------------------------------------------


def test_identity_and_course_entries_have_labels(anna):
    gijs = contact_named("gijs.geen")
    audit.record(gijs, "identity", "", "subject-123", field="oidc_subject")
    audit.record(gijs, "course", "", "8,0", field="SC-FIN")
    for kind, dutch, english in (("identity", "Koppeling inlogaccount", "Sign-in account link"),
                                 ("course", "Startcursusresultaat (SC-FIN)", "Start course result (SC-FIN)")):
        page = anna.get(f"/contacts/audit?kind={kind}").get_data(as_text=True)
        cells = re.findall(rf'<tr data-kind="{kind}">(.*?)</tr>', page, re.S)
        assert len(cells) == 1 and dutch in cells[0], kind
        assert f">{kind}</td>" not in page  # not the raw key
        assert f'<option value="{kind}" selected>' in page  # the filter offers it
        english_page = anna.get(f"/contacts/audit?kind={kind}", headers=ENGLISH).get_data(as_text=True)
        assert english in english_page, kind
    assert AuditEntry.select().where(AuditEntry.kind.in_(["identity", "course"])).count() == 2


def test_a_note_too_long_is_answered_422_beside_the_field_and_kept(anna, rendered):
    """htmx swaps the 422 into the request's own item (htmx-config in base.html)."""
    request = asked("gijs.geen", "viewer")
    note = "Welkom " + "x" * 500
    response = anna.post(f"/contacts/access-requests/{request.id}/approve", data={"note": note}, headers=HTMX)
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and rendered == [("contacts/decision.html", "request")]
    assert html.lstrip().startswith(f'<li id="request-{request.id}"')
    error = re.search(rf'<p class="error" id="note-{request.id}-error">(.*?)</p>', html, re.S)
    assert error and "Maximaal 500 tekens" in error.group(1)
    assert f'value="{note}"' in html  # nothing typed is lost
    rendered.clear()
    response = anna.post(f"/contacts/access-requests/{request.id}/approve", data={"note": note})
    assert response.status_code == 422 and rendered == [("contacts/decision.html", None)]
    assert AccessRequest.get_by_id(request.id).status == "pending" and not contact_named("gijs.geen").viewer
