"""One input-cleaning rule for every text field (issue 16, 5)."""

import csv
import io
import re

import pytest
from markupsafe import escape

from tests.conftest import contact_named
from tests.contacts.test_contacts import form_data
from webapp.models import AccessRequest, Contact
from webapp.quota import imports

HTMX = {"HX-Request": "true"}
CONTROL = {"NUL": "\x00", "ESC": "\x1b", "BEL": "\x07", "DEL": "\x7f", "CR": "\r", "LF": "\n", "TAB": "\t"}
BIDI = {"RLO": "\u202e", "LRI": "\u2066", "RLM": "\u200f"}
STUURTEKENS = "onzichtbare stuurtekens"
LEESRICHTING = "leesrichting"


@pytest.fixture
def anna(client, login):
    login(client, "anna.admin")
    return client


CONTACT_FIELDS = {
    "name": ("Gijs{}de Boer", {**CONTROL, **BIDI}),
    "email": ("gijs{}@korenschoof.example", {**CONTROL, **BIDI}),
    "function": ("Magazijn{}chef", CONTROL),
    "phone": ("06{}12345678", CONTROL),
}


@pytest.mark.parametrize("form", ["edit", "new"])
@pytest.mark.parametrize("field", list(CONTACT_FIELDS))
def test_contact_fields_refuse_control_and_direction_characters_beside_the_field(anna, form, field):
    pattern, characters = CONTACT_FIELDS[field]
    gijs = contact_named("gijs.geen")
    for label, character in characters.items():
        value = pattern.format(character)
        if form == "edit":
            url, data = f"/contacts/{gijs.id}/edit", form_data(gijs, **{field: value})
        else:
            url, data = "/contacts/new", form_data(
                **{"name": "Nieuwe Collega", "email": "nieuw@korenschoof.example", field: value})
        response = anna.post(url, data=data)
        page = response.get_data(as_text=True)
        assert response.status_code == 422, (field, label)
        error = re.search(rf'<p class="error" id="{field}-error">(.*?)</p>', page, re.S)
        expected = LEESRICHTING if label in BIDI else STUURTEKENS
        assert error and expected in error.group(1), (field, label, error and error.group(1))
        assert str(escape(value)) in page, (field, label)
    assert Contact.get_by_id(gijs.id).name == "Gijs de Boer"
    assert Contact.select().where(Contact.name == "Nieuwe Collega").count() == 0


@pytest.mark.parametrize("label", ["NUL", "ESC", "BEL", "DEL"])
def test_an_access_request_reason_refuses_control_characters(client, login, label):
    login(client, "gijs.geen")
    reason = f"Salaris{CONTROL[label]}administratie"
    response = client.post("/contacts/access-requests", data={"role": "submitter", "reason": reason})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    error = re.search(r'<p class="error" id="request-reason-error">(.*?)</p>', page, re.S)
    assert error and STUURTEKENS in error.group(1)
    assert AccessRequest.select().count() == 0


def test_an_access_request_reason_may_hold_line_breaks(client, login):
    login(client, "gijs.geen")
    response = client.post("/contacts/access-requests",
                           data={"role": "submitter", "reason": "Regel een\r\nRegel twee\tmet tab"})
    assert response.status_code == 303
    assert AccessRequest.get().reason == "Regel een\nRegel twee\tmet tab"


@pytest.mark.parametrize("label", ["NUL", "ESC", "BEL", "DEL", "CR", "LF"])
def test_a_decision_note_refuses_control_characters_and_keeps_the_request_pending(anna, label):
    gijs = contact_named("gijs.geen")
    item = AccessRequest.create(contact=gijs, role="viewer", reason="Overzicht nodig")
    note = f"Prima{CONTROL[label]}hoor"
    for verdict in ("approve", "deny"):
        response = anna.post(f"/contacts/access-requests/{item.id}/{verdict}", data={"note": note},
                             headers=HTMX)
        page = response.get_data(as_text=True)
        assert response.status_code == 422
        error = re.search(rf'<p class="error" id="note-{item.id}-error">(.*?)</p>', page, re.S)
        assert error and STUURTEKENS in error.group(1)
        assert str(escape(note)) in page
    assert AccessRequest.get_by_id(item.id).status == "pending"
    assert not Contact.get_by_id(gijs.id).viewer


def test_a_clean_decision_note_is_stored(anna):
    item = AccessRequest.create(contact=contact_named("gijs.geen"), role="viewer", reason="Overzicht")
    response = anna.post(f"/contacts/access-requests/{item.id}/deny", data={"note": "Vraag het Bram"},
                         headers=HTMX)
    assert response.status_code == 200
    assert AccessRequest.get_by_id(item.id).decision_note == "Vraag het Bram"


ADDRESSES = {
    "ilse.nieuw@korenschoof.example": True,
    "i.nieuw+support@mail.korenschoof.example": True,
    "ilse@xn--bcher-kva.example": True,
    "geen-adres": False,
    "ilse(at)korenschoof.example": False,
    "ilse nieuw@korenschoof.example": False,
    "ilse,nieuw@korenschoof.example": False,
    "ilse;nieuw@korenschoof.example": False,
    '"ilse"@korenschoof.example': False,
    "<ilse@korenschoof.example>": False,
    "ilse@korenschoof.x": False,
    "ilse@@korenschoof.example": False,
    "ilse@" + "k" * 242 + ".example": False,  # 255 characters: over SMTP's limit
}


@pytest.mark.parametrize(("address", "valid"), ADDRESSES.items())
def test_the_contact_form_and_the_import_accept_the_same_addresses(anna, address, valid):
    response = anna.post("/contacts/new", data=form_data(name="Ilse Nieuw", email=address))
    assert response.status_code == (303 if valid else 422)
    assert (Contact.get_or_none(Contact.email == address.lower()) is not None) is valid

    row = io.StringIO()
    new_contact = ["10001", "Ilse Nieuw", address, "2026-05-04", ""]
    csv.writer(row).writerows([imports.KINDS["contacts"].header, new_contact])
    with anna.application.app_context():
        try:
            imports.run("contacts", row.getvalue(), dry_run=True)
        except imports.Rejected as rejected:
            assert not valid
            assert "geen geldig e-mailadres" in rejected.problems[0].reason
        else:
            assert valid


@pytest.mark.parametrize("term", ["\x00", "Gijs\x00", "\x1b[31m", " Gijs\x07 "])
def test_a_contact_search_drops_control_characters_like_the_incident_search(anna, term):
    response = anna.get("/contacts", query_string={"q": term})
    assert response.status_code == 200
    if "Gijs" in term:
        assert "Gijs de Boer" in response.get_data(as_text=True)
