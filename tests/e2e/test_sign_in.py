"""Signing in through the dev identity provider in a real browser (DESIGN §2, §4)."""

import pytest

from tests.e2e.conftest import sign_in

# username -> what the home page must say (DESIGN §4's "expected" column)
EXPECTED_HOME = {
    "anna.admin": ["Anna de Vries", "Klantportalbeheerder", "Je mag geen incidenten insturen",
                   "Je beheert de contactpersonen"],
    "bram.legacy": ["Bram Jansen", "Je mag incidenten insturen"],
    "carla.cursus": ["Carla Smit", "Je mag incidenten insturen"],
    "daan.onvoldoende": ["Daan Bakker", "Je mag geen incidenten insturen", "6,5"],
    "eva.bekijker": ["Eva Visser", "Incidenten bekijken", "Je mag geen incidenten insturen",
                     "alle incidenten van je organisatie"],
    "femke.expert": ["Femke Mulder", "Gecertificeerde Expert", "Je mag incidenten insturen"],
    "gijs.geen": ["Gijs de Boer", "Geen rollen", "Je mag geen incidenten insturen", "Anna de Vries"],
    "hugo.vandijk": ["Hugo van Dijk", "Transportbedrijf Van Dijk", "Je mag incidenten insturen"],
}


@pytest.mark.parametrize("username", sorted(EXPECTED_HOME))
def test_demo_person_signs_in_and_sees_the_predicted_home(stack, page, username):
    sign_in(page, stack, username)
    text = page.inner_text("main")
    for expected in EXPECTED_HOME[username]:
        assert expected in text, f"{username}: {expected!r} missing from home page"


def test_wrong_password_shows_the_providers_error(stack, page):
    page.goto(stack.url("/login"))
    page.fill("#username", "anna.admin")
    page.fill("#password", "wrong")
    page.click("#kc-login")
    assert "Invalid username or password" in page.inner_text("#input-error")


def test_person_without_contact_is_told_so(stack, page):
    sign_in(page, stack, "iris.onbekend")
    assert "Geen contactpersoon" in page.inner_text("main")
