"""Incidents: who sees which page, the list, the form and its bad input, reactions, CSRF, queries."""

import re
from contextlib import contextmanager

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markupsafe import escape

from tests.conftest import contact_named, sign_in
from webapp import clock
from webapp.db import db
from webapp.models import (
    ContactProfile,
    Incident,
    IncidentStatusChange,
    Organisation,
    Reaction,
    SubmissionProfile,
)

CARLAS = "2026-000003"  # seeded: Carla's "Bankkoppeling ING haalt geen afschriften op"
NEW_BUTTON = 'id="new-incident"'

# person -> /incidents: status, must show, must not show (DESIGN §4 and §5)
LIST = {
    "anna.admin": (200, ["Incidenten van Bakkerij De Korenschoof B.V.", "Melder", "Carla Smit",
                         "Bankkoppeling ING", "Btw-aangifte"], [NEW_BUTTON, "Reiskostenvergoeding"]),
    "bram.legacy": (200, ["Mijn incidenten", "Btw-aangifte", NEW_BUTTON], ["Bankkoppeling ING", "Melder"]),
    "carla.cursus": (200, ["Mijn incidenten", "Bankkoppeling ING", NEW_BUTTON], ["Btw-aangifte"]),
    "daan.onvoldoende": (200, ["Je hebt nog geen incidenten ingestuurd."], [NEW_BUTTON, "Btw-aangifte"]),
    "eva.bekijker": (200, ["Incidenten van Bakkerij De Korenschoof B.V.", "Melder", "Bram Jansen",
                           "Bankkoppeling ING"], [NEW_BUTTON]),
    "femke.expert": (200, ["Afschrijvingsschema", NEW_BUTTON], ["Btw-aangifte", "Bankkoppeling ING"]),
    "gijs.geen": (403, ["Niet geautoriseerd", "Incidenten bekijken", "Anna de Vries"], ["Btw-aangifte"]),
    "hugo.vandijk": (200, ["Incidenten van Transportbedrijf Van Dijk", "Reiskostenvergoeding", NEW_BUTTON],
                     ["Bankkoppeling ING", "Btw-aangifte"]),
}
# person -> /incidents/new
NEW = {
    "anna.admin": (403, ["Niet geautoriseerd", "Incidenten insturen", "Anna de Vries"], ["<form class"]),
    "bram.legacy": (200, ["Nieuw incident", "Financieel", "HRM/Payroll", "Kies een instuurprofiel"], []),
    "carla.cursus": (200, ["Nieuw incident", '<option value="1" selected>Financieel'], ["HRM/Payroll"]),
    "daan.onvoldoende": (403, ["Niet geautoriseerd", "Startcursus Beheerder HRM/Payroll", "6,5",
                               "minimaal een 7"], ["<form class"]),
    "eva.bekijker": (403, ["Niet geautoriseerd", "Incidenten insturen", "Anna de Vries"], ["<form class"]),
    "femke.expert": (200, ["Financieel", "HRM/Payroll"], []),
    "gijs.geen": (403, ["Niet geautoriseerd", "Je hebt de rol Incidenten insturen niet", "Anna de Vries"],
                  ["<form class"]),
    "hugo.vandijk": (200, ["HRM/Payroll"], ["Financieel"]),
}
# person -> /incidents/<Carla's incident>
DETAIL = {
    "anna.admin": (200, ["Bankkoppeling ING", "Carla Smit", "alleen de melder"], ['name="body"']),
    "bram.legacy": (404, ["Niet gevonden"], ["Bankkoppeling ING"]),
    "carla.cursus": (200, ["Bankkoppeling ING", "Statusverloop", "Nieuw", 'name="body"'], []),
    "daan.onvoldoende": (404, ["Niet gevonden"], ["Bankkoppeling ING"]),
    "eva.bekijker": (200, ["Bankkoppeling ING", "alleen de melder"], ['name="body"']),
    "femke.expert": (404, ["Niet gevonden"], ["Bankkoppeling ING"]),
    "gijs.geen": (403, ["Niet geautoriseerd", "Anna de Vries"], ["Bankkoppeling ING"]),
    "hugo.vandijk": (404, ["Niet gevonden"], ["Bankkoppeling ING"]),
}
PAGES = {"/incidents": LIST, "/incidents/new": NEW, f"/incidents/{CARLAS}": DETAIL}


