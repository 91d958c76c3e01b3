"""The base every feature stands on: health, home, the gate on every route, the schema."""

import pytest
from flask import request_finished
from playhouse.migrate import PostgresqlMigrator, SqliteMigrator
from playhouse.migrate import migrate as run_migrations

from tests.conftest import TEST_DB
from webapp import schema, seed
from webapp.db import db, is_sqlite
from webapp.models import Incident, Organisation, SchemaVersion


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
    """A version-1 database with the demo in it (no quota columns, no incident counts yet)
    upgrades in place."""
    app = make_app()
    with app.app_context():
        seed.seed_demo()
        triggers = ("incident_counted", "incident_uncounted", "incident_moved") if is_sqlite() else ()
        for statement in [f"DROP TRIGGER {name}" for name in triggers] or [
            "DROP TRIGGER incident_count ON incident", "DROP FUNCTION count_incidents()"
        ]:
            db.execute_sql(statement)
        if is_sqlite():
            db.pragma("foreign_keys", 0)  # dropping a column rebuilds the table on SQLite
        migrator = SqliteMigrator(db.obj) if is_sqlite() else PostgresqlMigrator(db.obj)
        columns = ("max_band", "max_base", "max_peer_count", "max_p75", "incident_count")
        run_migrations(*(migrator.drop_column("organisation", name) for name in columns))
        if is_sqlite():
            db.pragma("foreign_keys", 1)
        SchemaVersion.delete().where(SchemaVersion.version > 1).execute()

        assert schema.migrate() == list(range(2, len(schema.MIGRATIONS) + 1))
        assert "max_band" in {column.name for column in db.get_columns("organisation")}
        korenschoof = Organisation.get(customer_number=10001)
        assert korenschoof.max_submitters == 3
        incidents = Incident.select().where(Incident.organisation == korenschoof)
        assert korenschoof.incident_count == incidents.count() > 0

        # Migrated again over its own triggers (SQLite rebuilds tables that hold them): they
        # still count.
        SchemaVersion.delete().where(SchemaVersion.version > 1).execute()
        schema.migrate()
        row = incidents.dicts().first()
        del row["id"]
        Incident.create(**{**row, "number": "2026-999999"})
        assert Organisation.get_by_id(korenschoof.id).incident_count == incidents.count()


def test_the_database_keeps_each_organisations_number_of_incidents(seeded):
    """Whoever writes the incidents (the portal, an import, a script), the count follows."""
    with seeded.app_context():
        korenschoof, other = Organisation.select().order_by(Organisation.id)[:2]

        def counted():
            return [Organisation.get_by_id(o.id).incident_count for o in (korenschoof, other)]

        def actual():
            return [Incident.select().where(Incident.organisation == o).count() for o in (korenschoof, other)]

        assert counted() == actual()
        template = Incident.select().where(Incident.organisation == korenschoof).dicts().first()
        del template["id"]
        Incident.insert_many([{**template, "number": f"2026-9{i:05d}"} for i in range(3)]).execute()
        assert counted() == actual() and counted()[0] >= 3
        moved = Incident.get(Incident.number == "2026-900000")
        Incident.update(organisation=other).where(Incident.id == moved.id).execute()
        assert counted() == actual()
        Incident.delete().where(Incident.number.startswith("2026-9")).execute()
        assert counted() == actual()

        # An organisation added by plain SQL (an import, bench/quota) starts at none.
        db.execute_sql(
            "INSERT INTO organisation (customer_number, name, employee_count, segment, "
            "max_submitters, max_explanation, max_band, incident_sequence) "
            "VALUES (99999, 'Nieuw B.V.', 5, 'zorg', 1, '', '', 0)"
        )
        assert Organisation.get(customer_number=99999).incident_count == 0
