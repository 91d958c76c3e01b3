"""Security headers on every response."""

from flask import current_app

from webapp.identity import oidc
from webapp.templating import HTMX_CDN


def content_security_policy() -> str:
    """Scripts only from the portal and the pinned htmx file; forms may go to the provider."""
    return "; ".join([
        "default-src 'self'",
        f"script-src 'self' {HTMX_CDN}",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        # Logout posts here and is redirected to the provider's end-session endpoint; a POST
        # whose session ended is redirected through sign-in to its authorize endpoint.
        "form-action 'self' " + " ".join(oidc.form_origins()),
        "frame-ancestors 'none'",
        "base-uri 'self'",
        "object-src 'none'",
    ])


def add_headers(response):
    response.headers.setdefault("Content-Security-Policy", content_security_policy())
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    if current_app.config.get("SESSION_COOKIE_SECURE"):
        # Secure cookies mean HTTPS: the browser must never fall back to http.
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    if response.mimetype == "text/html":
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def init_app(app):
    app.after_request(add_headers)