@pytest.mark.parametrize(
    ("path", "username"), [(path, person) for path, table in PAGES.items() for person in sorted(table)]
)
def test_access_table(client, login, path, username):
    status, shown, hidden = PAGES[path][username]
    login(client, username)
    response = client.get(path)
    page = response.get_data(as_text=True)
    assert response.status_code == status
    for text in shown:
        assert text in page, f"{username} {path}: {text!r} missing"
    for text in hidden:
        assert text not in page, f"{username} {path}: {text!r} shown"


def test_signed_out_visitor_is_sent_to_sign_in(client, seeded):
    response = client.get("/incidents")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=%2Fincidents")


# ---------------------------------------------------------------------------
# The list: filter, search, pagination
# ---------------------------------------------------------------------------


def _add_incidents(username: str, count: int, subject: str = "Testincident") -> None:
    """Insert ``count`` incidents reported by ``username`` in one statement batch."""
    reporter = contact_named(username)
    profile = SubmissionProfile.get(name="Financieel")
    now = clock.now()
    start = Organisation.get_by_id(reporter.organisation_id).incident_sequence
    rows = [
        {
            "organisation": reporter.organisation_id, "number": f"2026-{start + i + 1:06d}",
            "reporter": reporter.id, "profile": profile.id, "subject": f"{subject} {i + 1}",
            "description": "Een omschrijving van minstens twintig tekens.", "created_at": now,
            "updated_at": now,
        }
        for i in range(count)
    ]
    with db.atomic():
        for batch in range(0, count, 200):
            Incident.insert_many(rows[batch : batch + 200]).execute()
        Organisation.update(incident_sequence=start + count).where(
            Organisation.id == reporter.organisation_id
        ).execute()


def _rows(page: str) -> list[str]:
    return re.findall(r'<tr data-number="([^"]+)"', page)


def test_status_filter_shows_only_that_status(client, login):
    login(client, "anna.admin")
    page = client.get("/incidents?status=opgelost").get_data(as_text=True)
    assert "Loonstrook toont oude cao-schaal" in page
    assert "Btw-aangifte" not in page
    assert '<option value="opgelost" selected>Opgelost</option>' in page


def test_search_as_you_type_returns_the_results_fragment(client, login, rendered):
    login(client, "eva.bekijker")
    response = client.get(
        "/incidents?q=bankkoppeling", headers={"HX-Request": "true", "HX-Target": "incident-results"}
    )
    fragment = response.get_data(as_text=True)
    assert response.status_code == 200
    assert fragment.lstrip().startswith('<section id="incident-results"')
    assert rendered == [("incidents/index.html", "results")]
    assert _rows(fragment) == [CARLAS]
    assert "Vary" in response.headers and "HX-Request" in response.headers["Vary"]


def test_search_finds_by_number_and_a_miss_says_so(client, login):
    login(client, "anna.admin")
    assert _rows(client.get("/incidents?q=000004").get_data(as_text=True)) == ["2026-000004"]
    page = client.get("/incidents?q=bestaat+niet").get_data(as_text=True)
    assert "Geen incidenten gevonden" in page


def test_each_number_in_the_list_links_to_its_incident(client, login):
    login(client, "anna.admin")
    page = client.get("/incidents").get_data(as_text=True)
    links = re.findall(r'<a href="([^"]+)">(\d{4}-\d{6})</a>', page)
    assert len(links) == len(_rows(page)) > 1
    for href, number in links:
        assert href == f"/incidents/{number}"
        assert f'<h1><span class="number">{number}</span>' in client.get(href).get_data(as_text=True)


