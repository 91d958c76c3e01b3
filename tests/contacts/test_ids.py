"""Ids beyond the database's integer range answer 404, never 500 (issue 16, 4)."""

import pytest

from tests.conftest import contact_named

HTMX = {"HX-Request": "true"}
BEYOND = ["2147483648", "9223372036854775807", "9223372036854775808", "99999999999999999999999", "0"]


@pytest.fixture
def anna(client, login):
    login(client, "anna.admin")
    return client


@pytest.mark.parametrize("number", BEYOND)
def test_every_id_route_answers_404_beyond_the_integer_range(anna, number):
    for method, url in [
        ("GET", f"/contacts/{number}"),
        ("GET", f"/contacts/{number}/edit"),
        ("POST", f"/contacts/{number}/edit"),
        ("POST", f"/contacts/{number}/roles/submitter"),
        ("POST", f"/contacts/access-requests/{number}/approve"),
        ("POST", f"/contacts/access-requests/{number}/deny"),
        ("GET", f"/contacts/audit?contact={number}"),
    ]:
        response = anna.open(url, method=method, data={"grant": "1"}, headers=HTMX)
        assert response.status_code == 404, (method, url, response.status_code)


def test_the_largest_id_still_reaches_the_route(anna):
    assert anna.get("/contacts/2147483647").status_code == 404  # no such contact, but no error
    gijs = contact_named("gijs.geen")
    assert anna.get(f"/contacts/{gijs.id}").status_code == 200
    assert anna.get(f"/contacts/audit?contact={gijs.id}").status_code == 200
