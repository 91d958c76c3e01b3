"""From a verified ID token to the contact it belongs to (DESIGN §2)."""

import logging
from dataclasses import dataclass

from webapp.contacts import audit
from webapp.db import db
from webapp.models import Contact

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Match:
    contact: Contact | None
    problem: str | None = None  # no_contact | inactive | email_unverified | email_taken | ambiguous


def email_verified(claims: dict, trust_unverified_email: bool = False) -> bool:
    """``email_verified`` is true; or absent (Entra ID never sends it) and the provider is
    trusted by setting. An explicit ``false`` is never trusted."""
    if "email_verified" not in claims:
        return trust_unverified_email
    return claims["email_verified"] is True


def contact_for(claims: dict, trust_unverified_email: bool = False) -> Match:
    """The contact bound to ``sub``, binding an unbound one by verified e-mail on first login."""
    subject = claims["sub"]
    bound = Contact.get_or_none(Contact.oidc_subject == subject)
    if bound is not None:
        return Match(bound) if bound.active else Match(None, "inactive")
    email = (claims.get("email") or "").strip().lower()
    if not email:
        return Match(None, "no_contact")
    candidates = list(Contact.select().where((Contact.email == email) & Contact.active))
    unbound = [c for c in candidates if c.oidc_subject is None]
    if not unbound:
        if candidates:
            log.warning(
                "refused sign-in: subject %s claims e-mail %s, bound to another subject",
                subject, email,
            )
            return Match(None, "email_taken")
        return Match(None, "no_contact")
    if not email_verified(claims, trust_unverified_email):
        return Match(None, "email_unverified")
    if len(unbound) > 1:
        log.warning("refused sign-in: e-mail %s matches contacts in several organisations", email)
        return Match(None, "ambiguous")
    contact = unbound[0]
    with db.atomic():
        # The condition makes a concurrent second binding of the same contact a no-op.
        bound_now = (
            Contact.update(oidc_subject=subject)
            .where((Contact.id == contact.id) & Contact.oidc_subject.is_null())
            .execute()
        )
        if bound_now:
            audit.record(contact, "identity", "", subject, field="oidc_subject")
    if not bound_now:
        return contact_for(claims, trust_unverified_email)
    return Match(Contact.get_by_id(contact.id))
