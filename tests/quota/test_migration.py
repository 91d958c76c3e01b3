"""The migration to stored figures only (issue 17): organisations written when the Dutch
label and text were stored get their band's bounds, and explain themselves as before."""

import pytest

from tests.conftest import TEST_CONFIG, TEST_DB
from webapp import create_app, rules, schema
from webapp.db import close_database, db, execute_named
from webapp.i18n import translate
from webapp.models import Organisation

# customer number, employees, the stored label, base, peers, p75, maximum, the stored text
OLD_ROWS = [
    (1, 600, "251–1000 medewerkers", 5, 6, 4.75, 5,
     "251–1000 medewerkers: basis 5. 6 vergelijkbare klanten (zelfde grootte en segment), "
     "75e percentiel 4,75 → maximum 5."),
    (2, 6000, "5001 of meer medewerkers", 12, 2, None, 12,
     "5001 of meer medewerkers: basis 12. 2 vergelijkbare klanten (zelfde grootte en segment): "
     "minder dan 5 vergelijkbare klanten, dus het maximum is de basis: 12."),
    (3, 40, "11–50 medewerkers", 2, None, None, 2,  # imported, never compared
     "11–50 medewerkers: basis 2. Nog niet vergeleken met vergelijkbare klanten; dat gebeurt "
     "bij de volgende herberekening."),
    (4, 180, "", None, None, None, 0, ""),  # created by hand, never computed
]

INSERT = (
    "INSERT INTO organisation (customer_number, name, employee_count, segment, max_submitters, "
    "max_explanation, max_band, max_base, max_peer_count, max_p75, incident_sequence) VALUES "
    "({number}, 'Klant', {employees}, 'Retail', {maximum}, {text}, {label}, {base}, {peers}, {p75}, 0)"
)


def explained(org: Organisation):
    worded = rules.explain_stored(
        org.max_band_min, org.max_band_max, org.max_base, org.max_peer_count, org.max_p75, org.max_submitters
    )
    return worded and worded[1]


@pytest.mark.alters_schema
def test_old_rows_get_their_band_bounds_and_explain_themselves_as_before(
    database_url, tmp_path, monkeypatch
):
    url = f"sqlite:///{tmp_path / 'old.sqlite3'}" if TEST_DB == "sqlite" else database_url
    app = create_app({**TEST_CONFIG, "DATABASE_URL": url})
    version = schema.MIGRATIONS.index(schema._quota_figures) + 1
    try:
        with app.app_context():
            with monkeypatch.context() as patch:
                patch.setattr(schema, "MIGRATIONS", schema.MIGRATIONS[: version - 1])
                schema.migrate()
            for number, employees, label, base, peers, p75, maximum, text in OLD_ROWS:
                execute_named(INSERT, {
                    "number": number, "employees": employees, "maximum": maximum, "text": text,
                    "label": label, "base": base, "peers": peers, "p75": p75,
                })

            assert version in schema.migrate()
            orgs = list(Organisation.select().order_by(Organisation.customer_number))
            bounds = [(o.max_band_min, o.max_band_max, o.max_base, o.max_peer_count) for o in orgs]
            assert bounds == [
                (251, 1000, 5, 6), (5001, None, 12, 2), (11, 50, 2, None), (None, None, None, None)
            ]
            assert [explained(o) or "" for o in orgs] == [row[-1] for row in OLD_ROWS]
            with app.test_request_context(headers={"Accept-Language": "en"}):
                assert translate(explained(orgs[0])) == (
                    "251–1000 employees: base 5. 6 comparable customers (same size and segment), "
                    "75th percentile 4.75 → maximum 5."
                )
            columns = {column.name for column in db.get_columns("organisation")}
            assert not {"max_band", "max_explanation"} & columns
    finally:
        close_database(app)