@pytest.mark.parametrize("term", ["%", "_", "\x00", "'; DROP TABLE incident; --", "é" * 500])
def test_odd_search_terms_are_harmless(client, login, term):
    login(client, "anna.admin")
    response = client.get("/incidents", query_string={"q": term, "status": "verzonnen", "page": "-1"})
    assert response.status_code == 200


def test_pagination_shows_25_a_page_and_clamps(client, login):
    login(client, "anna.admin")
    _add_incidents("bram.legacy", 60)  # 65 with the seeded five
    first = client.get("/incidents").get_data(as_text=True)
    assert len(_rows(first)) == 25
    assert "Pagina 1 van 3" in first
    assert 'rel="next"' in first
    last = client.get("/incidents?page=3").get_data(as_text=True)
    assert len(_rows(last)) == 15
    assert client.get("/incidents?page=999").get_data(as_text=True).count("<tr data-number") == 15
    assert len(_rows(client.get("/incidents?page=abc").get_data(as_text=True))) == 25


@contextmanager
def counting_statements():
    """Record every SQL statement the database executes."""
    statements = []
    database = db.obj
    original = database.execute_sql

    def execute_sql(sql, params=None):
        statements.append(sql)
        return original(sql, params)

    database.execute_sql = execute_sql
    try:
        yield statements
    finally:
        del database.execute_sql


def _statements_for(client, path: str) -> list[str]:
    with counting_statements() as statements:
        assert client.get(path).status_code == 200
    # The session's sliding expiry writes at most once a minute, whatever the page shows.
    return [s for s in statements if not s.startswith('UPDATE "web_session"')]


@pytest.mark.parametrize("username", ["anna.admin", "carla.cursus"])
def test_query_count_does_not_grow_with_incidents(client, login, username):
    login(client, username)
    _add_incidents("carla.cursus", 5)  # 10 in the organisation
    with_ten = _statements_for(client, "/incidents")
    _add_incidents("carla.cursus", 990)  # 1,000
    with_thousand = _statements_for(client, "/incidents")
    assert len(_rows(client.get("/incidents").get_data(as_text=True))) == 25
    assert len(with_thousand) == len(with_ten), "\n".join(with_thousand)


# ---------------------------------------------------------------------------
# The incident form
# ---------------------------------------------------------------------------


def _profile_id(name: str) -> str:
    return str(SubmissionProfile.get(name=name).id)


def _valid(**override) -> dict:
    data = {
        "profile": _profile_id("Financieel"),
        "subject": "Factuurrun stopt halverwege",
        "description": "Sinds de update van vannacht stopt de factuurrun bij klant 1200.",
        "priority": "hoog",
        "reference": "INT-77",
    }
    data.update(override)
    return data


def test_submitting_stores_the_incident_and_lands_on_its_page(client, login):
    carla = login(client, "carla.cursus")
    before = Organisation.get_by_id(carla.organisation_id).incident_sequence
    response = client.post("/incidents/new", data=_valid(subject="  Factuurrun stopt halverwege  "))
    assert response.status_code == 303
    number = f"{clock.local(clock.now()).year}-{before + 1:06d}"
    assert response.headers["Location"] == f"/incidents/{number}"
    incident = Incident.get(Incident.number == number, Incident.organisation == carla.organisation_id)
    assert (incident.subject, incident.priority, incident.reference, incident.status) == (
        "Factuurrun stopt halverwege", "hoog", "INT-77", "nieuw")
    assert incident.reporter_id == carla.id
    assert [c.status for c in incident.status_changes] == ["nieuw"]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f"Je incident is ingestuurd met nummer {number}." in page
    assert number in client.get("/incidents").get_data(as_text=True)


