"""The menu and the gate ask the same rules: what the menu shows opens, what it hides is refused."""

import re

import pytest

from webapp.templating import NAV

DEMO_PEOPLE = [
    "anna.admin",
    "bram.legacy",
    "carla.cursus",
    "daan.onvoldoende",
    "eva.bekijker",
    "femke.expert",
    "gijs.geen",
    "hugo.vandijk",
]
MENU_PAGES = {"/incidents", "/support", "/contacts"}  # NAV's endpoints


def menu_of(page: str) -> set[str]:
    nav = re.search(r'<nav aria-label="Hoofdmenu">(.*?)</nav>', page, re.S).group(1)
    return set(re.findall(r'<a href="([^"]+)"', nav)) - {"/"}


@pytest.mark.parametrize("username", DEMO_PEOPLE)
def test_every_menu_entry_shown_opens_and_every_hidden_one_is_refused(client, login, username):
    login(client, username)
    shown = menu_of(client.get("/").get_data(as_text=True))
    assert shown <= MENU_PAGES
    for path in MENU_PAGES:
        status = client.get(path).status_code
        assert status == (200 if path in shown else 403), (path, shown)


def test_the_menu_differs_between_people(client, login):
    # Guards the test above against a menu that shows everything or nothing to everyone.
    assert len(NAV) == len(MENU_PAGES)
    menus = {}
    for username in ("anna.admin", "eva.bekijker", "gijs.geen"):
        login(client, username)
        menus[username] = menu_of(client.get("/").get_data(as_text=True))
    assert menus == {
        "anna.admin": {"/incidents", "/support", "/contacts"},
        "eva.bekijker": {"/incidents", "/support"},
        "gijs.geen": {"/support"},
    }
