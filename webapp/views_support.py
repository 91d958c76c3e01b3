"""What every template may use: the HTMX source, role labels, Dutch dates and numbers."""

from flask import current_app, g
from flask_babel import format_date, format_datetime, get_locale, gettext
from flask_login import current_user

from webapp import i18n, policy
from webapp.policy import N_

HTMX_VERSION = "2.0.4"
HTMX_CDN = f"https://unpkg.com/htmx.org@{HTMX_VERSION}/dist/htmx.min.js"
HTMX_SRI = "sha384-HGfztofotfshcF7+8n44JQL2oJmowVChPTg48S+jvZoztPfvwD79OC/LTtG6dMp+"


def htmx_script() -> dict:
    """Where htmx is loaded from: the pinned CDN file with SRI, or the vendored copy."""
    if current_app.config["HTMX_SOURCE"] == "local":
        return {"src": f"/static/vendor/htmx-{HTMX_VERSION}.min.js", "integrity": HTMX_SRI}
    return {"src": HTMX_CDN, "integrity": HTMX_SRI}


# Menu entries: (endpoint, label, who sees it). Support is for every signed-in contact.
NAV = (
    ("incidents.index", N_("Incidenten"), lambda c: c.submitter or c.viewer or c.admin),
    ("support.index", N_("Support"), lambda c: True),
    ("contacts.index", N_("Mijn contactpersonen"), lambda c: c.admin),
)


def nav_links() -> list[tuple[str, str]]:
    """The menu for the signed-in contact, limited to features this app has."""
    contact = current_user
    return [
        (endpoint, gettext(label))
        for endpoint, label, shown in NAV
        if endpoint in current_app.view_functions and shown(contact)
    ]


def template_globals() -> dict:
    return {
        "htmx_script": htmx_script,
        "nav_links": nav_links,
        "get_locale": get_locale,
        "ROLE_LABELS": policy.ROLE_LABELS,
        "ROLES": policy.ROLES,
        "current_actor": lambda: g.get("actor"),
        "format_score": i18n.format_score,
    }


def template_filters() -> dict:
    return {
        "translate": i18n.translate,  # a policy.Message in the reader's language
        # Stored values are naive UTC; Flask-Babel shows them in Europe/Amsterdam.
        "local_datetime": lambda value: format_datetime(value, "d MMMM y HH:mm") if value else "",
        "local_date": lambda value: format_date(value, "d MMMM y") if value else "",
    }
