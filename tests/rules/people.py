"""The facts the rule tests share: the demo people of DESIGN §4 and builders of others."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from webapp.rules import Attempt, Contact, OrgCounts, Profile

TODAY = date(2026, 5, 1)
YESTERDAY = TODAY - timedelta(days=1)
ORG = 1
OTHER_ORG = 2

FIN = Profile(1, "Financieel", "SC-FIN", "Startcursus Beheerder Financieel")
HRM = Profile(2, "HRM/Payroll", "SC-HRM", "Startcursus Beheerder HRM/Payroll")
DONE = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)

OLD = datetime(2025, 6, 15, 8, 0, tzinfo=UTC)  # exempt from the course requirement
NEW = datetime(2026, 3, 5, 8, 0, tzinfo=UTC)  # course required


def contact(**kw) -> Contact:
    defaults = {"id": 100, "organisation_id": ORG, "name": "Test Persoon", "created_at": NEW}
    defaults.update(kw)
    return Contact(**defaults)


def attempt(score, course=FIN.course_code, completed=DONE) -> Attempt:
    return Attempt(course, None if score is None else Decimal(str(score)), completed)


def new_submitter(*attempts, profiles=(FIN,), **kw) -> Contact:
    return contact(submitter=True, profiles=profiles, attempts=attempts, **kw)


# --- The demo people (DESIGN §4) -------------------------------------------------

ANNA = contact(id=1, name="Anna de Vries", created_at=datetime(2023, 5, 1, tzinfo=UTC), admin=True)
BRAM = contact(
    id=2,
    name="Bram Jansen",
    created_at=datetime(2025, 6, 15, tzinfo=UTC),
    submitter=True,
    profiles=(FIN,),
)
CARLA = contact(
    id=3,
    name="Carla Smit",
    created_at=datetime(2026, 2, 10, tzinfo=UTC),
    submitter=True,
    profiles=(FIN,),
    attempts=(attempt(8.0),),
)
DAAN = contact(
    id=4,
    name="Daan Bakker",
    created_at=datetime(2026, 3, 5, tzinfo=UTC),
    submitter=True,
    profiles=(HRM,),
    attempts=(attempt(6.5, HRM.course_code),),
)
EVA = contact(id=5, name="Eva Visser", created_at=datetime(2024, 9, 1, tzinfo=UTC), viewer=True)
FEMKE = contact(
    id=6,
    name="Femke Mulder",
    created_at=datetime(2026, 4, 1, tzinfo=UTC),
    submitter=True,
    expert_until=date(2027, 12, 31),
    profiles=(FIN,),
)
GIJS = contact(id=7, name="Gijs de Boer", created_at=datetime(2024, 2, 1, tzinfo=UTC))
ADMINS = ("Anna de Vries",)
DEMO_COUNTS = OrgCounts(max_submitters=3, in_use=3, experts=1, admins=1)
