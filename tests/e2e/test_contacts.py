"""Mijn contactpersonen in a real browser: the maximum, the counter, and rule 7 (issue 5).

With ``KLANTPORTAL_SCREENSHOTS=1`` the test also writes the README's screenshots.
"""

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import database_unreachable, sign_in
from webapp.models import Contact

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def screenshot(page, name: str) -> None:
    if os.environ.get("KLANTPORTAL_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / name), full_page=True)


@pytest.fixture(autouse=True)
def patient_expect():
    """Assertions wait longer here, and only here."""
    expect.set_options(timeout=60_000)
    yield
    expect.set_options(timeout=5_000)  # Playwright's default


def patient_page(new_context, **options):
    # Three people sign in on a machine shared with other test runs: give pages time.
    context = new_context(**options)
    context.set_default_timeout(120_000)
    return context.new_page()


def test_admin_toggles_within_the_maximum_and_it_holds_on_the_next_request(stack, new_context):
    gijs = patient_page(new_context)
    sign_in(gijs, stack, "gijs.geen")
    bram = patient_page(new_context)
    sign_in(bram, stack, "bram.legacy")

    anna = patient_page(new_context, viewport={"width": 1280, "height": 900})
    sign_in(anna, stack, "anna.admin", next_path="/contacts")
    counter = anna.get_by_test_id("counter")
    expect(counter).to_contain_text("in gebruik 3 van 3")

    gijs_row = anna.locator("tr", has_text="Gijs de Boer")
    gijs_submits = gijs_row.get_by_label("Incidenten insturen")
    with anna.expect_response(re.compile(r"/roles/submitter$")) as refused:
        gijs_submits.click()
    assert refused.value.status == 403  # refused, and explained in the row, not in a box
    status = gijs_row.get_by_role("status")
    expect(status).to_contain_text("Maximum bereikt: 3 van 3")
    refused_box = gijs_row.get_by_label("Incidenten insturen")
    expect(refused_box).not_to_be_checked()
    expect(refused_box).to_have_attribute("aria-describedby", status.get_attribute("id"))
    expect(anna.locator("#problem-box")).to_be_hidden()
    expect(counter).to_contain_text("in gebruik 3 van 3")
    screenshot(anna, "contacts-refused-toggle.png")

    bram_row = anna.locator("tr", has_text="Bram Jansen")
    bram_row.get_by_label("Incidenten insturen").uncheck()
    expect(counter).to_contain_text("in gebruik 2 van 3")
    expect(bram_row.get_by_label("Incidenten insturen")).not_to_be_checked()

    # With the keyboard this time: focus the checkbox and press space.
    gijs_row.get_by_label("Incidenten insturen").focus()
    anna.keyboard.press("Space")
    expect(counter).to_contain_text("in gebruik 3 van 3")
    expect(gijs_row.get_by_label("Incidenten insturen")).to_be_checked()
    expect(gijs_row.get_by_role("status")).to_be_empty()
    expect(anna.locator("input:focus")).to_have_attribute("id", re.compile(r"role-\d+-submitter"))

    # Rule 7: both are still signed in; the change holds on their next request.
    gijs.goto(stack.url("/incidents/new"))
    assert gijs.url.startswith(stack.base_url)
    assert "Niet geautoriseerd" not in gijs.inner_text("body")
    assert "Gijs de Boer" in gijs.inner_text("header")  # not sent to sign in again
    response = bram.goto(stack.url("/incidents/new"))
    assert response.status == 403
    assert "Niet geautoriseerd" in bram.inner_text("main")

    support = bram.goto(stack.url("/support"))
    if support.status != 404:
        screenshot(bram, "support.png")


def test_a_toggle_that_does_not_happen_says_why_and_leaves_the_box_as_it_was(stack, new_context):
    anna = patient_page(new_context, viewport={"width": 1280, "height": 900})
    sign_in(anna, stack, "anna.admin", next_path="/contacts")
    gijs_views = anna.locator("tr", has_text="Gijs de Boer").get_by_label("Incidenten bekijken")
    problem = anna.locator("#problem-box")
    expect(problem).to_be_hidden()

    # The database out of reach: the portal says so, and the box is unticked again.
    with database_unreachable(stack):
        gijs_views.click()
        expect(problem).to_contain_text("Tijdelijk niet beschikbaar")
        expect(gijs_views).not_to_be_checked()
    # Back: a change refused by the maximum says why beside its checkbox, not in the box,
    # and the box of the failure before goes away, as after any answer.
    gijs_row = anna.locator("tr", has_text="Gijs de Boer")
    gijs_row.get_by_label("Incidenten insturen").click()
    expect(gijs_row.get_by_role("status")).to_contain_text("Maximum bereikt: 3 van 3")
    expect(gijs_row.get_by_label("Incidenten insturen")).not_to_be_checked()
    expect(problem).to_be_hidden()
    # The next change goes through, and the explanation goes away.
    gijs_views.click()
    expect(gijs_views).to_be_checked()
    expect(problem).to_be_hidden()
    anna.reload()
    expect(gijs_views).to_be_checked()

    # Meanwhile Anna is no longer an administrator (rule 7: at once): the refusal says why.
    with stack.app.app_context():
        Contact.update(admin=False).where(Contact.email.startswith("anna.admin@")).execute()
    gijs_views.click()
    expect(problem).to_contain_text("Dit mag je niet doen")
    expect(problem).to_contain_text("Alleen klantportalbeheerders kunnen")
    expect(gijs_views).to_be_checked()
    problem.get_by_role("button", name="Sluiten").click()
    expect(problem).to_be_hidden()

    # No answer at all (the connection lost): said as well, and the box is ticked again.
    anna.context.set_offline(True)
    gijs_views.click()
    expect(problem).to_contain_text("De Klantportal is niet bereikbaar")
    expect(gijs_views).to_be_checked()
    anna.context.set_offline(False)