def test_the_number_of_incidents_shown_follows_new_ones_and_the_filters(app, client, login):
    anna = login(client, "anna.admin")

    def shown(query=""):
        page = client.get(f"/incidents{query}").get_data(as_text=True)
        return int(re.search(r'data-testid="result-count">\s*(\d+) incident', page).group(1))

    def stored(*where):
        return Incident.select().where(Incident.organisation == anna.organisation_id, *where).count()

    before = shown()
    assert before == stored()
    carla = app.test_client()
    sign_in(carla, "carla.cursus")
    assert carla.post("/incidents/new", data=_valid()).status_code == 303
    assert shown() == before + 1 == stored()
    assert shown("?status=nieuw") == stored(Incident.status == "nieuw")
    assert shown("?q=Factuurrun") == stored(Incident.subject.contains("Factuurrun")) >= 1


def test_numbers_are_unique_within_the_organisation(client, login):
    login(client, "carla.cursus")
    numbers = {client.post("/incidents/new", data=_valid()).headers["Location"] for _ in range(3)}
    assert len(numbers) == 3
    # Van Dijk counts on its own: its next number can equal one of Korenschoof's...
    login(client, "hugo.vandijk")
    hrm = _valid(profile=_profile_id("HRM/Payroll"))
    location = client.post("/incidents/new", data=hrm).headers["Location"]
    assert location == f"/incidents/{CARLAS}"
    # ...and still means Hugo's own incident to Hugo.
    page = client.get(location).get_data(as_text=True)
    assert "Factuurrun stopt halverwege" in page and "Bankkoppeling ING" not in page


def test_the_form_explains_each_priority(client, login):
    login(client, "bram.legacy")
    page = client.get("/incidents/new").get_data(as_text=True)
    for level in ("Laag", "Normaal", "Hoog", "Kritiek"):
        assert f">{level}</label>" in page
    assert "er is een omweg" in page
    assert 'value="normaal" checked' in page


TOO_LONG = "x" * 20_001
BAD_INPUT = [
    ("subject", "", "Vul een onderwerp in."),
    ("subject", "   \t  ", "Vul een onderwerp in."),
    ("subject", "abc", "Te kort: gebruik minstens 5 tekens (nu 3)."),
    ("subject", "x" * 201, "Te lang: gebruik hoogstens 200 tekens (nu 201)."),
    ("subject", "Bel\x07letje", "onzichtbare stuurtekens"),
    ("subject", "Nul\x00byte in het onderwerp", "onzichtbare stuurtekens"),
    ("description", "", "Beschrijf het probleem."),
    ("description", "  \n\n \t ", "Beschrijf het probleem."),
    ("description", "<script>x</script>", "Te kort: gebruik minstens 20 tekens (nu 18)."),
    ("description", TOO_LONG, "Te lang: gebruik hoogstens 20.000 tekens (nu 20.001)."),
    ("description", "Tekst met een escape\x1b[31m erin, lang genoeg", "onzichtbare stuurtekens"),
    ("priority", "", "Kies een prioriteit."),
    ("priority", "dringend", "Kies een van de prioriteiten uit de lijst."),
    ("reference", "r" * 101, "Te lang: gebruik hoogstens 100 tekens (nu 101)."),
    ("reference", "ref\x0bnummer", "onzichtbare stuurtekens"),
    ("profile", "", "Kies een instuurprofiel."),
    ("profile", "abc", "Kies een instuurprofiel uit de lijst."),
    ("profile", "999999", "Kies een instuurprofiel uit de lijst."),
    ("profile", "99999999999999999999", "Kies een instuurprofiel uit de lijst."),
    ("profile", "1 OR 1=1", "Kies een instuurprofiel uit de lijst."),
]


