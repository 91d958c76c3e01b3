"""Where a browser's request came from, by the headers it cannot be made to forge.

``Sec-Fetch-Site`` and ``Origin`` are set by the browser itself. A state-changing request
that another site started is refused before anything reads or writes a session.
"""

from urllib.parse import urlsplit

from flask import current_app, request, session
from werkzeug.exceptions import BadRequest

SAME, CROSS, UNKNOWN = "same", "cross", "unknown"
STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}
# Server to server: the provider posts a signed logout token, no browser involved.
NOT_FROM_BROWSERS = {"auth.backchannel_logout"}


class CrossSiteRequest(BadRequest):
    """A form posted by another site."""


def _portal_origin() -> str:
    parts = urlsplit(current_app.config["BASE_URL"])
    return f"{parts.scheme}://{parts.netloc}"


def source() -> str:
    """SAME when the browser says the request came from the portal's own pages, CROSS when
    from anywhere else (another site, a sandboxed frame's ``null``), else UNKNOWN."""
    site = request.headers.get("Sec-Fetch-Site")
    origin = request.headers.get("Origin")
    if site in ("cross-site", "same-site") or (origin is not None and origin != _portal_origin()):
        return CROSS
    if site == "same-origin" or origin is not None:
        return SAME
    return UNKNOWN


def refuse_cross_site():
    """Before the CSRF check: another site's POST gets 400 and changes no cookie or row."""
    from_browser = request.method in STATE_CHANGING and request.endpoint not in NOT_FROM_BROWSERS
    if from_browser and source() == CROSS:
        session.freeze()
        raise CrossSiteRequest()
