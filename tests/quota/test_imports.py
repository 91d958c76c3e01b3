"""CSV imports over the demo data: applied, idempotent, and all-or-nothing with line numbers."""

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from webapp.models import AuditEntry, Contact, CourseResult, Organisation
from webapp.quota import imports
from webapp.support.views import maximum_explained

DATA = Path(__file__).resolve().parents[1] / "data" / "imports"


@pytest.fixture
def ctx(seeded):
    with seeded.app_context():
        yield seeded


def contact(email):
    return Contact.get(Contact.email == email)


def profiles(email):
    return sorted(link.profile.name for link in contact(email).profile_links)


def snapshot():
    """Everything an import may touch, to show a rejected file changed nothing."""
    return (
        sorted((o.customer_number, o.name, o.employee_count, o.segment) for o in Organisation.select()),
        sorted((c.email, c.name, c.created_at, c.expert_until) for c in Contact.select()),
        sorted((r.contact_id, r.course_id, r.score, r.completed_at) for r in CourseResult.select()),
        sorted((c.email, tuple(profiles(c.email))) for c in Contact.select()),
        AuditEntry.select().count(),
    )


def apply_twice(kind, name):
    first = imports.run(kind, DATA / name)
    audits = AuditEntry.select().count()
    state = snapshot()
    second = imports.run(kind, DATA / name)
    assert second.changes == []
    assert snapshot() == state and AuditEntry.select().count() == audits
    return first


def system_audit(email, kind):
    return [
        (e.before, e.after)
        for e in AuditEntry.select().where(
            (AuditEntry.contact == contact(email)) & (AuditEntry.kind == kind) & AuditEntry.actor.is_null()
        )
    ]


def test_organisations(ctx):
    report = apply_twice("organisations", "organisations.csv")
    assert len(report.changes) == 2  # 10001 is unchanged
    anker = Organisation.get(customer_number=20002)
    assert (anker.name, anker.employee_count, anker.segment) == (
        "Zorggroep Het Anker, locatie Zwolle",
        1200,
        "Zorg",
    )
    assert (anker.max_submitters, anker.max_computed_at) == (8, None)  # the band's base until the nightly run
    # Not yet compared, and it says so: the figures of its band only.
    figures = (anker.max_band_min, anker.max_band_max, anker.max_base, anker.max_peer_count)
    assert figures == (1001, 5000, 8, None)
    assert maximum_explained(anker)[1] == (
        "1001–5000 medewerkers: basis 8. Nog niet vergeleken met vergelijkbare klanten; dat gebeurt bij "
        "de volgende herberekening."
    )


def test_contacts(ctx):
    report = apply_twice("contacts", "contacts.csv")
    assert len(report.changes) == 4  # Joost: new, profiles; Kim: new; Bram: profiles
    joost = contact("joost.peters@korenschoof.example")
    assert joost.created_at == datetime(2026, 5, 3, 22, 0)  # midnight Amsterdam (summer time) in UTC
    assert profiles(joost.email) == ["Financieel", "HRM/Payroll"]
    assert contact("kim.de.wit@vandijk.example").organisation.customer_number == 10002
    assert profiles("bram.legacy@korenschoof.example") == ["Financieel"]
    assert system_audit("bram.legacy@korenschoof.example", "profile") == [
        ("Financieel, HRM/Payroll", "Financieel")
    ]
    assert system_audit(joost.email, "contact") == [("", "aangemaakt: Joost Peters")]


def test_course_results(ctx):
    apply_twice("course-results", "course_results.csv")
    daan = contact("daan.onvoldoende@korenschoof.example")
    assert sorted(r.score for r in daan.course_results) == [Decimal("6.5"), Decimal("7.5")]
    carla = contact("carla.cursus@korenschoof.example")
    assert Decimal("8.5") in [r.score for r in carla.course_results]
    assert system_audit(daan.email, "course") == [("", "7,5")]


