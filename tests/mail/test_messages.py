"""Each mail, caught by a real SMTP server, in Dutch and in English, with a link that opens
the page it is about for the recipient."""

import html
import re
from urllib.parse import urlsplit

import pytest
from markupsafe import escape

from tests.conftest import contact_named, sign_in
from tests.mail.conftest import deliver, html_of, subject_of, text_of
from webapp.contacts import roles
from webapp.db import write_transaction
from webapp.mail import outbox
from webapp.models import AccessRequest, Contact, Organisation
from webapp.quota import recalculation

ANNA = "anna.admin@korenschoof.example"
GIJS = "gijs.geen@korenschoof.example"


def choose_english(client):
    assert client.post("/language", data={"lang": "en", "next": "/"}).status_code == 302


def link_in(message) -> str:
    (url,) = [word for word in text_of(message).split() if word.startswith("http://localhost/")]
    return url


def opens(client, url: str, expected: str = "") -> None:
    """The link leads to a page that opens (200) for the signed-in recipient."""
    parts = urlsplit(url)
    page = client.get(parts.path)
    assert page.status_code == 200, url
    assert expected in page.get_data(as_text=True)


def request_role(client, role: str, reason: str = "Ik wil storingen melden.") -> AccessRequest:
    response = client.post("/contacts/access-requests", data={"role": role, "reason": reason})
    assert response.status_code == 303
    return AccessRequest.get(AccessRequest.role == role)


@pytest.mark.parametrize("language", ["nl", "en"])
def test_an_access_request_reaches_every_admin(mail_app, smtp, language):
    gijs, anna = mail_app.test_client(), mail_app.test_client()
    sign_in(gijs, "gijs.geen")
    sign_in(anna, "anna.admin")
    if language == "en":
        choose_english(anna)
    item = request_role(gijs, "viewer")
    assert smtp.messages == []  # nothing sent inside the request
    assert deliver(mail_app).delivered
    (mail,) = smtp.to(ANNA)
    if language == "nl":
        assert subject_of(mail) == "Gijs de Boer vraagt de rol Incidenten bekijken aan"
        assert "Keur de aanvraag goed of wijs haar af" in text_of(mail)
    else:
        assert subject_of(mail) == "Gijs de Boer requests the View incidents role"
        assert "Approve or refuse the request on My contacts" in text_of(mail)
    assert "Ik wil storingen melden." in text_of(mail) and "Ik wil storingen melden." in html_of(mail)
    url = link_in(mail)
    assert url == f"http://localhost/contacts#request-{item.id}"
    assert f'href="{url}"' in html_of(mail)
    opens(anna, url, f'id="request-{item.id}"')


@pytest.mark.parametrize("language", ["nl", "en"])
def test_a_refusal_says_the_maximum_was_reached(mail_app, smtp, language):
    gijs, anna = mail_app.test_client(), mail_app.test_client()
    sign_in(gijs, "gijs.geen")
    sign_in(anna, "anna.admin")
    if language == "en":
        choose_english(gijs)
    item = request_role(gijs, "submitter")
    response = anna.post(f"/contacts/access-requests/{item.id}/deny", data={"note": "Eerst iemand anders."})
    assert response.status_code == 303
    deliver(mail_app)
    (mail,) = smtp.to(GIJS)
    text = text_of(mail)
    if language == "nl":
        assert subject_of(mail) == "Je aanvraag voor Incidenten insturen is afgewezen"
        assert "afgewezen door Anna de Vries" in text
        assert "Het maximum van je organisatie is bereikt: 3 van 3" in text
    else:
        assert subject_of(mail) == "Your request for Submit incidents was refused"
        assert "refused by Anna de Vries" in text
        assert "Your organisation's maximum has been reached: 3 of 3" in text
    assert "Eerst iemand anders." in text
    url = link_in(mail)
    assert url == "http://localhost/"
    opens(gijs, url, 'data-testid="access-request"')


def test_an_approval_says_the_role_applies_now(mail_app, smtp):
    gijs, anna = mail_app.test_client(), mail_app.test_client()
    sign_in(gijs, "gijs.geen")
    sign_in(anna, "anna.admin")
    item = request_role(gijs, "viewer")
    assert anna.post(f"/contacts/access-requests/{item.id}/approve").status_code == 303
    deliver(mail_app)
    (mail,) = smtp.to(GIJS)  # the decision only: no separate role-change mail
    assert subject_of(mail) == "Je aanvraag voor Incidenten bekijken is goedgekeurd"
    assert "dat geldt meteen" in text_of(mail)
    assert "maximum" not in text_of(mail)


