"""db.Prepared: a query's SQL built once, then run with new values, on either database."""

from datetime import timedelta

import pytest

from tests.conftest import TEST_DB, contact_named
from webapp import clock
from webapp.contacts import audit
from webapp.db import Prepared, db, slot
from webapp.models import AuditEntry, Contact, Organisation, WebSession


def test_each_run_binds_its_own_values(seeded):
    with seeded.app_context():
        anna, gijs = contact_named("anna.admin"), contact_named("gijs.geen")
        assert Contact.by_id(anna.id).name == "Anna de Vries"
        assert Contact.by_id(gijs.id).name == "Gijs de Boer"
        assert Contact.by_id(-1) is None


def test_the_sql_is_built_once_per_database(seeded):
    built = []

    def build():
        built.append(1)
        return Contact.select(Contact.name).where(Contact.email == slot("email", Contact.email))

    by_email = Prepared(build)
    with seeded.app_context():
        emails = ("anna.admin@korenschoof.example", "gijs.geen@korenschoof.example")
        names = [by_email.first(email=e).name for e in emails]
        assert by_email.first(email="nobody@example.org") is None
    assert names == ["Anna de Vries", "Gijs de Boer"]
    assert len(built) == 1


def test_values_are_converted_by_their_field_as_peewee_would(seeded):
    # A foreign key takes the model itself, as in a peewee query; the database gets its id.
    sessions_of = Prepared(
        lambda: WebSession.select().where(WebSession.contact == slot("contact", WebSession.contact))
    )
    with seeded.app_context():
        anna = contact_named("anna.admin")
        WebSession.create(key_hash="k", contact=anna, expires_at=clock.now() + timedelta(hours=1))
        assert [s.key_hash for s in sessions_of.rows(contact=anna)] == ["k"]
        assert [s.key_hash for s in sessions_of.rows(contact=anna.id)] == ["k"]


def test_joined_models_come_back_with_the_row(seeded):
    with seeded.app_context():
        anna = contact_named("anna.admin")
        queries = []
        original = db.obj.execute_sql

        def counting(sql, *args, **kwargs):
            if not sql.startswith("PREPARE "):  # PostgreSQL: once per connection
                queries.append(sql)
            return original(sql, *args, **kwargs)

        db.obj.execute_sql = counting
        try:
            signed_in = Contact.signed_in(anna.id)
            organisation = signed_in.organisation.name
        finally:
            db.obj.execute_sql = original
        assert organisation == "Bakkerij De Korenschoof B.V."
        assert len(queries) == 1


def test_a_prepared_write_stores_each_runs_values(seeded):
    """The audit log writes through one (``audit.record``): who changed what, and when."""
    with seeded.app_context():
        anna, gijs = contact_named("anna.admin"), contact_named("gijs.geen")
        audit.record(gijs, "role", False, True, actor=anna, field="viewer")
        audit.record(gijs, "active", True, False)  # by the system: no actor
        entries = list(AuditEntry.select().where(AuditEntry.contact == gijs).order_by(AuditEntry.id))[-2:]
    assert [(e.actor_id, e.kind, e.field, e.before, e.after) for e in entries] == [
        (anna.id, "role", "viewer", "nee", "ja"),
        (None, "active", "active", "ja", "nee"),
    ]
    assert all(abs(e.at - clock.now()) < timedelta(minutes=1) for e in entries)
    assert entries[0].organisation_id == gijs.organisation_id


def test_results_of_one_prepared_query_read_side_by_side_keep_their_own_rows(seeded):
    colleagues = Prepared(
        lambda: Contact.select(Contact, Organisation)
        .join(Organisation)
        .where(Contact.organisation == slot("organisation", Contact.organisation))
        .order_by(Contact.name)
    )
    with seeded.app_context():
        anna, hugo = contact_named("anna.admin"), contact_named("hugo.vandijk")
        first, second = colleagues.rows(organisation=anna.organisation_id), colleagues.rows(
            organisation=hugo.organisation_id
        )
        second_names = [(c.name, c.organisation.name) for c in second]
        first_names = [(c.name, c.organisation.name) for c in first]
        third = colleagues.rows(organisation=hugo.organisation_id)
        assert list(third) == list(second) and len(second) == 1
        korenschoof, van_dijk = anna.organisation.name, hugo.organisation.name
    assert second_names == [("Hugo van Dijk", van_dijk)]
    assert len(first_names) > 3 and ("Anna de Vries", korenschoof) in first_names
    assert all(organisation == korenschoof for _, organisation in first_names)


@pytest.mark.skipif(TEST_DB != "postgres", reason="PostgreSQL prepares statements on the server")
def test_postgres_parses_a_prepared_query_once_per_connection(seeded):
    by_email = Prepared(
        lambda: Contact.select(Contact.name).where(Contact.email == slot("email", Contact.email))
    )
    with seeded.app_context():
        statements = []
        original = db.obj.execute_sql

        def recording(sql, *args, **kwargs):
            statements.append(sql)
            return original(sql, *args, **kwargs)

        db.obj.execute_sql = recording
        try:
            names = [by_email.first(email="anna.admin@korenschoof.example").name]
            with pytest.raises(RuntimeError), db.atomic():
                names.append(by_email.first(email="gijs.geen@korenschoof.example").name)
                raise RuntimeError("rolled back")
            names.append(by_email.first(email="carla.cursus@korenschoof.example").name)
            assert by_email.first(email="nobody@example.org") is None
        finally:
            db.obj.execute_sql = original
        on_server = db.execute_sql("SELECT statement FROM pg_prepared_statements").fetchall()
    assert names == ["Anna de Vries", "Gijs de Boer", "Carla Smit"]
    assert [s for s in statements if s.startswith("PREPARE")] == [statements[0]]
    assert sum(1 for s in statements if s.startswith("EXECUTE")) == 4
    assert any('"t1"."email" = $1' in statement for (statement,) in on_server)