def test_experts(ctx):
    report = apply_twice("experts", "experts.csv")
    assert len(report.changes) == 1  # Femke was already certified until 2028-12-31
    assert contact("bram.legacy@korenschoof.example").expert_until == date(2027, 12, 31)
    assert system_audit("bram.legacy@korenschoof.example", "expert") == [("", "2027-12-31")]


@pytest.mark.parametrize(
    ("kind", "name", "line", "reason"),
    [
        (
            "organisations",
            "organisations_duplicate.csv",
            4,
            "dubbele regel: zelfde customer_number als regel 2",
        ),
        ("contacts", "contacts_unknown_customer.csv", 3, "onbekend klantnummer: 99999"),
        ("contacts", "contacts_bad_email.csv", 2, "geen geldig e-mailadres"),
        ("course-results", "course_results_score_11.csv", 3, "moet tussen 1 en 10 liggen: 11"),
        ("experts", "experts_bad_date.csv", 2, "geen datum (JJJJ-MM-DD): '31-12-2027'"),
    ],
)
def test_one_bad_row_applies_nothing(ctx, kind, name, line, reason):
    before = snapshot()
    with pytest.raises(imports.Rejected) as rejected:
        imports.run(kind, DATA / name)
    assert [p.line for p in rejected.value.problems] == [line]
    assert reason in rejected.value.problems[0].reason
    assert snapshot() == before


def test_dry_run_shows_and_saves_nothing(ctx):
    before = snapshot()
    report = imports.run("contacts", DATA / "contacts.csv", dry_run=True)
    assert len(report.changes) == 4 and not report.applied
    assert snapshot() == before


def test_wrong_header_is_line_one(ctx):
    with pytest.raises(imports.Rejected) as rejected:
        imports.run("experts", "email,until\nx@y.nl,2027-01-01\n")
    assert str(rejected.value.problems[0]) == "regel 1: de kopregel moet zijn: email,certified_until"


def test_cli(seeded):
    runner = seeded.test_cli_runner()
    dry = runner.invoke(args=["import", "experts", str(DATA / "experts.csv"), "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "regel 2: bram.legacy@korenschoof.example" in dry.output and "niets opgeslagen" in dry.output
    bad = runner.invoke(args=["import", "course-results", str(DATA / "course_results_score_11.csv")])
    assert bad.exit_code == 1
    assert "afgekeurd" in bad.output and "regel 3: score: moet tussen 1 en 10 liggen: 11" in bad.output


@pytest.mark.parametrize(
    ("kind", "text", "reason"),
    [
        ("contacts", "10001,Joost\x1bPeters,joost@korenschoof.example,2026-05-04,Financieel\n", "name: "),
        ("contacts", "10001,Joost\u202ePeters,joost@korenschoof.example,2026-05-04,Financieel\n", "name: "),
        ("contacts", "10001,Joost Peters,joost\x07@korenschoof.example,2026-05-04,Financieel\n", "email: "),
        ("contacts", "10001,Joost Peters,joost\u202e@korenschoof.example,2026-05-04,\n", "email: "),
        ("organisations", "10001,Bakkerij\x00De Korenschoof B.V.,180,Retail\n", "name: "),
        ("organisations", "10001,Bakkerij De Korenschoof B.V.,180,Ret\x7fail\n", "segment: "),
        ("course-results", "carla.smit@korenschoof.example,FIN\x1b-START,8,2026-03-01\n", "course_code: "),
    ],
)
def test_rows_with_control_or_direction_characters_are_rejected_with_the_row(ctx, kind, text, reason):
    header = ",".join(imports.KINDS[kind].header)
    before = snapshot()
    with pytest.raises(imports.Rejected) as rejected:
        imports.run(kind, f"{header}\n{text}")
    problems = [p for p in rejected.value.problems if p.reason.startswith(reason)]
    assert [p.line for p in problems] == [2], rejected.value.problems
    assert "stuurteken" in problems[0].reason or "leesrichting" in problems[0].reason
    assert snapshot() == before
