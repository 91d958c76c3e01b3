"""Incidents in a real browser: submit, find, who may see it, explained refusals, nothing lost.

With ``KLANTPORTAL_SCREENSHOTS=1`` the tests also save screenshots of the list, the form with
errors and an explained refusal to ``docs/screenshots/``.
"""

import os
from datetime import timedelta
from pathlib import Path

from tests.e2e.conftest import sign_in
from webapp import clock
from webapp.models import WebSession

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def screenshot(page, name: str) -> None:
    if os.environ.get("KLANTPORTAL_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def signed_in_page(new_context, stack, username, next_path="/"):
    context = new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(120_000)  # shared CI machines can be slow; a wait is not a failure
    page = context.new_page()
    sign_in(page, stack, username, next_path=next_path)
    return page


def test_carla_submits_and_only_the_right_people_see_it(stack, new_context):
    carla = signed_in_page(new_context, stack, "carla.cursus", "/incidents/new")
    assert carla.input_value("#profile") == "1"  # her one profile, Financieel, preselected
    carla.fill("#subject", "Abc")
    carla.fill("#description", "   ")
    carla.click("button[type=submit]")
    assert "Te kort: gebruik minstens 5 tekens (nu 3)." in carla.inner_text("#subject-error")
    assert "Beschrijf het probleem." in carla.inner_text("#description-error")
    assert carla.input_value("#subject") == "Abc"
    screenshot(carla, "incident-form-errors")

    carla.fill("#subject", "Grootboekexport mist de kostenplaatsen")
    carla.fill("#description", "Sinds de update van maandag ontbreken de kostenplaatsen in de export.")
    carla.check("#priority-hoog")
    carla.click("button[type=submit]")
    carla.wait_for_url(stack.url("/incidents/2026-*"))
    number = carla.url.rsplit("/", 1)[1]
    assert "Je incident is ingestuurd met nummer" in carla.inner_text("main")
    carla.click("text=Alle incidenten")
    assert carla.is_visible(f"tr[data-number='{number}']")

    eva = signed_in_page(new_context, stack, "eva.bekijker", "/incidents")
    row = eva.locator(f"tr[data-number='{number}']")
    assert "Carla Smit" in row.inner_text()
    assert eva.locator("#new-incident").count() == 0
    screenshot(eva, "incidents-list")
    with eva.expect_response(lambda response: "q=kostenplaatsen" in response.url):
        eva.type("#q", "kostenplaatsen")  # search as you type: htmx swaps the results
    eva.wait_for_function("document.querySelectorAll('#incident-results tbody tr').length === 1")
    assert eva.is_visible(f"tr[data-number='{number}']")
    assert eva.goto(stack.url(f"/incidents/{number}")).status == 200
    assert "alleen de melder" in eva.inner_text("main")
    assert eva.goto(stack.url("/incidents/new")).status == 403

    for outsider in ("bram.legacy", "hugo.vandijk"):
        page = signed_in_page(new_context, stack, outsider)
        response = page.goto(stack.url(f"/incidents/{number}"))
        assert response.status == 404, outsider
        assert "Niet gevonden" in page.inner_text("main")
        assert "kostenplaatsen" not in page.inner_text("body")


def test_daan_and_gijs_are_told_why(stack, new_context):
    daan = signed_in_page(new_context, stack, "daan.onvoldoende", "/incidents/new")
    refusal = daan.inner_text("#refusal")
    for text in ("Niet geautoriseerd", "Startcursus Beheerder HRM/Payroll", "6,5", "minimaal een 7"):
        assert text in refusal
    screenshot(daan, "refused-course")

    gijs = signed_in_page(new_context, stack, "gijs.geen", "/incidents/new")
    refusal = gijs.inner_text("#refusal")
    assert "Je hebt de rol Incidenten insturen niet" in refusal and "Anna de Vries" in refusal
    gijs.goto(stack.url("/support"))
    support = gijs.inner_text("main")
    assert "Anna de Vries" in support and "Waarom dit maximum?" in support
    assert gijs.locator("[data-testid=support-phone]").count() == 0


def test_nothing_typed_is_lost_when_the_session_ends(stack, new_context):
    page = signed_in_page(new_context, stack, "carla.cursus", "/incidents/new")
    subject = "Typen terwijl de sessie verloopt"
    description = "Een lange omschrijving\nover twee regels, met <tekens> & zo."
    page.fill("#subject", subject)
    page.fill("#description", description)
    page.check("#priority-kritiek")
    with stack.app.app_context():
        # The session's idle time passes while Carla types (the row stays until the nightly sweep).
        WebSession.update(expires_at=clock.now() - timedelta(seconds=1)).execute()

    page.click("button[type=submit]")
    page.wait_for_load_state()
    if page.locator("#username").count():  # the provider asks again unless its session lives on
        page.fill("#username", "carla.cursus")
        page.fill("#password", "demo")
        page.click("#kc-login")
    page.wait_for_url(stack.url("/incidents/new"))
    assert page.is_visible("[data-testid=draft-restored]")
    assert page.input_value("#subject") == subject
    assert page.input_value("#description") == description
    assert page.is_checked("#priority-kritiek")

    page.click("button[type=submit]")
    page.wait_for_url(stack.url("/incidents/2026-*"))
    assert subject in page.inner_text("h1")