@pytest.mark.parametrize(("field", "value", "message"), BAD_INPUT)
def test_bad_input_is_explained_beside_the_field_and_nothing_is_lost(client, login, field, value, message):
    login(client, "carla.cursus")
    before = Incident.select().count()
    data = _valid(**{field: value})
    response = client.post("/incidents/new", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    error = re.search(rf'<p class="error" id="{field}-error">(.*?)</p>', page, re.S)
    assert error, f"no error beside {field}"
    assert str(escape(message)) in error.group(1)
    assert "Het incident is nog niet ingestuurd" in page
    for name, typed in data.items():
        if name not in ("profile", "priority"):  # options, not typed text
            assert str(escape(typed.strip())) in page, f"typed {name} lost"
    assert Incident.select().count() == before


def test_a_held_profile_without_the_course_is_refused_with_the_reason(client, login):
    carla = login(client, "carla.cursus")
    ContactProfile.create(contact=carla, profile=SubmissionProfile.get(name="HRM/Payroll"))
    form = client.get("/incidents/new").get_data(as_text=True)
    assert "HRM/Payroll" not in form  # only profiles she qualifies for are offered
    before = Incident.select().count()
    hrm = _valid(profile=_profile_id("HRM/Payroll"))
    response = client.post("/incidents/new", data=hrm)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    error = re.search(r'<p class="error" id="profile-error">(.*?)</p>', page, re.S).group(1)
    assert "Startcursus Beheerder HRM/Payroll" in error and "minimaal een 7" in error
    assert Incident.select().count() == before


def test_a_profile_the_contact_does_not_hold_is_refused(client, login):
    login(client, "carla.cursus")
    page = client.post("/incidents/new", data=_valid(profile=_profile_id("CRM"))).get_data(as_text=True)
    assert "Je hebt het instuurprofiel CRM niet." in page
    assert "Anna de Vries" in page


def test_html_is_stored_as_typed_and_shown_escaped(client, login):
    login(client, "carla.cursus")
    subject = "<script>alert('x')</script> <b>vet</b>"
    response = client.post("/incidents/new", data=_valid(subject=subject))
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &lt;b&gt;vet&lt;/b&gt;" in page
    assert "<script>alert" not in page
    assert Incident.get(Incident.subject == subject)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    data=st.fixed_dictionaries(
        {
            name: st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=300)
            for name in ("profile", "subject", "description", "priority", "reference")
        }
    )
)
def test_fuzzed_incident_form_never_fails(client, login, data):
    login(client, "carla.cursus")
    response = client.post("/incidents/new", data=data)
    assert response.status_code in (422, 303)


# ---------------------------------------------------------------------------
# Detail and reactions
# ---------------------------------------------------------------------------


def test_detail_shows_history_and_support_reactions(client, login):
    login(client, "bram.legacy")
    page = client.get("/incidents/2026-000002").get_data(as_text=True)
    for status in ("Nieuw", "In behandeling", "Wacht op jouw reactie", "Opgelost"):
        assert status in page
    assert "Dank voor je melding" in page
    assert "<strong>Support</strong>" in page


def test_the_reporter_reacts(client, login):
    carla = login(client, "carla.cursus")
    response = client.post(f"/incidents/{CARLAS}", data={"body": "Het gebeurt ook <b>vandaag</b>.\r\nGroet"})
    assert response.status_code == 303
    assert response.headers["Location"] == f"/incidents/{CARLAS}#reacties"
    reaction = Reaction.get(Reaction.author == carla)
    assert reaction.body == "Het gebeurt ook <b>vandaag</b>.\nGroet"
    page = client.get(f"/incidents/{CARLAS}").get_data(as_text=True)
    assert "Je reactie is toegevoegd." in page
    assert "Het gebeurt ook &lt;b&gt;vandaag&lt;/b&gt;." in page


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("", "Schrijf een reactie."),
        ("   \n ", "Schrijf een reactie."),
        ("Met een bel\x07", "onzichtbare stuurtekens"),
        (TOO_LONG, "Te lang: gebruik hoogstens 20.000 tekens (nu 20.001)."),
    ],
)
def test_bad_reactions_are_explained_and_kept(client, login, body, message):
    login(client, "carla.cursus")
    response = client.post(f"/incidents/{CARLAS}", data={"body": body})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert str(escape(message)) in page
    assert str(escape(body.strip())) in page
    assert Reaction.select().where(Reaction.author.is_null(False)).count() == 0


