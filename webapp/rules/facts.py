"""The facts the rules decide on, and what follows from them alone (rules 2–4).

Other modules build these objects from the database on every gated request; nothing
here reads it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from webapp import clock
from webapp.rules.messages import N_, Message, to_decimal

ROLES = ("submitter", "viewer", "admin")
ROLE_LABELS = {
    "submitter": Message(N_("Incidenten insturen")),
    "viewer": Message(N_("Incidenten bekijken")),
    "admin": Message(N_("Klantportalbeheerder")),
}


@dataclass(frozen=True)
class Settings:
    course_required_from: date = date(2026, 1, 1)  # a date in Europe/Amsterdam
    pass_score: Decimal = Decimal("7.0")
    expert_satisfies_course: bool = True


DEFAULT_SETTINGS = Settings()


@dataclass(frozen=True)
class Attempt:
    course_code: str
    score: Decimal | None  # None = not (yet) graded
    completed_at: datetime | None  # None = incomplete; incomplete attempts never count


@dataclass(frozen=True)
class Profile:
    """A submission profile (*instuurprofiel*)."""

    id: int
    name: str  # e.g. "Financieel"
    course_code: str  # required start course, e.g. "SC-FIN"
    course_name: str  # e.g. "Startcursus Beheerder Financieel"


@dataclass(frozen=True)
class Contact:
    id: int
    organisation_id: int
    name: str
    created_at: datetime  # timezone-aware (UTC from the DB); compared in Europe/Amsterdam
    active: bool = True
    submitter: bool = False
    viewer: bool = False
    admin: bool = False
    expert_until: date | None = None  # certified expert through this date inclusive
    profiles: tuple[Profile, ...] = ()
    attempts: tuple[Attempt, ...] = ()


@dataclass(frozen=True)
class OrgCounts:
    max_submitters: int
    in_use: int  # active submitters who are not current experts
    experts: int  # active submitters who are current experts (not counted)
    admins: int  # active admins

    @property
    def over_by(self) -> int:
        return max(0, self.in_use - self.max_submitters)

    @property
    def free(self) -> int:
        return max(0, self.max_submitters - self.in_use)


def roles_held(contact: Contact) -> tuple[str, ...]:
    return tuple(role for role in ROLES if getattr(contact, role))


def is_expert(contact: Contact, today: date) -> bool:
    """Certified expert through ``expert_until`` inclusive (rule 3)."""
    return contact.expert_until is not None and contact.expert_until >= today


def counts_towards_maximum(contact: Contact, today: date) -> bool:
    """Active submitters who are not current experts count (rule 2)."""
    return contact.active and contact.submitter and not is_expert(contact, today)


# The same rule as a condition on the contact table, for the database's counts (the
# organisation's counter on every page, the nightly recalculation): keep the two together.
COUNTS_TOWARDS_MAXIMUM_SQL = "active AND submitter AND (expert_until IS NULL OR expert_until < {today})"


def grant_exceeds_maximum(target: Contact, role: str, counts: OrgCounts, today: date) -> bool:
    """Would granting ``role`` to ``target`` take one more place than the maximum has (rule 2)?"""
    return role == "submitter" and not is_expert(target, today) and counts.in_use >= counts.max_submitters


def course_requirement_applies(contact: Contact, settings: Settings = DEFAULT_SETTINGS) -> bool:
    """Contacts created on or after ``course_required_from`` (Amsterdam date) (rule 4).

    A naive ``created_at`` (SQLite may return one) is UTC, the way the database stores it."""
    return clock.local(contact.created_at).date() >= settings.course_required_from


def best_score(contact: Contact, course_code: str) -> Decimal | None:
    """Best score among completed, graded attempts of this course; None if there are none."""
    scores = [
        to_decimal(a.score)
        for a in contact.attempts
        if a.course_code == course_code and a.completed_at is not None and a.score is not None
    ]
    return max(scores) if scores else None


# What course_status() answers, as the contacts table shows it.
COURSE_STATUS_LABELS = {
    "not_required": N_("niet vereist"),
    "expert": N_("Expert"),
    "passed": N_("gehaald"),
    "not_passed": N_("nog niet gehaald"),
}


def course_status(
    contact: Contact, profile: Profile, today: date, settings: Settings = DEFAULT_SETTINGS
) -> str:
    """``"not_required"`` | ``"expert"`` | ``"passed"`` | ``"not_passed"`` (rules 3, 4)."""
    if not course_requirement_applies(contact, settings):
        return "not_required"
    if settings.expert_satisfies_course and is_expert(contact, today):
        return "expert"
    best = best_score(contact, profile.course_code)
    if best is not None and best >= to_decimal(settings.pass_score):
        return "passed"
    return "not_passed"


def qualifying_profiles(
    contact: Contact, today: date, settings: Settings = DEFAULT_SETTINGS
) -> tuple[Profile, ...]:
    """The contact's profiles whose course requirement is met (rule 4).

    Only the course requirement: whether the contact may submit at all (active,
    role) is ``may_submit``'s question.
    """
    return tuple(
        p for p in contact.profiles if course_status(contact, p, today, settings) != "not_passed"
    )
