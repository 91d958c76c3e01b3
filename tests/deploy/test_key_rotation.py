"""Rotating SECRET_KEY with the old one in KLANTPORTAL_SECRET_KEY_FALLBACKS signs no one out:
a form opened before the rotation is still accepted after it (docs/operations.md)."""

import re

import pytest

from tests.conftest import sign_in
from tests.deploy.test_production_config import env_example_value, production_env  # noqa: F401
from webapp import config as configuration
from webapp import create_app
from webapp.models import WebSession

OLD_KEY = "the-secret-key-before-the-rotation-0123456789"
NEW_KEY = "the-secret-key-after-the-rotation-9876543210"


def token_signed_with_old_key(make_app) -> tuple[str, str]:
    """A signed-in person's session cookie and the CSRF token of a page served before the rotation."""
    before = make_app(SECRET_KEY=OLD_KEY, WTF_CSRF_ENABLED=True).test_client()
    sign_in(before, "anna.admin")
    page = before.get("/contacts")
    assert page.status_code == 200
    token = re.search(r'<meta name="csrf-token" content="([^"]+)"', page.text)[1]
    return before.get_cookie("klantportal_session").value, token


@pytest.mark.parametrize("fallbacks", [[OLD_KEY], []])
def test_a_form_from_before_the_rotation_still_posts(make_app, seeded, fallbacks):
    cookie, token = token_signed_with_old_key(make_app)
    after = make_app(SECRET_KEY=NEW_KEY, SECRET_KEY_FALLBACKS=fallbacks, WTF_CSRF_ENABLED=True).test_client()
    after.set_cookie("klantportal_session", cookie)
    signed_out = after.post("/logout", data={"csrf_token": token})
    if fallbacks:
        assert signed_out.status_code == 302  # accepted: on to the provider's end-session page
        assert WebSession.select().count() == 0
    else:
        assert signed_out.status_code == 400  # the old signature alone is refused
        assert WebSession.select().count() == 1


def test_fallbacks_are_read_from_the_environment():
    environment = {"KLANTPORTAL_SECRET_KEY_FALLBACKS": f" {OLD_KEY} , other-old-key,"}
    config = configuration.from_environment(environment)
    assert config["SECRET_KEY_FALLBACKS"] == [OLD_KEY, "other-old-key"]


def test_production_refuses_the_demo_key_as_a_fallback(production_env):  # noqa: F811
    production_env.setenv("KLANTPORTAL_SECRET_KEY_FALLBACKS", env_example_value("SECRET_KEY"))
    with pytest.raises(RuntimeError, match="KLANTPORTAL_SECRET_KEY_FALLBACKS"):
        create_app()