@pytest.mark.parametrize("language", ["nl", "en"])
def test_a_role_change_reaches_the_contact(mail_app, smtp, language):
    gijs, anna = mail_app.test_client(), mail_app.test_client()
    target = sign_in(gijs, "gijs.geen")
    sign_in(anna, "anna.admin")
    if language == "en":
        choose_english(gijs)
    assert anna.post(f"/contacts/{target.id}/roles/viewer", data={"grant": "1"}).status_code == 303
    assert anna.post(f"/contacts/{target.id}/roles/viewer").status_code == 303
    deliver(mail_app)
    granted, revoked = smtp.to(GIJS)
    if language == "nl":
        assert subject_of(granted) == "Je hebt de rol Incidenten bekijken gekregen"
        assert subject_of(revoked) == "Je rol Incidenten bekijken is ingetrokken"
        assert "Anna de Vries heeft je de rol Incidenten bekijken gegeven" in text_of(granted)
    else:
        assert subject_of(granted) == "You were given the role View incidents"
        assert subject_of(revoked) == "Your role View incidents was revoked"
    opens(gijs, link_in(revoked), 'id="mail-informational"')


def test_no_role_change_mail_after_opting_out(mail_app, smtp):
    gijs, anna = mail_app.test_client(), mail_app.test_client()
    target = sign_in(gijs, "gijs.geen")
    sign_in(anna, "anna.admin")
    assert gijs.post("/mail/preferences", data={}).status_code == 303
    assert Contact.get_by_id(target.id).mail_informational is False
    assert anna.post(f"/contacts/{target.id}/roles/viewer", data={"grant": "1"}).status_code == 303
    # Their own request's decision still goes.
    item = request_role(gijs, "submitter")
    anna.post(f"/contacts/access-requests/{item.id}/deny")
    deliver(mail_app)
    (mail,) = smtp.to(GIJS)
    assert "afgewezen" in subject_of(mail)


@pytest.mark.parametrize("language", ["nl", "en"])
def test_a_lowered_maximum_reaches_the_admins_with_the_explanation(mail_app, smtp, language):
    anna = mail_app.test_client()
    sign_in(anna, "anna.admin")
    if language == "en":
        choose_english(anna)
    # 180 → 8 employees: band 1-10, base 1, below the 3 in use.
    Organisation.update(employee_count=8).where(Organisation.customer_number == 10001).execute()
    with mail_app.app_context():
        recalculation.recompute()
    deliver(mail_app)
    (mail,) = smtp.to(ANNA)
    text = " ".join(text_of(mail).split())
    if language == "nl":
        assert subject_of(mail) == "Het maximum van Bakkerij De Korenschoof B.V. is nu 1"
        assert "van 3 naar 1. In gebruik: 3." in text
        assert "Er zijn 2 meer contactpersonen met de rol Incidenten insturen" in text
        assert "1–10 medewerkers: basis 1" in text  # the support page's explanation
    else:
        assert subject_of(mail) == "The maximum of Bakkerij De Korenschoof B.V. is now 1"
        assert "from 3 to 1. In use: 3." in text
        assert "There are 2 more contacts" in text
    assert not smtp.to("hugo.vandijk@vandijk.example")  # Van Dijk's maximum did not change
    url = link_in(mail)
    assert url == "http://localhost/support#maximum"
    opens(anna, url, 'data-testid="over-by"')
    # The mail words the maximum exactly as the support page it links to does.
    page = anna.get("/support").get_data(as_text=True)
    shown = html.unescape(re.search(r'data-testid="explanation">(.*?)</p>', page, re.S).group(1))
    assert shown.startswith("1–10 " + ("medewerkers: basis 1" if language == "nl" else "employees: base 1"))
    assert shown in text and str(escape(shown)) in html_of(mail)


def test_the_last_admin_deactivated_reaches_the_vendors_support(mail_app, smtp):
    """The rules keep the portal from deactivating the last admin (rule 1); an operator or
    an import can. The check runs on every admin's deactivation and mails only then."""
    with mail_app.app_context():
        anna, eva = contact_named("anna.admin"), contact_named("eva.bekijker")
        with write_transaction():
            roles.apply_role(anna, eva, "admin", True)
            roles.apply_active(anna, eva, False)  # Anna remains: no mail to support
        with write_transaction():
            Contact.update(active=False).where(Contact.id == anna.id).execute()
            outbox.last_admin_gone(anna)
    deliver(mail_app)
    (mail,) = smtp.to("support@klantportal.example")
    assert subject_of(mail) == "Bakkerij De Korenschoof B.V. heeft geen actieve klantportalbeheerder meer"
    assert "Anna de Vries (anna.admin@korenschoof.example)" in text_of(mail)
    assert "klantnummer 10001" in text_of(mail)
