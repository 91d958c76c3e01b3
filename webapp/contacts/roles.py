"""Granting and revoking roles, and (de)activating contacts: rules 1 and 2 applied to the database.

Every change is decided by ``rules.may_change_role`` on counts read inside the write
transaction that applies it, with the organisation locked, so concurrent grants are
serialised and can never exceed the maximum. The inline toggles, the edit form and the
approval of access requests all come through here.
"""

from webapp import clock, rules
from webapp.contacts import audit
from webapp.db import lock_organisation, write_transaction
from webapp.facts import admin_names
from webapp.identity.sessions import end_sessions
from webapp.mail import outbox
from webapp.models import Contact, Organisation

# refuse() answers a not_found decision with a bare 404, so it needs no text.
NOT_FOUND = rules.Decision.deny(rules.Reason("not_found", ""))


def change_role(actor: Contact, target_id: int, role: str, grant: bool):
    """Grant or revoke ``role``; return ``(decision, target)`` with ``target`` as it is now."""
    with write_transaction():
        lock_organisation(actor.organisation_id)
        # Both as they are now, in one query: the actor's own roles may have changed meanwhile.
        read = {c.id: c for c in Contact.select().where(Contact.id.in_({actor.id, target_id}))}
        target = read.get(target_id)
        if target is None:
            return NOT_FOUND, None
        return _apply_role(read[actor.id], target, role, grant, notify=True), target


def apply_role(
    actor: Contact, target: Contact, role: str, grant: bool, notify: bool = True
) -> rules.Decision:
    """Apply one role change to ``target`` (updated in place), audit it and, with ``notify``,
    mail the contact about it.

    Call inside ``write_transaction()`` after ``lock_organisation``, with ``target`` read
    in it.
    """
    actor = Contact.by_id(actor.id)  # the actor's own roles may have changed meanwhile
    return _apply_role(actor, target, role, grant, notify)


def _apply_role(actor: Contact, target: Contact, role: str, grant: bool, notify: bool) -> rules.Decision:
    decision = _decide(actor, target.facts(), role, grant)
    if not decision:
        return decision
    before = getattr(target, role)
    if before != grant:
        Contact.update({getattr(Contact, role): grant}).where(Contact.id == target.id).execute()
        setattr(target, role, grant)
        audit.record(target, "role", before, grant, actor=actor, field=role)
        if notify:
            outbox.role_changed(actor, target, role, grant)
    return decision


def apply_active(actor: Contact, target: Contact, active: bool) -> rules.Decision:
    """Deactivate (never delete) or reactivate ``target``; same transaction rules as roles.

    ``rules.may_change_active`` decides. A deactivated contact's sessions end at once, and
    their slot is free because only active contacts count.
    """
    if target.active == active:
        return rules.Decision.allow()
    actor = Contact.by_id(actor.id)
    today = clock.today()
    decision = rules.may_change_active(
        actor.facts(),
        target.facts(),
        active,
        Organisation.counts_for(actor.organisation_id, today),
        today,
        admin_names=admin_names(actor.organisation_id),
    )
    if not decision:
        return decision
    Contact.update(active=active).where(Contact.id == target.id).execute()
    target.active = active
    audit.record(target, "active", not active, active, actor=actor)
    if not active:
        end_sessions(contact_id=target.id)
        if target.admin:
            outbox.last_admin_gone(target)
    return decision


def _decide(actor: Contact, target: rules.Contact, role: str, grant: bool) -> rules.Decision:
    today = clock.today()
    return rules.may_change_role(
        actor.facts(),
        target,
        role,
        grant,
        Organisation.counts_for(actor.organisation_id, today),
        today,
        admin_names=admin_names(actor.organisation_id),
    )
