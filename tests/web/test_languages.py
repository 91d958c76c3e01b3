"""English is complete: every page a demo person can reach, in English, shows no Dutch.

The catalogue (translations/en/LC_MESSAGES/messages.po) must cover a fresh extraction
with no empty or fuzzy entries, so a new untranslated string fails here. Then every page
each demo person can reach is rendered twice, with ``Accept-Language: en`` and with the
Dutch default, and each render is checked against the other language's catalogue texts.

Demo *data* stays Dutch in both languages and is removed before checking: names of people
and organisations, e-mail addresses, incident subjects, descriptions and reactions (typed by
people), profile and course names (``Financieel``, ``Startcursus Beheerder HRM/Payroll``:
product names from the course catalogue) and segments. Everything else on a page is
interface text and must be in the reader's language.
"""

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po

from tests.conftest import contact_named, sign_in
from webapp.models import (
    CallbackRequest,
    Contact,
    Course,
    Incident,
    Organisation,
    Reaction,
    SubmissionProfile,
)
from webapp.seed import CONTACTS

ROOT = Path(__file__).resolve().parents[2]
PO = ROOT / "translations" / "en" / "LC_MESSAGES" / "messages.po"
POT = ROOT / "translations" / "messages.pot"
PEOPLE = sorted(username for username, *_ in CONTACTS)
ENGLISH = {"Accept-Language": "en"}
DUTCH = {"Accept-Language": "nl"}
HTMX = {"HX-Request": "true"}
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")

# Dutch words that never belong on an English page (demo data removed first).
DUTCH_WORDS = re.compile(
    r"\b(het|niet|een|je|jouw|van|voor|geen|wordt|naar|alleen|nog|bij|zijn|maar|"
    r"incidenten|contactpersoon|contactpersonen|afmelden|aanmelden|bijgewerkt|"
    r"instuurprofiel\w*|klantportalbeheerder\w*|medewerkers|vergelijkbare|behandeling)\b",
    re.IGNORECASE,
)


def _catalogue(path: Path):
    with path.open("rb") as file:
        return read_po(file)


def _forms(message) -> list[str]:
    return list(message.id) if isinstance(message.id, tuple) else [message.id]


def _strings(message) -> list[str]:
    return list(message.string) if isinstance(message.string, tuple) else [message.string]


def _phrases(texts) -> set[str]:
    """The literal parts between placeholders that are at least two words long."""
    return {
        part
        for text in texts
        for part in (" ".join(p.split()) for p in PLACEHOLDER.split(text))
        if len(part.split()) >= 2
    }


CATALOGUE = [m for m in _catalogue(PO) if m.id]
TRANSLATED = [m for m in CATALOGUE if _forms(m) != _strings(m)]
DUTCH_PHRASES = _phrases(form for m in TRANSLATED for form in _forms(m))
ENGLISH_PHRASES = _phrases(string for m in TRANSLATED for string in _strings(m))


# --- the catalogue ------------------------------------------------------------------------


def _extract(tmp_path) -> set:
    pot = tmp_path / "fresh.pot"
    CommandLineInterface().run(
        ["pybabel", "-q", "extract", "-F", str(ROOT / "babel.cfg"), "-k", "_l", "-k", "N_",
         "--no-location", "-o", str(pot), str(ROOT)]
    )
    return {m.id for m in _catalogue(pot) if m.id}


def test_catalogue_covers_every_string_in_the_code(tmp_path):
    extracted = _extract(tmp_path)
    translated = {m.id for m in CATALOGUE}
    assert extracted - translated == set(), "run `make messages` and translate the new strings"
    assert translated - extracted == set(), "obsolete entries: run `make messages`"
    assert {m.id for m in _catalogue(POT) if m.id} == extracted, "messages.pot is stale: `make messages`"


def test_every_entry_is_translated_keeping_its_placeholders():
    for message in CATALOGUE:
        assert "fuzzy" not in message.flags, message.id
        for string in _strings(message):
            assert string.strip(), f"empty translation: {message.id!r}"
            assert sorted(set(PLACEHOLDER.findall(string))) == sorted(
                set(PLACEHOLDER.findall(_forms(message)[0]))
            ), message.id
    assert len(TRANSLATED) > 250  # nearly every text differs between the languages


def test_role_names():
    english = {m.id: m.string for m in CATALOGUE}
    assert english["Incidenten insturen"] == "Submit incidents"
    assert english["Incidenten bekijken"] == "View incidents"
    assert english["Klantportalbeheerder"] == "Portal administrator"
    assert english["Mijn contactpersonen"] == "My contacts"
    assert english["Gecertificeerde Expert"] == "Certified Expert"


