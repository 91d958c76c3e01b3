"""axe-core finds no serious or critical accessibility violations on any page."""

import pytest

from tests.e2e.conftest import database_unreachable, serious_accessibility_violations, sign_in
from webapp.models import Contact, Incident

SIGNED_OUT_PAGES = ["/", "/does-not-exist"]


def test_signed_out_pages(stack, page):
    for path in SIGNED_OUT_PAGES:
        page.goto(stack.url(path))
        assert serious_accessibility_violations(page) == [], path


def pages_for(stack, username):
    with stack.app.app_context():
        incident = Incident.select().order_by(Incident.id).first()
        contact = Contact.select().where(Contact.email.startswith("gijs.geen@")).get()
    common = ["/", "/support"]
    return {
        "anna.admin": common + ["/incidents", f"/incidents/{incident.number}", "/contacts",
                                f"/contacts/{contact.id}", f"/contacts/{contact.id}/edit",
                                "/contacts/new", "/contacts/audit", "/incidents/new"],
        "carla.cursus": common + ["/incidents", "/incidents/new"],
        "daan.onvoldoende": common + ["/incidents/new"],
        "gijs.geen": common + ["/incidents"],
    }[username]


@pytest.mark.parametrize("username", ["anna.admin", "carla.cursus", "daan.onvoldoende", "gijs.geen"])
def test_signed_in_pages(stack, page, username):
    sign_in(page, stack, username)
    problems = {}
    for path in pages_for(stack, username):
        page.goto(stack.url(path))
        found = serious_accessibility_violations(page)
        if found:
            problems[path] = found
    assert problems == {}


def test_the_outage_page(stack, page):
    sign_in(page, stack, "anna.admin")
    with database_unreachable(stack):
        page.goto(stack.url("/contacts"))
        assert page.get_by_role("heading", level=1).inner_text() == "Tijdelijk niet beschikbaar"
        assert serious_accessibility_violations(page) == []
