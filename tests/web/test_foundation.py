"""The base every feature stands on: health, home, the gate on every route, the schema."""

import logging

import pytest
from flask import request_finished
from peewee import SQL, BooleanField
from playhouse.migrate import PostgresqlMigrator, SqliteMigrator
from playhouse.migrate import migrate as run_migrations

from tests.conftest import TEST_CONFIG, TEST_DB
from webapp import create_app, models, schema, seed
from webapp.db import close_database, db, is_sqlite
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


@pytest.mark.alters_schema
def test_migrations_upgrade_a_database_that_holds_data(make_app):
    """A version-1 database with the demo in it (no quota columns, no scheduler guard, no
    counts yet) upgrades in place."""
    app = make_app()
    with app.app_context():
        seed.seed_demo()
        for table, plural in (("incident", "incidents"), ("contact", "contacts")):
            triggers = (f"{table}_counted", f"{table}_uncounted", f"{table}_moved") if is_sqlite() else ()
            for statement in [f"DROP TRIGGER {name}" for name in triggers] or [
                f"DROP TRIGGER {table}_count ON {table}", f"DROP FUNCTION count_{plural}()"
            ]:
                db.execute_sql(statement)
        if is_sqlite():
            db.pragma("foreign_keys", 0)  # dropping a column rebuilds the table on SQLite
        migrator = SqliteMigrator(db.obj) if is_sqlite() else PostgresqlMigrator(db.obj)
        columns = ("max_band", "max_base", "max_peer_count", "max_p75", "incident_count", "contact_count")
        run_migrations(*(migrator.drop_column("organisation", name) for name in columns))
        db.execute_sql("DROP TABLE job_lock")
        for index in ("contact_quota_in_use", "contact_admins", "access_request_status"):
            db.execute_sql(f"DROP INDEX {index}")
        if is_sqlite():
            db.pragma("foreign_keys", 1)
        SchemaVersion.delete().where(SchemaVersion.version > 1).execute()

        assert schema.migrate() == list(range(2, len(schema.MIGRATIONS) + 1))
        assert "max_band" in {column.name for column in db.get_columns("organisation")}
        korenschoof = Organisation.get(customer_number=10001)
        assert korenschoof.max_submitters == 3
        incidents = Incident.select().where(Incident.organisation == korenschoof)
        assert korenschoof.incident_count == incidents.count() > 0
        contacts = Contact.select().where(Contact.organisation == korenschoof)
        assert korenschoof.contact_count == contacts.count() > 0



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
            "max_submitters, max_explanation, max_band, incident_sequence) "
            "VALUES (99999, 'Nieuw B.V.', 5, 'zorg', 1, '', '', 0)"
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
