"""The compose layout: the browser reaches the provider at one address (``localhost:8080``), the
portal's container at another (``keycloak:8080``), and the ID token's ``iss`` names the first.
Here the issuer's host does not even resolve (``.invalid``); the portal must fetch discovery,
keys and tokens from ``KLANTPORTAL_OIDC_INTERNAL_URL`` (``127.0.0.1``) and still check ``iss``."""

import threading
from contextlib import contextmanager

import pytest
import requests
from werkzeug.serving import make_server

from tests.conftest import unavailable
from tests.harness.devidp import DEFAULT_CLIENT_SECRET, DevIdp, DevIdpError, free_port
from tests.harness.signin import log_in_at_provider

pytestmark = pytest.mark.idp


@contextmanager
def portal_and_provider(make_app, internal: bool):
    port, idp_port = free_port(), free_port()
    base_url = f"http://127.0.0.1:{port}"
    issuer = f"http://keycloak-for-browsers.invalid:{idp_port}/realms/klantportal"
    try:
        idp = DevIdp(port=idp_port, env={"ISSUER": issuer, "KLANTPORTAL_BASE_URL": base_url}).start()
    except DevIdpError as error:
        unavailable(f"dev identity provider: {error}")
    app = make_app(
        BASE_URL=base_url, OIDC_ISSUER=issuer, OIDC_CLIENT_SECRET=DEFAULT_CLIENT_SECRET,
        OIDC_INTERNAL_URL=f"http://127.0.0.1:{idp_port}/realms/klantportal" if internal else None,
    )
    server = make_server("127.0.0.1", port, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield base_url
    finally:
        server.shutdown()
        idp.stop()


def test_sign_in_with_discovery_from_the_internal_address(make_app, seeded):
    with portal_and_provider(make_app, internal=True) as base_url:
        browser = requests.Session()
        callback = log_in_at_provider(browser, base_url + "/login?next=/support", "carla.cursus", base_url)
        assert "iss=http%3A%2F%2Fkeycloak-for-browsers.invalid" in callback  # RFC 9207
        support = browser.get(callback)
    assert support.status_code == 200 and support.url == base_url + "/support"
    assert "Carla Smit" in support.text


def test_without_the_internal_address_the_sign_in_page_explains(make_app, seeded):
    """The negative control: from the issuer's address the portal cannot reach the provider."""
    with portal_and_provider(make_app, internal=False) as base_url:
        page = requests.get(base_url + "/login", allow_redirects=False, timeout=30)
    assert page.status_code == 503
    assert "De aanmeldservice is niet bereikbaar" in page.text
