"""CSV imports of the data the rules need: idempotent upserts, all or nothing.

    klantportal import organisations|contacts|course-results|experts FILE [--dry-run]

A file is UTF-8 (a byte-order mark is fine), comma-separated (quote a value that holds a
comma), and starts with exactly this header line:

================  ====================================================================
organisations     ``customer_number,name,employee_count,segment``
contacts          ``customer_number,name,email,created_at,submission_profiles``
course-results    ``email,course_code,score,completed_at``
experts           ``email,certified_until``
================  ====================================================================

Values
    ``customer_number``: a whole number; in *contacts* the organisation must exist.
    ``employee_count``: a whole number, 0 or more. ``name``, ``segment``: not empty.
    ``email``: an e-mail address, case-insensitive (stored in lower case). In
    *course-results* and *experts* it must belong to exactly one contact.
    ``created_at``, ``completed_at``: ``YYYY-MM-DD`` (midnight) or an ISO 8601 date-time
    such as ``2026-05-04T14:30``; without an offset the time is Europe/Amsterdam.
    ``submission_profiles``: names of existing submission profiles separated by ``;``
    (empty: none). The list replaces the contact's profiles.
    ``course_code``: an existing course. ``score``: 1 to 10, at most two decimals, ``.`` or
    ``,`` as decimal separator.
    ``certified_until``: ``YYYY-MM-DD``, the last day the certification is valid
    (inclusive); empty withdraws the certification.

Keys (a second row with the same key is a duplicate, an error): organisations
``customer_number``; contacts ``customer_number`` + ``email``; course results
``email`` + ``course_code`` + ``completed_at``; experts ``email``.

Every row is validated before anything is written. A file with any bad row is rejected
with every problem as "regel N: reden" (line 1 is the header) and nothing is applied.
A good file is applied in one transaction: new keys are created, changed values updated,
equal rows left alone, so the same file twice changes nothing. Changes that affect the
rules (new contacts, their creation date, submission profiles, course results, expert
status) are written to the audit log as made by the system. A new organisation gets its
band's base as maximum until the next recalculation. ``--dry-run`` validates and shows
the changes without saving them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import click
from flask.cli import with_appcontext

from webapp import rules
from webapp.contacts import audit
from webapp.db import write_transaction
from webapp.models import Contact, ContactProfile, Course, CourseResult, Organisation, SubmissionProfile
from webapp.quota import import_parsing as parsing
from webapp.quota import recalculation
from webapp.quota.import_parsing import Problem, Row


class Rejected(Exception):
    """The file has problems; nothing was applied."""

    def __init__(self, problems: list[Problem]):
        super().__init__("; ".join(map(str, problems)))
        self.problems = problems


@dataclass
class Report:
    rows: int
    changes: list[str] = field(default_factory=list)
    applied: bool = False


@dataclass(frozen=True)
class Kind:
    header: tuple[str, ...]
    key: tuple[str, ...]  # a second row with the same key is a duplicate
    check: Callable[[list[Row]], list[Problem]]  # parse and resolve references, write nothing
    apply: Callable[[list[Row]], list[str]]  # upsert, audit, describe the changes


def run(kind: str, source: str | Path, dry_run: bool = False) -> Report:
    """Validate the whole file, then apply it in one transaction (rolled back for a dry run)."""
    spec = KINDS[kind]
    text = Path(source).read_text(encoding="utf-8-sig") if isinstance(source, Path) else source
    rows, problems = parsing.read(text, spec.header)
    if not problems:
        problems = spec.check(rows)
        problems += parsing.duplicates(rows, spec.key)
    if problems:
        raise Rejected(sorted(problems, key=lambda p: p.line))
    with write_transaction() as transaction:
        report = Report(len(rows), spec.apply(rows), applied=not dry_run)
        if dry_run:
            transaction.rollback()
    return report


# ---------------------------------------------------------------------------
# Organisations
# ---------------------------------------------------------------------------


def _check_organisations(rows: list[Row]) -> list[Problem]:
    return parsing.parse(
        rows,
        {
            "customer_number": parsing.whole(1),
            "name": parsing.text(200, name_like=True),
            "employee_count": parsing.whole(0),
            "segment": parsing.text(100),
        },
    )


def _apply_organisations(rows: list[Row]) -> list[str]:
    existing = parsing.organisations_by_number(row.value["customer_number"] for row in rows)
    bands = recalculation.bands()
    changes = []
    for row in rows:
        values = {name: row.value[name] for name in ("name", "employee_count", "segment")}
        number = row.value["customer_number"]
        org = existing.get(number)
        if org is None:
            band = rules.band_for(values["employee_count"], bands)
            Organisation.create(
                customer_number=number,
                **values,
                max_submitters=band.base,
                max_band_min=band.min_employees,
                max_band_max=band.max_employees,
                max_base=band.base,
            )
            changes.append(f"regel {row.line}: nieuwe organisatie {number} {values['name']}")
            continue
        differ = {name: value for name, value in values.items() if getattr(org, name) != value}
        if differ:
            Organisation.update(**differ).where(Organisation.id == org.id).execute()
            changes += [
                f"regel {row.line}: organisatie {number}: {name} {getattr(org, name)} → {value}"
                for name, value in differ.items()
            ]
    return changes


# ---------------------------------------------------------------------------
# Contacts
# ---------------------------------------------------------------------------


def _check_contacts(rows: list[Row]) -> list[Problem]:
    problems = parsing.parse(
        rows,
        {
            "customer_number": parsing.whole(1),
            "name": parsing.text(200, name_like=True),
            "email": parsing.email,
            "created_at": parsing.moment,
            "submission_profiles": parsing.profile_names,
        },
    )
    organisations = parsing.organisations_by_number(
        r.value["customer_number"] for r in rows if "customer_number" in r.value
    )
    problems += parsing.resolve(
        rows, "customer_number", organisations, "organisation", "onbekend klantnummer"
    )
    profiles = {p.name for p in SubmissionProfile.select(SubmissionProfile.name)}
    for row in rows:
        for name in row.value.get("submission_profiles", ()):
            if name not in profiles:
                problems.append(Problem(row.line, f"onbekend instuurprofiel: {name}"))
    return problems


def _apply_contacts(rows: list[Row]) -> list[str]:
    profiles = {p.name: p for p in SubmissionProfile.select()}
    by_email = parsing.contacts_by_email(row.value["email"] for row in rows)
    existing = {(c.organisation_id, c.email): c for found in by_email.values() for c in found}
    held: dict[int, set[str]] = {}
    for chunk in parsing.chunks(c.id for c in existing.values()):
        query = (
            ContactProfile.select(ContactProfile.contact, SubmissionProfile.name)
            .join(SubmissionProfile)
            .where(ContactProfile.contact.in_(chunk))
        )
        for link in query:
            held.setdefault(link.contact_id, set()).add(link.profile.name)
    changes = []
    for row in rows:
        v = row.value
        org = v["organisation"]
        contact = existing.get((org.id, v["email"]))
        where = f"regel {row.line}: {v['email']}"
        if contact is None:
            contact = Contact.create(
                organisation=org, name=v["name"], email=v["email"], created_at=v["created_at"]
            )
            audit.record(contact, "contact", "", f"aangemaakt: {v['name']}", field="contact")
            changes.append(f"{where}: nieuwe contactpersoon {v['name']} bij {org.customer_number}")
            before_profiles: set[str] = set()
        else:
            before_profiles = held.get(contact.id, set())
            if contact.name != v["name"]:
                audit.record(contact, "name", contact.name, v["name"])
                changes.append(f"{where}: naam {contact.name} → {v['name']}")
            if contact.created_at != v["created_at"]:
                audit.record(contact, "contact", contact.created_at, v["created_at"], field="created_at")
                changes.append(f"{where}: aangemaakt op {contact.created_at} → {v['created_at']} (UTC)")
            if (contact.name, contact.created_at) != (v["name"], v["created_at"]):
                Contact.update(name=v["name"], created_at=v["created_at"]).where(
                    Contact.id == contact.id
                ).execute()
        after_profiles = set(v["submission_profiles"])
        if after_profiles != before_profiles:
            ContactProfile.delete().where(
                (ContactProfile.contact == contact)
                & ContactProfile.profile.in_([profiles[n].id for n in before_profiles - after_profiles])
            ).execute()
            for name in sorted(after_profiles - before_profiles):
                ContactProfile.create(contact=contact, profile=profiles[name])
            audit.record(contact, "profile", sorted(before_profiles), sorted(after_profiles))
            changes.append(
                f"{where}: instuurprofielen {', '.join(sorted(before_profiles)) or 'geen'} → "
                f"{', '.join(sorted(after_profiles)) or 'geen'}"
            )
    return changes


# ---------------------------------------------------------------------------
# Course results
# ---------------------------------------------------------------------------


def _check_course_results(rows: list[Row]) -> list[Problem]:
    problems = parsing.parse(
        rows,
        {"email": parsing.email, "course_code": parsing.text(40), "score": parsing.score,
         "completed_at": parsing.moment},
    )
    courses = {c.code: c for c in Course.select()}
    problems += parsing.resolve(rows, "course_code", courses, "course", "onbekende cursuscode")
    return problems + parsing.resolve_contacts(rows)


def _apply_course_results(rows: list[Row]) -> list[str]:
    existing = {}
    for chunk in parsing.chunks({row.value["contact"].id for row in rows}):
        for result in CourseResult.select().where(CourseResult.contact.in_(chunk)):
            existing[(result.contact_id, result.course_id, result.completed_at)] = result
    changes = []
    for row in rows:
        v = row.value
        contact, course = v["contact"], v["course"]
        result = existing.get((contact.id, course.id, v["completed_at"]))
        where = f"regel {row.line}: {v['email']} {course.code} ({v['completed_at']} UTC)"
        if result is None:
            CourseResult.create(
                contact=contact, course=course, score=v["score"], completed_at=v["completed_at"]
            )
        elif result.score != v["score"]:
            CourseResult.update(score=v["score"]).where(CourseResult.id == result.id).execute()
        else:
            continue
        before = "" if result is None else rules.format_score(result.score)
        audit.record(contact, "course", before, rules.format_score(v["score"]), field=course.code)
        changes.append(f"{where}: score {before or 'nieuw'} → {rules.format_score(v['score'])}")
    return changes


# ---------------------------------------------------------------------------
# Expert certifications
# ---------------------------------------------------------------------------


def _check_experts(rows: list[Row]) -> list[Problem]:
    problems = parsing.parse(rows, {"email": parsing.email, "certified_until": parsing.day_or_empty})
    return problems + parsing.resolve_contacts(rows)


def _apply_experts(rows: list[Row]) -> list[str]:
    changes = []
    for row in rows:
        contact, until = row.value["contact"], row.value["certified_until"]
        if contact.expert_until == until:
            continue
        Contact.update(expert_until=until).where(Contact.id == contact.id).execute()
        audit.record(contact, "expert", contact.expert_until, until, field="expert_until")
        changes.append(
            f"regel {row.line}: {contact.email}: gecertificeerd tot {contact.expert_until or 'nooit'} → "
            f"{until or 'nooit'}"
        )
    return changes


KINDS = {
    "organisations": Kind(
        ("customer_number", "name", "employee_count", "segment"),
        ("customer_number",),
        _check_organisations,
        _apply_organisations,
    ),
    "contacts": Kind(
        ("customer_number", "name", "email", "created_at", "submission_profiles"),
        ("customer_number", "email"),
        _check_contacts,
        _apply_contacts,
    ),
    "course-results": Kind(
        ("email", "course_code", "score", "completed_at"),
        ("email", "course_code", "completed_at"),
        _check_course_results,
        _apply_course_results,
    ),
    "experts": Kind(("email", "certified_until"), ("email",), _check_experts, _apply_experts),
}


# ---------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------


@click.group("import")
def import_group():
    """Import organisations, contacts, course results or expert certifications from CSV."""


def _command(kind: str):
    @click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--dry-run", is_flag=True, help="Validate and show the changes; save nothing.")
    @with_appcontext
    def command(file, dry_run):
        try:
            report = run(kind, file, dry_run=dry_run)
        except Rejected as rejected:
            click.echo(f"{file}: afgekeurd, er is niets ingelezen.", err=True)
            for problem in rejected.problems:
                click.echo(f"  {problem}", err=True)
            raise SystemExit(1) from None
        for change in report.changes:
            click.echo(change)
        state = "proefdraaien: niets opgeslagen" if dry_run else "opgeslagen"
        click.echo(f"{file}: {report.rows} regels, {len(report.changes)} wijzigingen ({state}).")

    command.__doc__ = f"Import {kind} from a CSV file (header: {','.join(KINDS[kind].header)})."
    return import_group.command(kind)(command)


for _kind in KINDS:
    _command(_kind)
