"""The decisions: may this contact do this? Each answer is a ``Decision`` (rules 1–5, 8).

A refusal carries every ``Reason`` that applies, in a fixed order, so the page can
explain all of them at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date

from webapp.rules import reasons
from webapp.rules.facts import (
    DEFAULT_SETTINGS,
    ROLES,
    Contact,
    OrgCounts,
    Profile,
    Settings,
    best_score,
    course_status,
    grant_exceeds_maximum,
    qualifying_profiles,
)
from webapp.rules.messages import N_, Message
from webapp.rules.reasons import Reason


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reasons: tuple[Reason, ...] = ()

    def __bool__(self) -> bool:
        return self.allowed

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(r.code for r in self.reasons)

    @classmethod
    def allow(cls) -> Decision:
        return cls(True, ())

    @classmethod
    def deny(cls, *reasons: Reason) -> Decision:
        if not reasons:
            raise ValueError("a refusal must explain itself: give at least one Reason")
        return cls(False, tuple(reasons))


# ---------------------------------------------------------------------------
# Submitting and contacting Support (rules 4, 5)
# ---------------------------------------------------------------------------


def may_submit(
    contact: Contact,
    today: date,
    settings: Settings = DEFAULT_SETTINGS,
    admin_names: Sequence[str] = (),
    profile: Profile | None = None,
    counts: OrgCounts | None = None,
) -> Decision:
    """May the contact submit incidents (``profile=None``), or for this profile?

    All reasons that apply are given, in a fixed order: inactive, no_submitter_role,
    no_profile, profile_not_held, course_not_passed (one per held profile lacking the
    course; only the given profile when one is given). Without a profile the course
    reasons refuse only when no profile qualifies at all. An active admin is told to
    grant herself the role or profile; ``counts`` (her organisation's) say whether the
    maximum lets her now.
    """
    found: list[Reason] = []
    own = reasons.own_admin_of(contact, counts, today)
    if not contact.active:
        found.append(reasons.inactive(admin_names))
    if not contact.submitter:
        found.append(reasons.no_submitter_role(admin_names, own))
    no_profile = contact.submitter and not contact.profiles
    if no_profile:
        found.append(reasons.no_profile(admin_names, own))

    if profile is not None:
        held = any(p.id == profile.id for p in contact.profiles)
        if not held and not no_profile:  # "no profile at all" already says it
            found.append(reasons.profile_not_held(profile, admin_names, own))
        if held and course_status(contact, profile, today, settings) == "not_passed":
            best = best_score(contact, profile.course_code)
            found.append(reasons.course_not_passed(profile, best, settings))
    elif contact.profiles and not qualifying_profiles(contact, today, settings):
        found.extend(
            reasons.course_not_passed(p, best_score(contact, p.course_code), settings)
            for p in contact.profiles
        )

    return Decision.deny(*found) if found else Decision.allow()


def may_contact_support(
    contact: Contact,
    today: date,
    settings: Settings = DEFAULT_SETTINGS,
    admin_names: Sequence[str] = (),
    counts: OrgCounts | None = None,
) -> Decision:
    """Contacting Support is gated exactly like submitting (rule 5)."""
    return may_submit(contact, today, settings, admin_names, profile=None, counts=counts)


# ---------------------------------------------------------------------------
# Incidents
# ---------------------------------------------------------------------------


def may_view_all_incidents(contact: Contact) -> bool:
    """Viewers and admins see all incidents of their own organisation."""
    return contact.active and (contact.viewer or contact.admin)


def may_list_incidents(contact: Contact, admin_names: Sequence[str] = ()) -> Decision:
    """Submitters (own incidents), viewers and admins (all) may open the incident list."""
    if not contact.active:
        return Decision.deny(reasons.inactive(admin_names))
    if contact.submitter or contact.viewer or contact.admin:
        return Decision.allow()
    return Decision.deny(reasons.no_incident_role(admin_names))


def may_view_incident(
    contact: Contact,
    incident_organisation_id: int,
    reporter_id: int | None,
    admin_names: Sequence[str] = (),
) -> Decision:
    """Reporter (while submitter), viewers and admins of the same organisation.

    Another organisation's incident, or a colleague's incident for a plain submitter,
    is ``not_found`` (404: its existence is not revealed).
    """
    if contact.organisation_id != incident_organisation_id:
        return Decision.deny(reasons.not_found())
    if not contact.active:
        return Decision.deny(reasons.inactive(admin_names))
    if contact.viewer or contact.admin:
        return Decision.allow()
    if contact.submitter:
        if reporter_id == contact.id:
            return Decision.allow()
        return Decision.deny(reasons.not_found())
    return Decision.deny(reasons.no_incident_role(admin_names))


def may_react(
    contact: Contact,
    incident_organisation_id: int,
    reporter_id: int | None,
    admin_names: Sequence[str] = (),
) -> Decision:
    """Only the reporter, while an active submitter, reacts; viewers/admins read only."""
    view = may_view_incident(contact, incident_organisation_id, reporter_id, admin_names)
    if not view:
        return view
    if contact.submitter and reporter_id == contact.id:
        return Decision.allow()
    return Decision.deny(reasons.read_only())


# ---------------------------------------------------------------------------
# Managing contacts and roles (rules 1, 2)
# ---------------------------------------------------------------------------


def may_manage_contacts(contact: Contact, admin_names: Sequence[str] = ()) -> Decision:
    """Only active admins manage their organisation's contacts (rule 1)."""
    if not contact.active:
        return Decision.deny(reasons.inactive(admin_names))
    if not contact.admin:
        return Decision.deny(reasons.not_admin(admin_names))
    return Decision.allow()

def may_change_role(
    actor: Contact,
    target: Contact,
    role: str,
    grant: bool,
    counts: OrgCounts,
    today: date,
    admin_names: Sequence[str] = (),
) -> Decision:
    """May ``actor`` grant (``grant=True``) or revoke ``role`` for ``target``?

    ``counts`` are the target organisation's counts, read inside the transaction that
    applies the change. Revoking is always allowed except the last admin's admin role;
    granting something already held is allowed (a no-op for the caller).
    """
    manage = may_manage_contacts(actor, admin_names)
    if not manage:
        return manage
    refusal = (
        _other_organisation(actor, target)
        or _unknown_role(role)
        or (_grant_refusal(target, role, counts, today) if grant else _revoke_refusal(target, role, counts))
    )
    return Decision.deny(refusal) if refusal else Decision.allow()


def _other_organisation(actor: Contact, target: Contact) -> Reason | None:
    return reasons.not_found() if target.organisation_id != actor.organisation_id else None


def _unknown_role(role: str) -> Reason | None:
    return None if role in ROLES else reasons.unknown_role(role)


def _revoke_refusal(target: Contact, role: str, counts: OrgCounts) -> Reason | None:
    """Revoking is always allowed, except the admin role of the last admin (rule 1)."""
    if role == "admin" and target.admin and counts.admins <= 1:
        return reasons.last_admin(target, counts)
    return None


def _grant_refusal(target: Contact, role: str, counts: OrgCounts, today: date) -> Reason | None:
    """A role already held is granted as a no-op; an inactive contact gets none; the
    submitter role only within the maximum (rule 2)."""
    if getattr(target, role):
        return None
    if not target.active:
        return reasons.target_inactive(target, role)
    if grant_exceeds_maximum(target, role, counts, today):
        return reasons.maximum_reached(counts)
    return None


def may_change_active(
    actor: Contact,
    target: Contact,
    active: bool,
    counts: OrgCounts,
    today: date,
    admin_names: Sequence[str] = (),
) -> Decision:
    """May ``actor`` deactivate (``active=False``) or reactivate ``target``?

    Deactivating an admin is revoking the admin role (the last admin stays); reactivating
    a submitter is granting the submitter role (the maximum applies); any other change of
    a contact of the own organisation is an admin's to make (rule 1).
    """
    if not active and target.admin:
        return may_change_role(actor, target, "admin", False, counts, today, admin_names)
    if active and target.submitter:
        returning = replace(target, active=True, submitter=False)
        return may_change_role(actor, returning, "submitter", True, counts, today, admin_names)
    if target.organisation_id != actor.organisation_id:
        return Decision.deny(reasons.not_found())
    return may_manage_contacts(actor, admin_names)


# Refusals of a role toggle that concern the toggled contact, not the one toggling.
_ABOUT_TARGET = frozenset({"maximum_reached", "last_admin", "target_inactive"})


def refusal_about_target(decision: Decision) -> bool:
    """Is this role-change refusal about the contact whose role it is (the maximum, the
    last admin, an inactive contact), so it belongs beside that contact's checkbox? Any
    other refusal is about the one toggling and is explained in full."""
    return not decision and bool(_ABOUT_TARGET.intersection(decision.codes))


def may_request_role(contact: Contact, role: str) -> Decision:
    """May ``contact`` ask the admins for ``role``? Not an admin: she grants it herself
    (rules 1, 2), so the request would only reach herself or her colleagues."""
    if contact.active and contact.admin:
        return Decision.deny(reasons.self_grant(contact, role))
    return Decision.allow()


def single_admin_warning(counts: OrgCounts) -> Message | None:
    """The recommendation of at least two admins, shown when there is only one (rule 1)."""
    if counts.admins == 1:
        return Message(
            N_(
                "Je organisatie heeft maar één klantportalbeheerder. We raden minstens twee "
                "klantportalbeheerders aan, zodat er altijd iemand rollen kan toekennen."
            )
        )
    return None
