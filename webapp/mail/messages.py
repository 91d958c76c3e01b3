"""Each outbox row written as a mail: plain text and simple HTML, in the recipient's language.

The words live in ``templates/mail/<kind>.txt`` (its ``subject`` block is the subject) and
``<kind>.html``, translated through the portal's catalogue. Links are absolute
(``BASE_URL``) and lead to the exact page the mail is about.
"""

import json
from collections.abc import Callable
from contextlib import contextmanager
from email.message import EmailMessage
from urllib.parse import urlsplit

from flask import current_app, g
from flask_babel import force_locale
from jinja2_fragments import render_block

from webapp import rules
from webapp.i18n import gettext
from webapp.mail import outbox
from webapp.models import AccessRequest, Contact, Organisation, OutboxMail
from webapp.support import views as support


def link(endpoint: str, anchor: str = "", **values) -> str:
    """The absolute URL of a portal page, built without a request (the worker has none)."""
    base = urlsplit(current_app.config["BASE_URL"])
    adapter = current_app.url_map.bind(base.netloc, script_name=base.path or "/", url_scheme=base.scheme)
    url = adapter.build(endpoint, values, force_external=True)
    return f"{url}#{anchor}" if anchor else url


@contextmanager
def in_language(language: str):
    """Translate in ``language`` for a while: Flask-Babel's locale, and the catalogue
    ``webapp.i18n`` keeps per request (here: per app context)."""
    with force_locale(language):
        kept = g.pop("_catalogue", None)
        try:
            yield
        finally:
            g.pop("_catalogue", None)
            if kept is not None:
                g._catalogue = kept


def _access_requested(payload: dict) -> dict:
    item = AccessRequest.get_by_id(payload["request"])
    return {
        "item": item,
        "role_label": gettext(rules.ROLE_LABELS[item.role]),
        "requester": Contact.get_by_id(item.contact_id),
        "url": link("contacts.index", anchor=f"request-{item.id}"),
    }


def _access_decided(payload: dict) -> dict:
    item = AccessRequest.get_by_id(payload["request"])
    maximum_reached = item.role == "submitter" and payload["in_use"] >= payload["max"]
    return {
        "item": item,
        "role_label": gettext(rules.ROLE_LABELS[item.role]),
        "admin_name": Contact.get_by_id(item.decided_by_id).name,
        "maximum_reached": item.status == "denied" and maximum_reached,
        "in_use": payload["in_use"],
        "max": payload["max"],
        "url": link("home.index"),
    }


def _role_changed(payload: dict) -> dict:
    return {
        "actor": Contact.get_by_id(payload["actor"]),
        "role_label": gettext(rules.ROLE_LABELS[payload["role"]]),
        "granted": payload["granted"],
        "url": link("home.index"),
    }


def _maximum_changed(payload: dict) -> dict:
    organisation = Organisation.get_by_id(payload["organisation"])
    band, explanation = support.maximum_explained(organisation)  # as the support page says it
    return {
        "organisation": organisation,
        "before": payload["before"],
        "after": payload["after"],
        "in_use": payload["in_use"],
        "over_by": max(0, payload["in_use"] - payload["after"]),
        "band": band,
        "explanation": explanation,
        "url": link("support.index", anchor="maximum"),
    }


def _last_admin_deactivated(payload: dict) -> dict:
    return {
        "contact": Contact.get_by_id(payload["contact"]),
        "organisation": Organisation.get_by_id(payload["organisation"]),
    }


CONTEXTS: dict[str, Callable[[dict], dict]] = {
    outbox.ACCESS_REQUESTED: _access_requested,
    outbox.ACCESS_DECIDED: _access_decided,
    outbox.ROLE_CHANGED: _role_changed,
    outbox.MAXIMUM_CHANGED: _maximum_changed,
    outbox.LAST_ADMIN_DEACTIVATED: _last_admin_deactivated,
}


def compose(row: OutboxMail) -> EmailMessage:
    """The mail of ``row``; needs an app context."""
    environment = current_app.jinja_env
    with in_language(row.language):
        context = CONTEXTS[row.kind](json.loads(row.payload))
        name = f"mail/{row.kind}"
        subject = render_block(environment, f"{name}.txt", "subject", **context)
        text = environment.get_template(f"{name}.txt").render(context)
        html = environment.get_template(f"{name}.html").render(context)
    message = EmailMessage()
    message["Subject"] = " ".join(subject.split())
    message["From"] = current_app.config["MAIL_SENDER"]
    message["To"] = row.recipient
    # The same id on a resend: a mail client shows a mail sent twice (a crash between
    # sending and marking it delivered) once.
    host = urlsplit(current_app.config["BASE_URL"]).hostname
    message["Message-ID"] = f"<outbox-{row.id}.{row.created_at:%Y%m%d%H%M%S}@{host}>"
    message["Content-Language"] = row.language
    message.set_content(text.strip() + "\n")
    message.add_alternative(html, subtype="html")
    return message
