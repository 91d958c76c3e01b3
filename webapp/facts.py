"""The bridge from the stored rows to the rules' facts: a contact as ``rules.Contact``,
its profiles and course results (read when a rule first asks, or in bulk for a page)."""

from collections.abc import Sequence
from functools import cached_property

from webapp import clock, rules
from webapp.models import Contact, ContactProfile, Course, CourseResult, SubmissionProfile


def of_contact(contact: Contact, profiles=None, attempts=None) -> rules.Contact:
    """``contact`` as the rules see it. Its profiles and course results are read (one query
    each) when a rule first asks for them, unless given: a list of contacts reads them in
    bulk (``directory.rows_for``)."""
    return contact_facts(
        contact,
        tuple(profiles) if profiles is not None
        else Deferred(profile_links(ContactProfile.contact == contact.id), profile_facts),
        tuple(attempts) if attempts is not None
        else Deferred(course_results(CourseResult.contact == contact.id), attempt_facts),
    )


class Deferred(Sequence):
    """A tuple read from the database on first use: the rows of ``query``, each passed
    through ``convert``.

    The rules look at a contact's profiles and course results, and name the admins, only
    on some paths (a submitter's check, a refusal); most requests never read them.
    """

    def __init__(self, query, convert):
        self._query, self._convert = query, convert

    @cached_property
    def _items(self) -> tuple:
        return tuple(self._convert(row) for row in self._query)

    def __getitem__(self, index):
        return self._items[index]

    def __len__(self) -> int:
        return len(self._items)

    def __eq__(self, other) -> bool:
        return isinstance(other, Sequence) and tuple(self) == tuple(other)


def admin_names(organisation_id: int) -> Deferred:
    """The organisation's active administrators by name, for the refusals that name them."""
    query = (
        Contact.select(Contact.name)
        .where((Contact.organisation == organisation_id) & Contact.active & Contact.admin)
        .order_by(Contact.name)
    )
    return Deferred(query, lambda contact: contact.name)


def contact_facts(contact, profiles, attempts) -> rules.Contact:
    """A contact as the rules see it: a model, or a row of ``FACT_COLUMNS``."""
    return rules.Contact(
        id=contact.id,
        organisation_id=contact.organisation_id,
        name=contact.name,
        created_at=clock.aware(contact.created_at),
        active=contact.active,
        submitter=contact.submitter,
        viewer=contact.viewer,
        admin=contact.admin,
        expert_until=contact.expert_until,
        profiles=profiles,
        attempts=attempts,
    )


def _as_stored(*columns):
    # Ids and texts come from the driver as Python has them: peewee's conversion would be a
    # function call per value that changes nothing (a list reads hundreds of values).
    return tuple(column.coerce(False) for column in columns)


# What contact_facts reads, and the e-mail: a list of contacts (directory) reads these.
FACT_COLUMNS = (
    *_as_stored(Contact.id, Contact.organisation.alias("organisation_id"), Contact.name, Contact.email),
    Contact.created_at,
    Contact.active,
    Contact.submitter,
    Contact.viewer,
    Contact.admin,
    Contact.expert_until,
)


# A contact's profiles and course results, for one contact (Contact.facts) or a page of
# them (directory.rows_for), as tuples that start with the contact's id: see
# profile_facts and attempt_facts.
def profile_links(contacts):
    """The profiles of ``contacts`` (a condition), each with its course."""
    return (
        ContactProfile.select(
            *_as_stored(
                ContactProfile.contact, SubmissionProfile.id, SubmissionProfile.name, Course.code, Course.name
            )
        )
        .join(SubmissionProfile)
        .join(Course)
        .where(contacts)
        .order_by(SubmissionProfile.name)
        .tuples()
    )


def profile_facts(link) -> rules.Profile:
    _, profile_id, name, course_code, course_name = link
    return rules.Profile(id=profile_id, name=name, course_code=course_code, course_name=course_name)


def course_results(contacts):
    """The course results of ``contacts`` (a condition)."""
    return (
        CourseResult.select(
            *_as_stored(CourseResult.contact, Course.code), CourseResult.score, CourseResult.completed_at
        )
        .join(Course)
        .where(contacts)
        .tuples()
    )


def attempt_facts(result) -> rules.Attempt:
    _, course_code, score, completed_at = result
    return rules.Attempt(
        course_code=course_code, score=score, completed_at=clock.aware(completed_at) if completed_at else None
    )
