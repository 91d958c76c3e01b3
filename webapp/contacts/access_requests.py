"""Access requests: a contact refused for lack of a role asks an admin for it.

Approval grants the role through ``roles.apply_role`` in the same transaction that marks
the request approved, so it obeys the maximum like any other grant.
"""

from webapp import clock, rules
from webapp.contacts import roles
from webapp.db import lock_organisation, write_transaction
from webapp.mail import outbox
from webapp.models import AccessRequest, Contact, Organisation

REASON_MAX_LENGTH = 500
REQUESTABLE_ROLES = ("submitter", "viewer")  # admin is given, not asked for

# The roles a refusal's reason code lets the refused contact ask for.
REQUESTABLE = {
    "no_submitter_role": ("submitter",),
    "no_incident_role": REQUESTABLE_ROLES,
}


def requestable_roles(decision: rules.Decision | None, contact: Contact | None) -> tuple[str, ...]:
    """The roles ``contact`` may ask for after ``decision`` refused them (none held already,
    and none for an admin: she grants them herself)."""
    if decision is None or contact is None:
        return ()
    wanted = []
    for code in decision.codes:
        wanted.extend(r for r in REQUESTABLE.get(code, ()) if r not in wanted)
    facts = contact.facts()
    return tuple(r for r in wanted if not getattr(contact, r) and rules.may_request_role(facts, r))


def pending_roles(contact: Contact) -> set[str]:
    pending = AccessRequest.select(AccessRequest.role).where(
        (AccessRequest.contact == contact) & (AccessRequest.status == "pending")
    )
    return {r.role for r in pending}


def submit(contact: Contact, role: str, reason: str) -> AccessRequest:
    """Store a pending request, or return the one already pending for this role."""
    with write_transaction():
        # The organisation lock also serialises two identical requests on PostgreSQL.
        lock_organisation(contact.organisation_id)
        existing = AccessRequest.get_or_none(
            (AccessRequest.contact == contact)
            & (AccessRequest.role == role)
            & (AccessRequest.status == "pending")
        )
        if existing is not None:
            return existing
        item = AccessRequest.create(contact=contact, role=role, reason=reason.strip())
        outbox.access_requested(item)
        return item


def pending_for(organisation) -> list[AccessRequest]:
    """The organisation's pending requests, oldest first, with their contacts' names (one
    query, only the columns the list shows: contacts/_pending_item.html)."""
    shown = (AccessRequest.id, AccessRequest.role, AccessRequest.reason, AccessRequest.status,
             AccessRequest.created_at, Contact.id, Contact.name)
    return list(
        AccessRequest.select(*shown)
        .join(Contact, on=(AccessRequest.contact == Contact.id))
        .where((Contact.organisation == organisation) & (AccessRequest.status == "pending"))
        .order_by(AccessRequest.created_at, AccessRequest.id)
    )


def with_contact():
    """Requests with the contact who asked, whose organisation they belong to (for ``get_or_404``)."""
    return AccessRequest.select(AccessRequest, Contact).join(
        Contact, on=(AccessRequest.contact == Contact.id)
    )


def approve(actor: Contact, item: AccessRequest, note: str) -> rules.Decision:
    """Grant the requested role and close the request; a refused grant leaves it pending.

    Closing is a conditional UPDATE (still pending?), done first: of concurrent approvals
    exactly one changes the row and goes on to grant and mail; the others change nothing.
    """
    with write_transaction() as transaction:
        lock_organisation(actor.organisation_id)
        if not _close(item, actor, "approved", note):
            return rules.Decision.allow()  # decided meanwhile by another admin
        target = Contact.get_by_id(item.contact_id)
        decision = roles.apply_role(actor, target, item.role, True, notify=False)  # the decision mail tells
        if not decision:
            transaction.rollback()  # the request stays pending
            return decision
        outbox.access_decided(item, Organisation.counts_for(actor.organisation_id))
        return decision


def deny(actor: Contact, item: AccessRequest, note: str) -> None:
    with write_transaction():
        lock_organisation(actor.organisation_id)
        if _close(item, actor, "denied", note):
            outbox.access_decided(item, Organisation.counts_for(actor.organisation_id))


def _close(item: AccessRequest, actor: Contact, status: str, note: str) -> bool:
    """Decide the request if it is still pending; False when another request decided it."""
    changed = AccessRequest.update(
        status=status, decided_by=actor, decided_at=clock.now(), decision_note=note.strip()
    ).where((AccessRequest.id == item.id) & (AccessRequest.status == "pending")).execute()
    return changed == 1