# --- rendered pages -----------------------------------------------------------------------


READ_ATTRIBUTES = ("title", "aria-label", "placeholder", "alt")


class _Text(HTMLParser):
    """Visible text plus the attributes people read (title, aria-label, placeholder, alt)."""

    def __init__(self):
        super().__init__()
        self.parts, self.hidden = [], 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self.hidden += 1
        self.parts += [value for name, value in attrs if name in READ_ATTRIBUTES and value]

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self.hidden -= 1

    def handle_data(self, data):
        if not self.hidden:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return " ".join(" ".join(parser.parts).split())


def demo_data() -> list[str]:
    """Texts that are data, not interface, longest first (so a name inside a longer one goes too)."""
    values = [
        *(v for c in Contact.select() for v in (c.name, c.email, c.function, c.phone)),
        *(v for o in Organisation.select() for v in (o.name, o.segment)),
        *(v for i in Incident.select() for v in (i.subject, i.description, i.reference)),
        *(r.body for r in Reaction.select()),
        *(p.name for p in SubmissionProfile.select()),
        *(c.name for c in Course.select()),
        *(r.topic for r in CallbackRequest.select()),
    ]
    return sorted({" ".join(v.split()) for v in values if v}, key=len, reverse=True)


def without_data(text: str, data: list[str]) -> str:
    for value in data:
        text = text.replace(value, " ")
    return text


def pages(app, username: str | None) -> list[tuple[str, str, dict]]:
    """(method, url, form data) for every page this person can reach, refusals and errors included."""
    simple = [
        rule.rule
        for rule in app.url_map.iter_rules()
        if "GET" in rule.methods and not rule.arguments and not rule.endpoint.startswith("health.")
    ]
    found = [("GET", url, {}) for url in simple] + [("GET", "/no-such-page", {})]
    if username is None:
        return found
    me = contact_named(username)
    organisation = me.organisation_id
    colleague = Contact.get_or_none((Contact.organisation == organisation) & (Contact.id != me.id))
    other = colleague or me  # Hugo is his organisation's only contact
    incidents = list(Incident.select().where(Incident.organisation == organisation))
    incident = incidents[0]
    found += [("GET", f"/incidents/{i.number}", {}) for i in incidents]
    found += [
        ("GET", f"/contacts/{c.id}", {}) for c in (me, other)
    ] + [
        ("GET", f"/contacts/{me.id}/edit", {}),
        ("GET", f"/contacts/audit?contact={me.id}", {}),
        ("GET", "/incidents?q=zzzz", {}),
        # Forms sent empty: the errors beside the fields.
        ("POST", "/incidents/new", {}),
        ("POST", f"/incidents/{incident.number}", {}),
        ("POST", "/support", {}),
        ("POST", "/contacts/new", {}),
        ("POST", f"/contacts/{other.id}/edit", {}),
        ("POST", "/contacts/access-requests", {}),
        # A profile id the person may not submit for: the rules explain the refusal.
        ("POST", "/incidents/new", {"profile": str(SubmissionProfile.get(name="HRM/Payroll").id)}),
        # Role changes the rules refuse (maximum reached, last admin, not active).
        ("POST", f"/contacts/{contact_named('gijs.geen').id}/roles/submitter", {"grant": "1"}),
        ("POST", f"/contacts/{me.id}/roles/admin", {}),
        ("POST", f"/contacts/{other.id}/roles/nonsense", {"grant": "1"}),
    ]
    return found


def _prepare(client_factory, app):
    """Data that makes more texts appear: a pending role request, an audit entry, a callback."""
    gijs, anna, carla = client_factory(), client_factory(), client_factory()
    sign_in(gijs, "gijs.geen")
    gijs.post("/contacts/access-requests", data={"role": "submitter", "reason": "Ik wil insturen."})
    sign_in(anna, "anna.admin")
    granted = anna.post(f"/contacts/{contact_named('gijs.geen').id}/roles/viewer", data={"grant": "1"})
    assert granted.status_code == 303
    sign_in(carla, "carla.cursus")
    callback = {"phone": "06 12345678", "topic": "Bankkoppeling", "preferred_moment": "middag"}
    assert carla.post("/support", data=callback).status_code == 303


def _render(client, method, url, data, headers):
    response = client.open(url, method=method, data=data, headers=headers)
    if response.status_code in (301, 302, 303) or response.mimetype != "text/html":
        return None
    return response.get_data(as_text=True)


