"""An organisation's contacts: the paged list with course facts, and saving a contact.

The list loads a page in a constant number of queries (contacts, their profiles, their
course results), whatever the organisation's size. Saving checks every rule inside one
write transaction and stores nothing when any field or rule refuses.
"""

from collections import defaultdict
from dataclasses import dataclass, replace
from decimal import Decimal

from peewee import IntegrityError

from webapp import clock, rules
from webapp.contacts import audit, roles
from webapp.db import count, lock_organisation, write_transaction
from webapp.facts import (
    FACT_COLUMNS,
    attempt_facts,
    contact_facts,
    course_results,
    profile_facts,
    profile_links,
)
from webapp.i18n import explain, gettext
from webapp.models import Contact, ContactProfile, CourseResult, Organisation, SubmissionProfile
from webapp.pagination import Page, paginate

PAGE_SIZE = 25
DETAILS = ("name", "email", "phone", "function")


@dataclass(frozen=True)
class ProfileStatus:
    profile: rules.Profile
    status: str  # rules.course_status: not_required | expert | passed | not_passed
    best: Decimal | None


@dataclass(frozen=True)
class Row:
    contact: rules.Contact
    email: str
    course_requirement: bool
    expert: bool
    profiles: tuple[ProfileStatus, ...]

    @property
    def roles(self) -> tuple[str, ...]:
        return rules.roles_held(self.contact)


def page_of_contacts(organisation: Organisation, search: str, number: int, settings: rules.Settings) -> Page:
    """One page of the organisation's contacts, by name, filtered on name or e-mail."""
    search = search.strip()
    matching = Contact.organisation == organisation.id
    if search:
        matching &= Contact.name.contains(search) | Contact.email.contains(search.lower())
    # Only what a row shows and the rules read, as tuples: peewee builds a model per row.
    query = Contact.select(*FACT_COLUMNS).where(matching)
    total = count(query) if search else organisation.contact_count  # the latter kept by the database
    page = paginate(query.order_by(Contact.name, Contact.id).namedtuples(), number, PAGE_SIZE, total)
    return replace(page, rows=rows_for(page.rows, settings))


def rows_for(contacts: list, settings: rules.Settings) -> list[Row]:
    """Table rows for one page of ``contacts`` (rows of ``FACT_COLUMNS``): two bulk queries,
    never one per contact."""
    assert len(contacts) <= PAGE_SIZE
    ids = [c.id for c in contacts]
    links = defaultdict(list)
    for link in profile_links(ContactProfile.contact.in_(ids)):
        links[link[0]].append(link)
    results = defaultdict(list)
    for result in course_results(CourseResult.contact.in_(ids)):
        results[result[0]].append(result)
    today = clock.today()
    rows = []
    for c in contacts:
        profiles, attempts = tuple(map(profile_facts, links[c.id])), tuple(map(attempt_facts, results[c.id]))
        facts = contact_facts(c, profiles, attempts)
        rows.append(_row(facts, c.email, settings, today))
    return rows


def row_for(contact: Contact, settings: rules.Settings) -> Row:
    """One contact's row (after a toggle, on its page), its facts read as the rules read them."""
    return _row(contact.facts(), contact.email, settings, clock.today())


def _row(facts: rules.Contact, email: str, settings: rules.Settings, today) -> Row:
    return Row(
        contact=facts,
        email=email,
        course_requirement=rules.course_requirement_applies(facts, settings),
        expert=rules.is_expert(facts, today),
        profiles=tuple(
            ProfileStatus(
                p, rules.course_status(facts, p, today, settings), rules.best_score(facts, p.course_code)
            )
            for p in facts.profiles
        ),
    )


class Refused(Exception):
    """A save refused by a field or a rule: ``errors`` maps form fields to messages."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__(errors)
        self.errors = errors


def save_contact(actor: Contact, contact: Contact | None, data: dict) -> Contact:
    """Create (``contact`` None) or update a contact of the actor's organisation.

    ``data`` holds the form's cleaned values: the ``DETAILS``, ``profiles`` (ids),
    ``submitter``/``viewer``/``admin`` and ``active``. Every effective change is audited in
    the same transaction; raises ``Refused`` (and stores nothing) when a rule refuses.
    """
    data = {**data, "email": data["email"].strip().lower()}
    try:
        with write_transaction():
            lock_organisation(actor.organisation_id)
            return _save(actor, contact, data)
    except IntegrityError as error:
        # Another request stored the same e-mail address between our check and our insert.
        raise Refused({"email": [_email_taken()]}) from error


def _save(actor: Contact, contact: Contact | None, data: dict) -> Contact:
    if contact is not None:
        contact = Contact.get_by_id(contact.id)  # as it is now, and the caller's copy stays untouched
    taken = Contact.select().where(
        (Contact.organisation == actor.organisation_id) & (Contact.email == data["email"])
    )
    if contact is not None:
        taken = taken.where(Contact.id != contact.id)
    if taken.exists():
        raise Refused({"email": [_email_taken()]})

    details = {name: data[name].strip() for name in DETAILS}
    if contact is None:
        # Created now, so the course requirement applies (rule 4).
        contact = Contact.create(organisation=actor.organisation_id, **details, created_at=clock.now())
        audit.record(contact, "contact", "", f"{contact.name} <{contact.email}>", actor=actor)
    else:
        for name, value in details.items():
            before = getattr(contact, name)
            if before != value:
                setattr(contact, name, value)
                audit.record(contact, name, before, value, actor=actor)
        contact.save(only=[getattr(Contact, name) for name in DETAILS])

    _save_profiles(actor, contact, set(data["profiles"]))

    errors = {}
    if data["active"]:
        _check(errors, "active", roles.apply_active(actor, contact, True))
    for role in rules.ROLES:
        _check(errors, role, roles.apply_role(actor, contact, role, bool(data[role])))
    if not data["active"]:
        _check(errors, "active", roles.apply_active(actor, contact, False))
    if errors:
        raise Refused(errors)
    return contact


def _save_profiles(actor: Contact, contact: Contact, wanted: set[int]) -> None:
    held = {
        link.profile_id: link.profile.name
        for link in ContactProfile.select(ContactProfile, SubmissionProfile)
        .join(SubmissionProfile)
        .where(ContactProfile.contact == contact)
    }
    if wanted == set(held):
        return
    ContactProfile.delete().where(
        (ContactProfile.contact == contact) & ContactProfile.profile.not_in(list(wanted))
    ).execute()
    for profile_id in wanted - set(held):
        ContactProfile.create(contact=contact, profile=profile_id)
    names = {p.id: p.name for p in SubmissionProfile.select().where(SubmissionProfile.id.in_(list(wanted)))}
    audit.record(contact, "profile", list(held.values()), list(names.values()), actor=actor)


def _check(errors: dict, field: str, decision: rules.Decision) -> None:
    if not decision:
        errors[field] = [explain(reason) for reason in decision.reasons]


def _email_taken() -> str:
    return gettext("Er is al een contactpersoon met dit e-mailadres in je organisatie.")
