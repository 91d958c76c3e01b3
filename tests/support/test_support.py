"""The support page: authorization and reasons, the maximum and why, contacting Support."""

import html
import re
from datetime import datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markupsafe import escape

from tests.conftest import sign_in
from webapp import clock, rules
from webapp.i18n import translate
from webapp.models import CallbackRequest, Contact, Organisation, QuotaRun
from webapp.quota import recalculation

PHONE = 'data-testid="support-phone"'
FORM = 'action="/support"'

# person -> what /support must show and must not (DESIGN §1.5, §4)
SUPPORT = {
    "anna.admin": (["Klantportalbeheerder", "Je mag geen incidenten insturen", "Anna de Vries",
                    "Je mag alle incidenten van je organisatie inzien."], [PHONE, FORM]),
    "bram.legacy": (["Je mag incidenten insturen en contact opnemen met Support.", PHONE, FORM,
                     "Niet nodig: je contactpersoon bestond al vóór 1 januari 2026."], []),
    "carla.cursus": (["Je mag incidenten insturen", PHONE, FORM, "Startcursus Beheerder Financieel",
                      "8,0", "Behaald."], []),
    "daan.onvoldoende": (["Je mag geen incidenten insturen", "Startcursus Beheerder HRM/Payroll",
                          "Je beste score is 6,5", "minimaal een 7", "Nog niet behaald"], [PHONE, FORM]),
    "eva.bekijker": (["Incidenten bekijken", "Je mag geen incidenten insturen",
                      "Je mag alle incidenten van je organisatie inzien."], [PHONE, FORM]),
    "femke.expert": (["Gecertificeerde Expert", "Voldaan als gecertificeerde Expert.", PHONE, FORM], []),
    "gijs.geen": (["Geen rollen", "Je hebt de rol Incidenten insturen niet",
                   "Vraag een klantportalbeheerder (Anna de Vries)", "Je mag geen incidenten inzien."],
                  [PHONE, FORM]),
    "hugo.vandijk": (["Maximum van Transportbedrijf Van Dijk", PHONE, FORM], ["Korenschoof"]),
}


@pytest.mark.parametrize("username", sorted(SUPPORT))
def test_access_table(client, login, username):
    shown, hidden = SUPPORT[username]
    login(client, username)
    response = client.get("/support")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    for text in shown + ["Waarom dit maximum?", "Berekend op", "Bijgewerkt op"]:
        assert text in page, f"{username}: {text!r} missing"
    for text in hidden:
        assert text not in page, f"{username}: {text!r} shown"


def test_support_phone_number_comes_from_the_configuration(make_app, seeded):
    client = make_app(SUPPORT_PHONE="020 - 555 0101").test_client()
    sign_in(client, "carla.cursus")
    assert "020 - 555 0101" in client.get("/support").get_data(as_text=True)


def test_the_maximum_in_use_and_experts(client, login):
    login(client, "eva.bekijker")
    page = client.get("/support").get_data(as_text=True)
    assert 'data-testid="max">3<' in page
    assert 'data-testid="in-use">3<' in page
    assert 'data-testid="experts">1<' in page
    assert "Het maximum is bereikt" in page
    assert shown_explanation(page).startswith("51–250 medewerkers: basis 3.")
    assert "51–250 medewerkers" in page


def shown_explanation(page: str) -> str:
    return html.unescape(re.search(r'data-testid="explanation">(.*?)</p>', page, re.S).group(1))


def rules_wording(app, organisation: Organisation, language: str) -> str:
    """The rules' rendering of the stored figures, in ``language``."""
    _band, explanation = rules.explain_stored(
        organisation.max_band_min, organisation.max_band_max, organisation.max_base,
        organisation.max_peer_count, organisation.max_p75, organisation.max_submitters,
    )
    with app.test_request_context(headers={"Accept-Language": language}):
        return translate(explanation)


