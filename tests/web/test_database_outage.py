"""The database out of reach: the probes tell the truth, every page explains itself with a
503, and the portal recovers by itself once the database is back."""

import contextlib
import os

import pytest

from tests.conftest import TEST_CONFIG, TEST_DB, _postgres
from tests.harness.devidp import free_port
from webapp import create_app
from webapp.models import WebSession

UNAVAILABLE_NL = "Tijdelijk niet beschikbaar"
UNAVAILABLE_EN = "Temporarily unavailable"


@pytest.fixture(params=["sqlite", "postgresql"])
def unreachable(request, tmp_path):
    """A portal whose database cannot be reached: a file in a folder that is not there, or
    a PostgreSQL address where nothing listens. A visitor holds a session cookie."""
    url = (
        f"sqlite:///{tmp_path}/gone/portal.sqlite3"
        if request.param == "sqlite"
        else f"postgresql://klantportal@127.0.0.1:{free_port()}/klantportal"
    )
    # Errors handled as in production, not raised into the test.
    return create_app({**TEST_CONFIG, "DATABASE_URL": url, "PROPAGATE_EXCEPTIONS": False}).test_client()


@pytest.fixture
def signed_in(unreachable):
    unreachable.set_cookie("klantportal_session", "a-key-from-before-the-outage")
    return unreachable


def test_the_probes_tell_apart_a_live_process_from_a_ready_one(unreachable):
    # Liveness must not fail with the database: a restart would not bring it back.
    assert unreachable.get("/healthz").json == {"status": "ok"}
    ready = unreachable.get("/readyz")
    assert ready.status_code == 503
    assert ready.json == {"status": "unavailable", "database": "OperationalError"}


@pytest.mark.parametrize("path", ["/", "/contacts", "/incidents", "/support"])
def test_a_page_explains_the_outage_and_offers_to_try_again(signed_in, path):
    response = signed_in.get(path)
    page = response.get_data(as_text=True)
    assert response.status_code == 503 and response.headers["Retry-After"] == "30"
    assert UNAVAILABLE_NL in page and "Probeer het over een minuut opnieuw" in page
    assert f'<a href="{path}">Opnieuw proberen</a>' in page
    # Nothing on it needs the database: no signed-in name, no CSRF token (the session's).
    assert "csrf-token" not in page and "Afmelden" not in page
    assert response.headers["Content-Security-Policy"]  # headers as on every response


def test_a_visitor_without_a_session_still_gets_the_signed_out_home(unreachable):
    # The signed-out home needs no data, and its form's token lives in the signed cookie.
    response = unreachable.get("/")
    assert response.status_code == 200 and UNAVAILABLE_NL not in response.get_data(as_text=True)


def test_the_outage_is_explained_in_english_too(signed_in):
    page = signed_in.get("/incidents", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert UNAVAILABLE_EN in page and "Please try again in a minute" in page
    assert UNAVAILABLE_NL not in page


def test_a_post_gets_the_outage_not_a_form_error(signed_in):
    # The session could not be read: that is the outage, not a missing CSRF token and not
    # a signed-out visitor sent to sign in.
    response = signed_in.post("/incidents/new", data={"subject": "Printer"})
    assert response.status_code == 503 and UNAVAILABLE_NL in response.get_data(as_text=True)


def test_htmx_gets_the_explanation_as_a_fragment(signed_in):
    response = signed_in.post("/contacts/5/roles/viewer", data={"grant": "1"}, headers={"HX-Request": "true"})
    fragment = response.get_data(as_text=True)
    assert response.status_code == 503
    assert UNAVAILABLE_NL in fragment and "<html" not in fragment
    assert "Opnieuw proberen" not in fragment  # a POST is not repeated by a link


def test_stylesheets_load_while_the_database_is_down(signed_in):
    # The outage page keeps its looks, even for a visitor with a session cookie.
    response = signed_in.get("/static/css/portal.css")
    assert response.status_code == 200 and b"--brand" in response.data


@contextlib.contextmanager
def database_away(database_url: str, tmp_path):
    """Take this test's real database out of reach, and bring it back."""
    if TEST_DB == "sqlite":
        away = tmp_path.with_name(tmp_path.name + "-away")
        os.rename(tmp_path, away)
        try:
            yield
        finally:
            os.rename(away, tmp_path)
        return
    server, name = database_url.rsplit("/", 1)
    admin = f"{server}/postgres"
    # What a restart does to the portal: its pooled connections die, new ones are refused.
    _postgres(admin, f"ALTER DATABASE {name} ALLOW_CONNECTIONS false")
    _postgres(admin, f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'")
    try:
        yield
    finally:
        _postgres(admin, f"ALTER DATABASE {name} ALLOW_CONNECTIONS true")


def test_a_signed_in_person_sees_the_outage_and_then_their_page_again(
    client, login, database_url, tmp_path
):
    login(client, "anna.admin")
    assert client.get("/contacts").status_code == 200
    with database_away(database_url, tmp_path):
        for _ in range(2):
            response = client.get("/contacts")
            assert response.status_code == 503
            assert UNAVAILABLE_NL in response.get_data(as_text=True)
    # Back: still signed in (the outage ended no session), the page as before.
    page = client.get("/contacts").get_data(as_text=True)
    assert "Mijn contactpersonen" in page and "Anna de Vries" in page
    assert WebSession.select().count() == 1
