"""The base every feature stands on: health, home, the gate on every route, the schema."""

import logging

import pytest
from flask import request_finished
from peewee import SQL, BooleanField
from playhouse.migrate import migrate as run_migrations

from tests.conftest import TEST_CONFIG, TEST_DB
from webapp import create_app, models, schema, seed
from webapp.db import close_database, db
from webapp.models import Contact, Course, Incident, Organisation, SchemaVersion


def test_healthz_answers_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok"}


def test_readyz_checks_the_database(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json["database"] == "ok"


@pytest.mark.skipif(TEST_DB != "postgres", reason="SQLite opens its file per request (no pool)")
def test_postgres_requests_share_pooled_connections(app, client):
    # A new server connection per request cost more than a page's queries (bench/load).
    backends = []

    def record(sender, response, **extra):
        backends.append(db.execute_sql("SELECT pg_backend_pid()").fetchone()[0])

    with request_finished.connected_to(record, app):
        for _ in range(3):
            assert client.get("/readyz").status_code == 200
    assert len(backends) == 3 and len(set(backends)) == 1


def test_signed_out_home_offers_sign_in_in_dutch(client):
    page = client.get("/").get_data(as_text=True)
    assert "Aanmelden" in page
    assert 'lang="nl"' in page


def test_signed_in_home_says_who_and_what(client, login):
    login(client, "daan.onvoldoende")
    page = client.get("/").get_data(as_text=True)
    assert "Daan Bakker" in page
    assert "Bakkerij De Korenschoof B.V." in page
    assert "Incidenten insturen" in page
    assert "Je mag geen incidenten insturen" in page
    assert "6,5" in page  # his best score, with the reason


def test_every_route_is_public_by_declaration_or_gated(app):
    undeclared = [
        rule.rule
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static"
        and getattr(app.view_functions[rule.endpoint], "access", None) not in ("public", "gated")
    ]
    assert undeclared == []


def test_schema_command_is_idempotent(app, runner):
    with app.app_context():
        assert schema.migrate() == []
        versions = [v.version for v in SchemaVersion.select()]
    result = runner.invoke(args=["schema"])
    assert "up to date" in result.output
    with app.app_context():
        assert [v.version for v in SchemaVersion.select()] == versions


def test_seed_sets_the_recalculated_maximum(seeded):
    with seeded.app_context():
        korenschoof = Organisation.get(customer_number=10001)
        assert korenschoof.max_submitters == 3
        assert korenschoof.counts().in_use == 3


VERSION_1_DATA = [
    "INSERT INTO organisation (id, customer_number, name, employee_count, segment, max_submitters, "
    "max_explanation, incident_sequence) VALUES (1, 10001, 'Bakkerij', 180, 'Retail', 3, '', 1)",
    "INSERT INTO course (id, code, name) VALUES (1, 'SC-FIN', 'Startcursus Financieel')",
    "INSERT INTO submission_profile (id, name, course_id) VALUES (1, 'Financieel', 1)",
    "INSERT INTO contact (organisation_id, name, email, phone, function, created_at, active, "
    "submitter, viewer, admin) VALUES (1, 'Anna', 'anna@x.example', '', '', '2024-01-01 00:00:00', "
    "TRUE, FALSE, FALSE, TRUE), (1, 'Bram', 'bram@x.example', '', '', '2024-01-01 00:00:00', "
    "TRUE, TRUE, FALSE, FALSE)",
    "INSERT INTO incident (organisation_id, number, reporter_id, profile_id, subject, description, "
    "priority, reference, status, created_at, updated_at) SELECT 1, '2025-000001', id, 1, 'Vraag', "
    "'Omschrijving', 'normaal', '', 'nieuw', '2025-01-01 00:00:00', '2025-01-01 00:00:00' "
    "FROM contact WHERE email = 'bram@x.example'",
]


@pytest.mark.alters_schema
def test_migrations_upgrade_a_version_1_database_that_holds_data(database_url, tmp_path):
    """A database made by version 1's DDL, with data written as version 1 knew it, upgrades
    in place: every later version applies, and the counts start right and keep counting."""
    url = f"sqlite:///{tmp_path / 'v1.sqlite3'}" if TEST_DB == "sqlite" else database_url
    app = create_app({**TEST_CONFIG, "DATABASE_URL": url})
    try:
        with app.app_context():
            db.create_tables([SchemaVersion])
            schema.MIGRATIONS[0](None)
            SchemaVersion.create(version=1)
            for statement in VERSION_1_DATA:
                db.execute_sql(statement)

            assert schema.migrate() == list(range(2, len(schema.MIGRATIONS) + 1))
            organisation = Organisation.get(customer_number=10001)
            assert (organisation.contact_count, organisation.incident_count) == (2, 1)
            Contact.create(organisation=organisation, name="Carla", email="carla@x.example")
            assert Organisation.get_by_id(organisation.id).contact_count == 3
    finally:
        close_database(app)


def test_a_migrated_database_has_every_column_the_models_name(app):
    """Version 1 is frozen DDL; the versions after it must bring it to today's models."""
    with app.app_context():
        for model in models.TABLES + [models.JobLock]:
            stored = {column.name for column in db.get_columns(model._meta.table_name)}
            assert {field.column_name for field in model._meta.sorted_fields} <= stored, model


@pytest.mark.alters_schema
def test_a_migration_that_rebuilds_a_counted_table_keeps_its_count(make_app, monkeypatch):
    """On SQLite a NOT NULL column is added by rebuilding the table, which drops its
    triggers; migrate() puts the counts' triggers back after every version."""
    app = make_app()
    with app.app_context():
        seed.seed_demo()

        def rebuild(migrator):
            flag = BooleanField(default=False, constraints=[SQL("DEFAULT FALSE")])
            run_migrations(migrator.add_column("contact", "rebuilt", flag),
                           migrator.add_column("incident", "rebuilt", flag))

        monkeypatch.setattr(schema, "MIGRATIONS", [*schema.MIGRATIONS, rebuild])
        assert schema.migrate() == [len(schema.MIGRATIONS)]
        korenschoof = Organisation.get(customer_number=10001)
        incidents = Incident.select().where(Incident.organisation == korenschoof)
        contacts = Contact.select().where(Contact.organisation == korenschoof)
        row = incidents.dicts().first()
        del row["id"]
        Incident.create(**{**row, "number": "2026-999999"})
        Contact.create(organisation=korenschoof, name="Nieuw", email="nieuw@korenschoof.example")
        again = Organisation.get_by_id(korenschoof.id)
        assert (again.incident_count, again.contact_count) == (incidents.count(), contacts.count())


@pytest.mark.parametrize(
    "model, column, unique",
    [(Incident, "incident_count", "number"), (Contact, "contact_count", "email")],
    ids=["incidents", "contacts"],
)
def test_the_database_keeps_each_organisations_number_of(seeded, model, column, unique):
    """Whoever writes the rows (the portal, an import, a script), the count follows."""
    with seeded.app_context():
        korenschoof, other = Organisation.select().order_by(Organisation.id)[:2]

        def counted():
            return [getattr(Organisation.get_by_id(o.id), column) for o in (korenschoof, other)]

        def actual():
            return [model.select().where(model.organisation == o).count() for o in (korenschoof, other)]

        assert counted() == actual()
        template = model.select().where(model.organisation == korenschoof).dicts().first()
        del template["id"]
        template.pop("oidc_subject", None)  # unique: the copies have none
        added = [f"9{i:05d}@x" for i in range(3)]
        model.insert_many([{**template, unique: value} for value in added]).execute()
        assert counted() == actual() and counted()[0] >= 3
        model.update(organisation=other).where(getattr(model, unique) == added[0]).execute()
        assert counted() == actual()
        model.delete().where(getattr(model, unique).in_(added)).execute()
        assert counted() == actual()

        # An organisation added by plain SQL (an import, bench/quota) starts at none.
        db.execute_sql(
            "INSERT INTO organisation (customer_number, name, employee_count, segment, "
            "max_submitters, incident_sequence) VALUES (99999, 'Nieuw B.V.', 5, 'zorg', 1, 0)"
        )
        assert getattr(Organisation.get(customer_number=99999), column) == 0


def test_two_apps_in_one_process_each_keep_their_own_database(tmp_path):
    """The factory configures only the app it returns: no process-wide database or logging."""
    handlers = list(logging.getLogger().handlers)
    apps = [
        create_app({**TEST_CONFIG, "DATABASE_URL": f"sqlite:///{tmp_path / name}.sqlite3"})
        for name in ("one", "two")
    ]
    assert logging.getLogger().handlers == handlers
    try:
        for number, app in enumerate(apps, start=1):
            with app.app_context():
                schema.migrate()
                for i in range(number):
                    Course.create(code=f"C{i}", name="Cursus")
        with apps[0].app_context():
            assert Course.select().count() == 1
            with apps[1].test_request_context():
                assert Course.select().count() == 2
            assert Course.select().count() == 1
            assert apps[1].test_client().get("/readyz").status_code == 200
        for number, app in enumerate(apps, start=1):
            with app.app_context():
                assert Course.select().count() == number
    finally:
        for app in apps:
            close_database(app)