@pytest.mark.parametrize(("username", "status"), [("eva.bekijker", 403), ("anna.admin", 403),
                                                  ("bram.legacy", 404), ("hugo.vandijk", 404)])
def test_only_the_reporter_may_react(client, login, username, status):
    login(client, username)
    response = client.post(f"/incidents/{CARLAS}", data={"body": "Mag ik hier ook iets over zeggen?"})
    assert response.status_code == status
    if status == 403:
        assert "alleen de melder" in response.get_data(as_text=True)
    assert Reaction.select().where(Reaction.author.is_null(False)).count() == 0


@pytest.mark.parametrize("number", ["2026-999999", "new-ish", "2026-00000%00", "'%3B--", "2026-0000001"])
def test_unknown_numbers_answer_404(client, login, number):
    login(client, "anna.admin")
    assert client.get(f"/incidents/{number}").status_code == 404


def test_a_refusal_to_htmx_is_a_fragment(client, login, rendered):
    login(client, "daan.onvoldoende")
    response = client.get("/incidents/new", headers={"HX-Request": "true"})
    assert response.status_code == 403
    body = response.get_data(as_text=True)
    assert rendered == [("refused.html", "refusal")]
    assert 'id="refusal"' in body and "6,5" in body


def test_other_htmx_requests_and_history_restores_get_the_whole_list_page(client, login, rendered):
    """Only the search box and the pager (targeting the results) get the fragment; a history
    restore after htmx's cache missed, or any other target, gets the page to show whole."""
    login(client, "eva.bekijker")
    results = {"HX-Request": "true", "HX-Target": "incident-results"}
    for headers in ({"HX-Request": "true"}, {**results, "HX-History-Restore-Request": "true"},
                    {**results, "HX-Boosted": "true"}):
        rendered.clear()
        response = client.get("/incidents?q=bankkoppeling", headers=headers)
        assert response.status_code == 200 and rendered == [("incidents/index.html", None)], headers
        assert '<html lang="nl">' in response.get_data(as_text=True)


# ---------------------------------------------------------------------------
# CSRF
# ---------------------------------------------------------------------------


def _token(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def test_posts_without_the_csrf_token_are_refused(make_app, seeded):
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    sign_in(client, "carla.cursus")
    page = client.get("/incidents/new").get_data(as_text=True)
    before = Incident.select().count()

    assert client.post("/incidents/new", data=_valid()).status_code == 400
    assert client.post(f"/incidents/{CARLAS}", data={"body": "Zonder token"}).status_code == 400
    assert Incident.select().count() == before

    # The page's form carries the token; htmx sends the meta tag's token as a header.
    assert '<meta name="csrf-token" content="' in page
    assert client.post("/incidents/new", data={**_valid(), "csrf_token": _token(page)}).status_code == 303
    response = client.post("/incidents/new", data=_valid(), headers={"X-CSRFToken": _token(page)})
    assert response.status_code == 303


def test_portal_js_adds_the_token_to_every_htmx_request(client, login):
    login(client, "carla.cursus")
    page = client.get("/incidents").get_data(as_text=True)
    assert "/static/js/portal.js" in page
    script = client.get("/static/js/portal.js").get_data(as_text=True)
    assert "htmx:configRequest" in script and "X-CSRFToken" in script


def test_status_history_is_written_for_a_new_incident(client, login):
    login(client, "femke.expert")
    location = client.post("/incidents/new", data=_valid()).headers["Location"]
    incident = Incident.get(Incident.number == location.rsplit("/", 1)[1],
                            Incident.organisation == contact_named("femke.expert").organisation_id)
    assert IncidentStatusChange.select().where(IncidentStatusChange.incident == incident).count() == 1
