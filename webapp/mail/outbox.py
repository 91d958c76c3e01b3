"""Writing mails to the outbox, inside the transaction of the change that causes them.

Each function here is called once per effective change, within that change's
``write_transaction()``: the mail is stored if and only if the change is. The payload
holds the facts of the change; the worker writes the words (``messages``).
"""

import json

from flask import current_app

from webapp import clock
from webapp.db import is_sqlite
from webapp.models import AccessRequest, Contact, Organisation, OutboxMail

ACCESS_REQUESTED = "access_requested"
ACCESS_DECIDED = "access_decided"
ROLE_CHANGED = "role_changed"
MAXIMUM_CHANGED = "maximum_changed"
LAST_ADMIN_DEACTIVATED = "last_admin_deactivated"


def _enqueue(kind: str, recipient: Contact | None, payload: dict, *, email: str = "") -> None:
    OutboxMail.insert(
        kind=kind,
        recipient=recipient.email if recipient else email,
        contact=recipient,
        language=recipient.language if recipient else "nl",
        payload=json.dumps(payload),
        next_attempt_at=clock.now(),
        created_at=clock.now(),
    ).execute()


def _admins(organisation_id: int):
    return Contact.select().where(
        (Contact.organisation == organisation_id) & Contact.active & Contact.admin
    )


def access_requested(item: AccessRequest) -> None:
    """A new access request: one mail to every active admin of the organisation."""
    requester = Contact.get_by_id(item.contact_id)
    for admin in _admins(requester.organisation_id):
        _enqueue(ACCESS_REQUESTED, admin, {"request": item.id})


def access_decided(item: AccessRequest, counts) -> None:
    """The decision on a request, to the requester; always sent (it is their own request).
    ``counts``: the organisation's numbers at the decision, to say what it means."""
    requester = Contact.get_by_id(item.contact_id)
    _enqueue(ACCESS_DECIDED, requester, {
        "request": item.id, "in_use": counts.in_use, "max": counts.max_submitters,
    })


def role_changed(actor: Contact, target: Contact, role: str, granted: bool) -> None:
    """An admin granted or revoked a role: tell the contact, unless it is the admin
    themselves or they turned informational mails off. ``target`` is read in the change's
    transaction (``roles.apply_role``), so its preference and address are current."""
    if actor.id == target.id:
        return
    if target.mail_informational:
        _enqueue(ROLE_CHANGED, target, {
            "actor": actor.id, "role": role, "granted": granted,
        })


def last_admin_gone(target: Contact) -> None:
    """If deactivating ``target`` left its organisation without an active admin, tell the
    vendor's support: nobody at the customer can grant roles any more."""
    if _admins(target.organisation_id).exists():
        return
    _enqueue(
        LAST_ADMIN_DEACTIVATED, None, {"contact": target.id, "organisation": target.organisation_id},
        email=current_app.config["SUPPORT_EMAIL"],
    )


def maximum_changes_sql(figures: str) -> str:
    """One INSERT … SELECT for the nightly recalculation, run before it writes: a mail to
    each active admin of every organisation whose maximum changed, unless it was never
    computed before (a new organisation's first maximum is no change). ``figures`` is the
    recalculation's join of old (``o``) and new (``n``) figures; ``{now}`` its time.
    Set-based, as the rest of the run: a night can change thousands of organisations."""
    fields = "'organisation', o.id, 'before', o.before, 'after', n.maximum, 'in_use', o.in_use"
    payload = f"json_object({fields})" if is_sqlite() else f"CAST(json_build_object({fields}) AS TEXT)"
    table, contact, org = OutboxMail._meta.table_name, Contact._meta.table_name, Organisation._meta.table_name
    return f"""
INSERT INTO {table} (kind, recipient, contact_id, language, payload, status, attempts,
                     next_attempt_at, claimed_by, last_error, created_at)
SELECT '{MAXIMUM_CHANGED}', c.email, c.id, c.language, {payload}, 'pending', 0, {{now}}, '', '', {{now}}
FROM {figures}
JOIN {org} computed ON computed.id = o.id AND computed.max_computed_at IS NOT NULL
JOIN {contact} c ON c.organisation_id = o.id AND c.active AND c.admin
WHERE o.before <> n.maximum
"""