@pytest.mark.parametrize(
    ("language", "compared", "start"),
    [
        ("nl", True, "51–250 medewerkers: basis 3. 0 vergelijkbare klanten (zelfde grootte en segment)"),
        ("en", True, "51–250 employees: base 3. 0 comparable customers (same size and segment)"),
        ("nl", False, "51–250 medewerkers: basis 3. Nog niet vergeleken met vergelijkbare klanten"),
        ("en", False, "51–250 employees: base 3. Not yet compared with comparable customers"),
    ],
)
def test_the_explanation_is_the_rules_wording_of_the_stored_figures(client, login, language, compared, start):
    """Recalculated, or imported and not yet compared: the page words the stored figures as
    ``rules.explain_stored`` does, in the reader's language; no text is stored."""
    login(client, "anna.admin")
    if not compared:
        Organisation.update(max_peer_count=None, max_p75=None).where(
            Organisation.customer_number == 10001
        ).execute()
    page = client.get("/support", headers={"Accept-Language": language}).get_data(as_text=True)
    korenschoof = Organisation.get(customer_number=10001)
    assert shown_explanation(page) == rules_wording(client.application, korenschoof, language)
    assert shown_explanation(page).startswith(start)


def facts(page: str, testid: str) -> str:
    return re.search(rf'data-testid="{testid}">(.*?)</dd>', page, re.S).group(1).strip()


def recompute_at(app, monkeypatch, when: datetime):
    with monkeypatch.context() as patch, app.app_context():
        patch.setattr(clock, "now", lambda: when)  # only for the run: sessions keep real time
        recalculation.recompute()


def test_computed_last_night_and_updated_when_the_figures_changed(client, login, monkeypatch):
    login(client, "anna.admin")
    recompute_at(client.application, monkeypatch, datetime(2027, 1, 2, 1, 0))  # 02:00 in Amsterdam
    QuotaRun.create(started_at=datetime(2027, 1, 3, 1, 0), outcome="failed")  # not shown
    page = client.get("/support").get_data(as_text=True)
    # The seed's figures stand, so the run rewrote nothing.
    assert facts(page, "computed-at") == "2 januari 2027 02:00"
    assert facts(page, "changed-at") not in ("", "2 januari 2027 02:00")

    Organisation.update(max_submitters=1).where(Organisation.customer_number == 10001).execute()
    recompute_at(client.application, monkeypatch, datetime(2027, 1, 4, 1, 0))
    page = client.get("/support").get_data(as_text=True)
    assert (facts(page, "computed-at"), facts(page, "changed-at")) == (
        "4 januari 2027 02:00", "4 januari 2027 02:00"
    )


def test_an_organisation_never_computed_says_so(client, login):
    login(client, "anna.admin")
    Organisation.update(max_computed_at=None).where(Organisation.customer_number == 10001).execute()
    page = client.get("/support").get_data(as_text=True)
    assert facts(page, "computed-at") == "nog niet berekend"
    assert 'data-testid="changed-at"' not in page


def test_a_maximum_below_the_number_in_use_says_how_many_over(client, login):
    login(client, "anna.admin")
    Organisation.update(max_submitters=1).where(Organisation.customer_number == 10001).execute()
    page = client.get("/support").get_data(as_text=True)
    over = re.search(r'data-testid="over-by">(.*?)</p>', page, re.S).group(1)
    assert "Er zijn 2 meer contactpersonen" in over and "Niemand verliest de rol" in over


def test_a_callback_request_is_stored_and_confirmed(client, login):
    carla = login(client, "carla.cursus")
    response = client.post(
        "/support", data={"phone": " +31 6-1234 5678 ", "topic": "Over incident 2026-000003",
                          "preferred_moment": "middag"}
    )
    assert response.status_code == 303
    assert response.headers["Location"] == "/support#terugbellen"
    stored = CallbackRequest.get(CallbackRequest.contact == carla)
    assert (stored.phone, stored.topic, stored.preferred_moment) == (
        "+31 6-1234 5678", "Over incident 2026-000003", "middag")
    page = client.get("/support").get_data(as_text=True)
    assert "Je terugbelverzoek is ontvangen. Support belt je terug op +31 6-1234 5678 (in de middag)." in page
    assert "Over incident 2026-000003" in page


@pytest.mark.parametrize("phone", ["0612345678", "06-12345678", "06 1234 5678", "+31612345678",
                                   "+31 20 123 4567", "0031 20 123 4567", "020-1234567"])
def test_dutch_phone_numbers_are_accepted(client, login, phone):
    login(client, "bram.legacy")
    data = {"phone": phone, "topic": "Vraag over de factuurrun", "preferred_moment": "ochtend"}
    assert client.post("/support", data=data).status_code == 303


def _callback(**override):
    data = {"phone": "06 12345678", "topic": "Vraag over de factuurrun", "preferred_moment": "ochtend"}
    data.update(override)
    return data


