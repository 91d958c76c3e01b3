"""The demo data of DESIGN §4. Idempotent: seeding twice leaves the same database."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from webapp import clock
from webapp.db import db
from webapp.models import (
    Contact,
    ContactProfile,
    Course,
    CourseResult,
    Incident,
    IncidentStatusChange,
    Organisation,
    Reaction,
    SubmissionProfile,
)
from webapp.quota import recalculation

COURSES = {
    "SC-FIN": "Startcursus Beheerder Financieel",
    "SC-HRM": "Startcursus Beheerder HRM/Payroll",
    "SC-CRM": "Startcursus Beheerder CRM",
}
PROFILES = {"Financieel": "SC-FIN", "HRM/Payroll": "SC-HRM", "CRM": "SC-CRM"}

ORGANISATIONS = [
    {"customer_number": 10001, "name": "Bakkerij De Korenschoof B.V.", "employee_count": 180,
     "segment": "Retail", "domain": "korenschoof.example"},
    {"customer_number": 10002, "name": "Transportbedrijf Van Dijk", "employee_count": 40,
     "segment": "Logistiek", "domain": "vandijk.example"},
]

# username, customer, name, created (Amsterdam date), roles, profiles, course results, expert until
CONTACTS = [
    ("anna.admin", 10001, "Anna de Vries", "2023-05-01", {"admin"}, [], [], None),
    ("bram.legacy", 10001, "Bram Jansen", "2025-06-15", {"submitter"},
     ["Financieel", "HRM/Payroll"], [], None),
    ("carla.cursus", 10001, "Carla Smit", "2026-02-10", {"submitter"}, ["Financieel"],
     [("SC-FIN", "8.0", "2026-02-20")], None),
    ("daan.onvoldoende", 10001, "Daan Bakker", "2026-03-05", {"submitter"}, ["HRM/Payroll"],
     [("SC-HRM", "6.5", "2026-03-20")], None),
    ("eva.bekijker", 10001, "Eva Visser", "2024-09-01", {"viewer"}, [], [], None),
    ("femke.expert", 10001, "Femke Mulder", "2026-04-01", {"submitter"},
     ["Financieel", "HRM/Payroll"], [], "2028-12-31"),
    ("gijs.geen", 10001, "Gijs de Boer", "2024-02-01", set(), ["Financieel"], [], None),
    ("hugo.vandijk", 10002, "Hugo van Dijk", "2024-01-10", {"admin", "submitter"},
     ["HRM/Payroll"], [], None),
]

# customer, reporter, profile, subject, priority, status, opened (Amsterdam date)
INCIDENTS = [
    (10001, "bram.legacy", "Financieel", "Btw-aangifte Q3 sluit niet aan op grootboek", "hoog",
     "in_behandeling", "2026-10-02"),
    (10001, "bram.legacy", "HRM/Payroll", "Loonstrook toont oude cao-schaal", "normaal",
     "opgelost", "2026-08-14"),
    (10001, "carla.cursus", "Financieel", "Bankkoppeling ING haalt geen afschriften op", "kritiek",
     "nieuw", "2026-11-20"),
    (10001, "femke.expert", "Financieel", "Afschrijvingsschema activa rekent verkeerd", "normaal",
     "wacht_op_klant", "2026-09-09"),
    (10001, "bram.legacy", "Financieel", "Debiteurenherinnering wordt dubbel verstuurd", "laag",
     "gesloten", "2026-03-03"),
    (10002, "hugo.vandijk", "HRM/Payroll", "Reiskostenvergoeding chauffeurs ontbreekt", "hoog",
     "in_behandeling", "2026-10-28"),
    (10002, "hugo.vandijk", "HRM/Payroll", "Verlofsaldo na import onjuist", "normaal",
     "opgelost", "2026-06-11"),
]

STATUS_PATH = ("nieuw", "in_behandeling", "wacht_op_klant", "opgelost", "gesloten")


def _utc(day: str, hour: int = 9) -> datetime:
    """A Europe/Amsterdam wall-clock time on ``day`` as stored naive UTC."""
    local = datetime.fromisoformat(day).replace(hour=hour, tzinfo=clock.AMSTERDAM)
    return local.astimezone(UTC).replace(tzinfo=None)


def _upsert(model, key: dict, values: dict):
    row = model.get_or_none(**key)
    if row is None:
        return model.create(**key, **values)
    model.update(**values).where(model.id == row.id).execute()
    return model.get_by_id(row.id)


def seed_demo() -> None:
    """Create or reset the demo organisations, people, courses and incidents."""
    with db.atomic():
        courses = {code: _upsert(Course, {"code": code}, {"name": name}) for code, name in COURSES.items()}
        profiles = {
            name: _upsert(SubmissionProfile, {"name": name}, {"course": courses[code]})
            for name, code in PROFILES.items()
        }
        organisations = {}
        for data in ORGANISATIONS:
            values = {k: data[k] for k in ("name", "employee_count", "segment")}
            organisations[data["customer_number"]] = _upsert(
                Organisation, {"customer_number": data["customer_number"]}, values
            )
        domains = {d["customer_number"]: d["domain"] for d in ORGANISATIONS}
        contacts = {}
        for username, customer, name, created, roles, held, results, expert in CONTACTS:
            contact = _upsert(
                Contact,
                {"organisation": organisations[customer], "email": f"{username}@{domains[customer]}"},
                {
                    "name": name,
                    "created_at": _utc(created),
                    "active": True,
                    "submitter": "submitter" in roles,
                    "viewer": "viewer" in roles,
                    "admin": "admin" in roles,
                    "expert_until": date.fromisoformat(expert) if expert else None,
                },
            )
            contacts[username] = contact
            _sync_profiles(contact, {profiles[name].id for name in held})
            _sync_results(contact, {
                (courses[code].id, _utc(completed, 14)): Decimal(score)
                for code, score, completed in results
            })
        _seed_incidents(organisations, contacts, profiles)
    if any(o.max_computed_at is None for o in Organisation.select()):
        recalculation.recompute()


def _sync_profiles(contact, wanted: set[int]) -> None:
    """Give ``contact`` exactly these profiles, touching only rows that differ."""
    held = {link.profile_id for link in ContactProfile.select().where(ContactProfile.contact == contact)}
    ContactProfile.delete().where(
        (ContactProfile.contact == contact) & ContactProfile.profile.not_in(list(wanted) or [0])
    ).execute()
    for profile_id in wanted - held:
        ContactProfile.create(contact=contact, profile=profile_id)


def _sync_results(contact, wanted: dict) -> None:
    """Give ``contact`` exactly these attempts, keyed by (course, completed_at)."""
    for result in CourseResult.select().where(CourseResult.contact == contact):
        key = (result.course_id, result.completed_at)
        if key not in wanted:
            result.delete_instance()
            continue
        score = wanted.pop(key)
        if result.score != score:
            CourseResult.update(score=score).where(CourseResult.id == result.id).execute()
    for (course_id, completed_at), score in wanted.items():
        CourseResult.create(contact=contact, course=course_id, score=score, completed_at=completed_at)


def _seed_incidents(organisations, contacts, profiles) -> None:
    sequence = dict.fromkeys(organisations, 0)
    for customer, reporter, profile, subject, priority, status, opened in INCIDENTS:
        organisation = organisations[customer]
        sequence[customer] += 1
        number = f"{opened[:4]}-{sequence[customer]:06d}"
        if Incident.get_or_none(organisation=organisation, number=number):
            continue
        created = _utc(opened, 10)
        incident = Incident.create(
            organisation=organisation, number=number, reporter=contacts[reporter],
            profile=profiles[profile], subject=subject, priority=priority, status=status,
            description=f"{subject}. Stappen om het te reproduceren staan in de bijlage; "
            "het probleem doet zich sinds de laatste update voor.",
            created_at=created, updated_at=created,
        )
        for step, state in enumerate(STATUS_PATH[: STATUS_PATH.index(status) + 1]):
            IncidentStatusChange.create(
                incident=incident, status=state, changed_at=created + timedelta(days=step)
            )
        if status != "nieuw":
            Reaction.create(
                incident=incident, author=None, created_at=created + timedelta(days=1),
                body="Dank voor je melding. We hebben het incident in behandeling genomen.",
            )
        Organisation.update(
            incident_sequence=Organisation.incident_sequence + 1
        ).where(Organisation.id == organisation.id).execute()
