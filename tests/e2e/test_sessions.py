"""Sessions end when they should: logout, a disabled account, back-channel logout (DESIGN §2, §7)."""

import time

import pytest

from tests.e2e.conftest import running_stack, sign_in
from tests.harness.devidp import DEMO_USER_IDS
from webapp.models import WebSession


def portal_sessions(stack, username):
    with stack.app.app_context():
        return WebSession.select().where(WebSession.subject == DEMO_USER_IDS[username]).count()


def test_logout_ends_the_portal_and_the_provider_session(stack, page):
    sign_in(page, stack, "anna.admin")
    page.click("#logout")
    page.wait_for_url(stack.url("/"))
    assert page.is_visible("#sign-in")
    assert portal_sessions(stack, "anna.admin") == 0
    page.click("#sign-in")
    page.wait_for_selector("#password")  # the provider asks for the password again


def test_ending_sessions_at_the_provider_ends_the_portal_session_within_a_second(stack, page):
    sign_in(page, stack, "bram.legacy")
    assert portal_sessions(stack, "bram.legacy") == 1
    started = time.monotonic()
    stack.idp.logout_user(DEMO_USER_IDS["bram.legacy"])
    while portal_sessions(stack, "bram.legacy") and time.monotonic() - started < 1:
        time.sleep(0.05)
    assert portal_sessions(stack, "bram.legacy") == 0
    page.goto(stack.url("/"))
    assert page.is_visible("#sign-in")


@pytest.fixture(scope="module")
def short_token_stack(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('short') / 'portal.sqlite3'}"
    with running_stack(url, access_token_ttl=3) as running:
        yield running


def test_disabled_account_loses_access_at_the_next_token_refresh(short_token_stack, page):
    stack = short_token_stack
    sign_in(page, stack, "carla.cursus")
    assert "Carla Smit" in page.inner_text("main")
    stack.idp.disable_user(DEMO_USER_IDS["carla.cursus"])
    try:
        time.sleep(4)  # past the 3-second access token: the next request must refresh
        page.goto(stack.url("/"))
        assert "Carla Smit" not in page.inner_text("body")
        assert portal_sessions(stack, "carla.cursus") == 0
    finally:
        stack.idp.enable_user(DEMO_USER_IDS["carla.cursus"])


def test_refresh_keeps_an_enabled_account_signed_in(short_token_stack, page):
    stack = short_token_stack
    sign_in(page, stack, "bram.legacy")
    time.sleep(4)
    page.goto(stack.url("/"))
    assert "Bram Jansen" in page.inner_text("main")