BAD_CALLBACKS = [
    ("phone", "", "Vul het telefoonnummer in waarop we je kunnen bellen."),
    ("phone", "   ", "Vul het telefoonnummer in waarop we je kunnen bellen."),
    ("phone", "12345", "Vul een Nederlands telefoonnummer in"),
    ("phone", "06-1234567", "Vul een Nederlands telefoonnummer in"),
    ("phone", "06 1234 56789", "Vul een Nederlands telefoonnummer in"),
    ("phone", "+32 470 12 34 56", "Vul een Nederlands telefoonnummer in"),
    ("phone", "00 12345678", "Vul een Nederlands telefoonnummer in"),
    ("phone", "<script>alert(1)</script>", "Vul een Nederlands telefoonnummer in"),
    ("phone", "0612345678\x00", "onzichtbare stuurtekens"),
    ("phone", "0" * 41, "Te lang: gebruik hoogstens 40 tekens (nu 41)."),
    ("topic", "", "Vul in waarover je gebeld wilt worden."),
    ("topic", " \t ", "Vul in waarover je gebeld wilt worden."),
    ("topic", "abc", "Te kort: gebruik minstens 5 tekens (nu 3)."),
    ("topic", "y" * 201, "Te lang: gebruik hoogstens 200 tekens (nu 201)."),
    ("topic", "Regel\neen twee", "onzichtbare stuurtekens"),
    ("topic", "<b>vet</b> en <script>x</script>", None),  # valid: stored as typed, shown escaped
    ("preferred_moment", "", "Kies wanneer we je het beste kunnen bellen."),
    ("preferred_moment", "nacht", "Kies een van de momenten uit de lijst."),
]


@pytest.mark.parametrize(("field", "value", "message"), BAD_CALLBACKS)
def test_bad_callback_input_is_explained_and_kept(client, login, field, value, message):
    login(client, "carla.cursus")
    data = _callback(**{field: value})
    response = client.post("/support", data=data)
    if message is None:
        assert response.status_code == 303
        page = client.get("/support").get_data(as_text=True)
        assert str(escape(value)) in page and value not in page
        return
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    error = re.search(rf'<p class="error" id="{field}-error">(.*?)</p>', page, re.S)
    assert error, f"no error beside {field}"
    assert str(escape(message)) in error.group(1)
    for name in ("phone", "topic"):
        assert str(escape(data[name].strip())) in page, f"typed {name} lost"
    assert CallbackRequest.select().count() == 0


@pytest.mark.parametrize("username", ["anna.admin", "daan.onvoldoende", "eva.bekijker", "gijs.geen"])
def test_a_callback_without_permission_gets_the_explained_refusal(client, login, username, rendered):
    login(client, username)
    response = client.post("/support", data=_callback())
    assert response.status_code == 403
    page = response.get_data(as_text=True)
    assert "Niet geautoriseerd" in page and 'class="reasons"' in page
    rendered.clear()
    htmx = client.post("/support", data=_callback(), headers={"HX-Request": "true"})
    assert htmx.status_code == 403 and rendered == [("refused.html", "refusal")]
    assert CallbackRequest.select().count() == 0


def test_the_contacts_own_phone_number_is_suggested(client, login):
    carla = login(client, "carla.cursus")
    Contact.update(phone="06 98765432").where(Contact.id == carla.id).execute()
    assert 'value="06 98765432"' in client.get("/support").get_data(as_text=True)


def test_a_callback_post_without_csrf_token_is_refused(make_app, seeded):
    client = make_app(WTF_CSRF_ENABLED=True).test_client()
    sign_in(client, "carla.cursus")
    assert client.post("/support", data=_callback()).status_code == 400
    assert CallbackRequest.select().count() == 0


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    data=st.fixed_dictionaries(
        {
            name: st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=80)
            for name in ("phone", "topic", "preferred_moment")
        }
    )
)
def test_fuzzed_callback_form_never_fails(client, login, data):
    login(client, "bram.legacy")
    assert client.post("/support", data=data).status_code in (422, 303)


def test_callback_requests_are_rate_limited(make_app, seeded):
    client = make_app(RATELIMIT_ENABLED=True).test_client()
    sign_in(client, "carla.cursus")
    statuses = [client.post("/support", data=_callback(phone="fout")).status_code for _ in range(6)]
    assert statuses == [422] * 5 + [429]