def _walk(app, client, username, headers, htmx: bool = False):
    """(url, visible text without demo data) for every HTML page of the walk."""
    with app.app_context():
        walk = pages(app, username)
        data = demo_data()
    for method, url, form in walk:
        if htmx and method != "POST":
            continue
        html = _render(client, method, url, form, {**headers, **(HTMX if htmx else {})})
        if html is not None:
            yield f"{method} {url}", html, without_data(visible_text(html), data)


def _assert_english(where: str, text: str):
    words = sorted({m.group(0) for m in DUTCH_WORDS.finditer(text)})
    assert not words, f"{where}: Dutch words {words} in: {text}"
    phrases = sorted(p for p in DUTCH_PHRASES if p in text)
    assert not phrases, f"{where}: untranslated {phrases}"


def _assert_dutch(where: str, text: str):
    assert DUTCH_WORDS.search(text) or any(p in text for p in DUTCH_PHRASES), f"{where}: no Dutch in: {text}"
    phrases = sorted(p for p in ENGLISH_PHRASES if p in text)
    assert not phrases, f"{where}: English {phrases} on a Dutch page"


@pytest.mark.parametrize("username", [*PEOPLE, None], ids=[*PEOPLE, "signed-out"])
def test_every_page_in_both_languages(app, seeded, username):
    _prepare(app.test_client, app)
    client = app.test_client()
    if username:
        sign_in(client, username)
    rendered = 0
    for htmx in (False, True):
        for where, html, text in _walk(app, client, username, ENGLISH, htmx):
            assert '<html lang="en">' in html or htmx, where
            _assert_english(where, text)
            rendered += 1
        for where, _html, text in _walk(app, client, username, DUTCH, htmx):
            _assert_dutch(where, text)
    assert rendered >= (3 if username is None else 25)


def test_refusals_and_numbers_follow_the_language(client, login):
    login(client, "daan.onvoldoende")
    english = visible_text(client.get("/support", headers=ENGLISH).get_data(as_text=True))
    assert "For the HRM/Payroll submission profile you must have completed the Startcursus " in english
    assert "with at least a 7. Your best score is 6.5." in english
    assert "Not passed yet: at least a 7.0 is required." in english
    dutch = visible_text(client.get("/support").get_data(as_text=True))
    assert "Je beste score is 6,5." in dutch
    assert "Nog niet behaald: minimaal een 7,0 nodig." in dutch


def test_the_maximum_is_explained_in_english(client, login):
    login(client, "anna.admin")
    text = visible_text(client.get("/support", headers=ENGLISH).get_data(as_text=True))
    assert re.search(r"\d+–\d+ employees: base \d+\. ", text), text
    assert "Why this maximum?" in text


def test_the_admin_list_and_the_single_admin_warning_in_english(client, login):
    login(client, "hugo.vandijk")
    text = visible_text(client.get("/contacts", headers=ENGLISH).get_data(as_text=True))
    assert "Your organisation has only one portal administrator." in text
    assert "My contacts" in text


def test_the_language_switch_remembers_english(client, login):
    login(client, "gijs.geen")
    response = client.post("/language", data={"lang": "en", "next": "/support"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/support")
    page = client.get("/support").get_data(as_text=True)  # no Accept-Language: the cookie decides
    assert '<html lang="en">' in page
    assert "You do not have the Submit incidents role." in visible_text(page)
    assert ">Nederlands</button>" in page
    client.post("/language", data={"lang": "nl", "next": "/support"})
    page = client.get("/support", headers=ENGLISH).get_data(as_text=True)  # the choice beats the browser
    assert "Je hebt de rol Incidenten insturen niet." in visible_text(page)


def test_dutch_is_the_default(client, login):
    login(client, "eva.bekijker")
    for headers in ({}, {"Accept-Language": "fr, de;q=0.8"}):
        page = client.get("/", headers=headers).get_data(as_text=True)
        assert '<html lang="nl">' in page
        assert "Afmelden" in page


def test_each_language_keeps_its_own_texts_and_escapes_what_fills_them(client, login):
    """Requests that alternate between the languages each get their own texts, and data
    placed into a translated text is still escaped."""
    anna = login(client, "anna.admin")
    Organisation.update(name="Bakker & <Zonen>").where(Organisation.id == anna.organisation_id).execute()
    for _ in range(2):
        english = client.get("/incidents", headers=ENGLISH).get_data(as_text=True)
        dutch = client.get("/incidents", headers=DUTCH).get_data(as_text=True)
        assert "<h1>Incidents of Bakker &amp; &lt;Zonen&gt;</h1>" in english
        assert "<h1>Incidenten van Bakker &amp; &lt;Zonen&gt;</h1>" in dutch
        assert "Sign out" in english and "Afmelden" not in english
        assert "Afmelden" in dutch and "Sign out" not in dutch
