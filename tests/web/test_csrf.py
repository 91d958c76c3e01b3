"""CSRF on every state-changing route, found by walking the URL map (issue 7).

A new POST route is covered without touching this file: it must refuse a request
without the token and change nothing, or be named in ``EXEMPT`` with the reason.
"""

import re

import pytest
from flask import url_for

from tests.conftest import contact_named, sign_in
from webapp.models import TABLES, AccessRequest, Incident

STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}

# Server-to-server: the identity provider posts a signed logout token, no browser involved.
EXEMPT = {"auth.backchannel_logout"}
EXPIRED = "Formulier verlopen"


def _row_counts() -> dict[str, int]:
    return {model._meta.table_name: model.select().count() for model in TABLES}


@pytest.fixture
def protected(make_app, seeded):
    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        anna = contact_named("anna.admin")
        gijs = contact_named("gijs.geen")
        pending = AccessRequest.create(contact=gijs, role="submitter", reason="Salarisadministratie")
        incident = Incident.select().where(Incident.organisation == anna.organisation_id).first()
    arguments = {
        "number": incident.number,
        "contact_id": gijs.id,
        "role": "submitter",
        "request_id": pending.id,
        "verdict": "deny",
    }
    return app, arguments


def _state_changing_routes(app, arguments):
    # Signing out last: it ends the session the other requests need.
    for rule in sorted(app.url_map.iter_rules(), key=lambda rule: rule.endpoint == "auth.logout"):
        methods = (rule.methods or set()) & STATE_CHANGING
        if not methods or rule.endpoint in EXEMPT:
            continue
        with app.test_request_context():
            url = url_for(rule.endpoint, **{name: arguments[name] for name in rule.arguments})
        for method in sorted(methods):
            yield rule.endpoint, method, url


def test_every_state_changing_route_refuses_a_request_without_the_token(protected):
    app, arguments = protected
    client = app.test_client()
    sign_in(client, "anna.admin")
    routes = list(_state_changing_routes(app, arguments))
    assert len(routes) >= 10, routes  # the walk found the portal's forms

    before = _row_counts()
    for endpoint, method, url in routes:
        for headers in ({}, {"HX-Request": "true"}, {"X-CSRFToken": "forged"}):
            response = client.open(url, method=method, data={"role": "submitter", "grant": "1"},
                                   headers=headers)
            assert response.status_code == 400, (endpoint, headers, response.status_code)
            assert EXPIRED in response.get_data(as_text=True)
    assert _row_counts() == before


def test_the_same_requests_with_the_pages_token_get_through(protected):
    """So the refusals above are CSRF, not something else."""
    app, arguments = protected
    client = app.test_client()
    sign_in(client, "anna.admin")
    page = client.get("/contacts").get_data(as_text=True)
    token = re.search(r'<meta name="csrf-token" content="([^"]+)"', page).group(1)
    for endpoint, method, url in _state_changing_routes(app, arguments):
        response = client.open(url, method=method, data={"role": "submitter"},
                               headers={"X-CSRFToken": token})
        assert EXPIRED not in response.get_data(as_text=True), endpoint
        assert response.status_code < 500, endpoint


def test_only_the_back_channel_logout_is_exempt(protected):
    from webapp.extensions import csrf

    app, _ = protected
    view = app.view_functions["auth.backchannel_logout"]
    assert csrf._exempt_views == {f"{view.__module__}.{view.__name__}"}
    assert not csrf._exempt_blueprints
