"""Signed-out requests never write to the database; every request is size-bounded (issue 16, 1)."""

import random

from webapp.models import WebSession

MB = 1024 * 1024


def test_a_huge_signed_out_post_is_refused_with_an_explained_413_and_stores_nothing(make_app):
    client = make_app(WTF_CSRF_ENABLED=True).test_client()  # no cookie, no token
    response = client.post(
        "/language", data="lang=en&next=" + "x" * (25 * MB),
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 413
    page = response.get_data(as_text=True)
    assert "Te veel gegevens" in page and "<html" in page
    assert WebSession.select().count() == 0


def test_the_413_answer_speaks_english_and_comes_as_a_fragment_to_htmx(client):
    client.set_cookie("lang", "en")
    response = client.post("/language", data={"next": "x" * (2 * MB)}, headers={"HX-Request": "true"})
    assert response.status_code == 413
    fragment = response.get_data(as_text=True)
    assert "Too much data" in fragment and "<html" not in fragment


def test_a_form_with_too_many_parts_is_refused_too(client):
    fields = {f"field{n}": "x" for n in range(2000)}
    response = client.post("/language", data=fields, content_type="multipart/form-data")
    assert response.status_code == 413


def test_fifty_cookieless_page_views_add_no_session_row(client, seeded):
    for _ in range(50):
        client.delete_cookie("klantportal_session")
        assert client.get("/").status_code == 200
    assert WebSession.select().count() == 0


def test_signed_out_load_adds_no_row_and_never_fails(make_app, seeded):
    """1,000 anonymous GETs and POSTs over the portal's routes, some 10 MB, with CSRF on."""
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    pages = ["/", "/support", "/incidents", "/incidents/new", "/contacts", "/auth/callback?code=x&state=y",
             "/contacts/1", "/contacts/audit?contact=1", "/healthz", "/nope"]
    forms = ["/language", "/incidents/new", "/support", "/contacts/new", "/contacts/1/edit",
             "/contacts/access-requests", "/contacts/1/roles/submitter", "/logout"]
    randomness = random.Random(16)
    statuses = set()
    for number in range(1000):
        if number % 3:
            response = client.get(randomness.choice(pages))
        else:
            body = "x" * (10 * MB) if number % 50 == 0 else "vandaag"
            response = client.post(randomness.choice(forms), data={"subject": body, "lang": "en"})
        statuses.add(response.status_code)
    assert not any(status >= 500 for status in statuses), statuses
    assert 413 in statuses and 302 in statuses
    assert WebSession.select().count() == 0
