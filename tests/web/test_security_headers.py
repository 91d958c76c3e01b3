"""Security headers on every response, and the vendored htmx matching its SRI hash."""

import base64
import hashlib

from webapp import config, templating


def test_every_page_carries_the_security_headers(client):
    for path in ("/", "/healthz", "/does-not-exist"):
        headers = client.get(path).headers
        csp = headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in csp
        assert f"script-src 'self' {templating.HTMX_CDN}" in csp
        assert "'unsafe-inline'" not in csp
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "same-origin"


def test_vendored_htmx_has_the_sri_hash_the_page_declares():
    vendored = config.ROOT / "static" / "vendor" / f"htmx-{templating.HTMX_VERSION}.min.js"
    digest = base64.b64encode(hashlib.sha384(vendored.read_bytes()).digest()).decode()
    assert f"sha384-{digest}" == templating.HTMX_SRI


def test_page_loads_htmx_from_the_pinned_cdn_with_integrity(make_app):
    page = make_app(HTMX_SOURCE="cdn").test_client().get("/").get_data(as_text=True)
    assert f'src="{templating.HTMX_CDN}"' in page
    assert f'integrity="{templating.HTMX_SRI}"' in page
    assert "htmx.org@2.0.4" in templating.HTMX_CDN


def test_production_answers_with_hsts(make_app):
    """Secure cookies mean the portal is served over HTTPS: browsers must keep to it."""
    client = make_app(SESSION_COOKIE_SECURE=True).test_client()
    for path in ("/", "/healthz", "/static/css/portal.css", "/does-not-exist"):
        response = client.get(path)
        assert response.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains", path


def test_development_over_http_sends_no_hsts(make_app):
    client = make_app(SESSION_COOKIE_SECURE=False).test_client()
    assert "Strict-Transport-Security" not in client.get("/").headers
