"""What every template may use: the HTMX source, role labels, Dutch dates and numbers."""

from datetime import datetime

from babel.dates import format_date, format_datetime
from flask import current_app, g
from flask_babel import get_locale
from flask_login import current_user

from webapp import access, clock, i18n, rules
from webapp.rules import N_

HTMX_VERSION = "2.0.4"
HTMX_CDN = f"https://unpkg.com/htmx.org@{HTMX_VERSION}/dist/htmx.min.js"
HTMX_SRI = "sha384-HGfztofotfshcF7+8n44JQL2oJmowVChPTg48S+jvZoztPfvwD79OC/LTtG6dMp+"


def htmx_script() -> dict:
    """Where htmx is loaded from: the pinned CDN file with SRI, or the vendored copy."""
    if current_app.config["HTMX_SOURCE"] == "local":
        return {"src": f"/static/vendor/htmx-{HTMX_VERSION}.min.js", "integrity": HTMX_SRI}
    return {"src": HTMX_CDN, "integrity": HTMX_SRI}


# The menu, in order. An entry shows when its page's gate lets the contact in: the same
# ``rules.may_*`` question the gate asks (``access.REQUIREMENTS``), so they never disagree.
NAV = (
    ("incidents.index", N_("Incidenten")),
    ("support.index", N_("Support")),
    ("contacts.index", N_("Mijn contactpersonen")),
)


def nav_links() -> list[tuple[str, str]]:
    """The menu for the signed-in contact, limited to features this app has."""
    actor = g.get("actor") or access.Actor(current_user._get_current_object())
    links = []
    for endpoint, label in NAV:
        view = current_app.view_functions.get(endpoint)
        if view is not None and access.REQUIREMENTS[view.requirement](actor):
            links.append((endpoint, i18n.gettext(label)))
    return links


def template_globals() -> dict:
    return {
        "htmx_script": htmx_script,
        "nav_links": nav_links,
        "get_locale": get_locale,
        "ROLE_LABELS": rules.ROLE_LABELS,
        "ROLES": rules.ROLES,
        "current_actor": lambda: g.get("actor"),
        "format_score": i18n.format_score,
    }


def local_date(value) -> str:
    """A date, or a stored (naive UTC) datetime as its day in Amsterdam: 4 maart 2026."""
    if not value:
        return ""
    day = clock.local(value).date() if isinstance(value, datetime) else value
    return format_date(day, "d MMMM y", locale=get_locale())


def local_datetime(value) -> str:
    """A stored (naive UTC) datetime in Amsterdam: 4 maart 2026 14:05."""
    return format_datetime(clock.local(value), "d MMMM y HH:mm", locale=get_locale()) if value else ""


def template_filters() -> dict:
    return {
        "translate": i18n.translate,  # a rules.Message in the reader's language
        "local_datetime": local_datetime,
        "local_date": local_date,
    }
