"""Schema versions, applied in order and recorded, so ``klantportal schema`` is idempotent.

Version 1 is frozen DDL (``migrations/``); each later version changes it with peewee's
``playhouse.migrate`` (``migrator.add_column(...)`` and friends) and so knows exactly what it
starts from. A future change is a new function appended to ``MIGRATIONS``; never edit an
applied one.
"""

import re
from pathlib import Path

from peewee import SQL, CharField, DateTimeField, FloatField, IntegerField
from playhouse.migrate import PostgresqlMigrator, SqliteMigrator
from playhouse.migrate import migrate as run_migrations

from webapp import models
from webapp.db import db, execute_named, is_sqlite

MIGRATIONS_DIR = Path(__file__).with_name("migrations")


def _run_sql_file(name: str) -> None:
    """Run ``migrations/<name>.<sqlite|postgresql>.sql``, one statement at a time."""
    dialect = "sqlite" if is_sqlite() else "postgresql"
    text = MIGRATIONS_DIR.joinpath(f"{name}.{dialect}.sql").read_text()
    lines = [line for line in text.splitlines() if not line.startswith("--")]
    for statement in "\n".join(lines).split(";"):
        if statement.strip():
            db.execute_sql(statement)


def _initial(migrator):
    _run_sql_file("0001_initial")


def _quota_explanation(migrator):
    """The structured explanation of the maximum, and the scheduler's guard (issue 6)."""
    run_migrations(
        migrator.add_column("organisation", "max_band", CharField(max_length=100, default="")),
        migrator.add_column("organisation", "max_base", IntegerField(null=True)),
        migrator.add_column("organisation", "max_peer_count", IntegerField(null=True)),
        migrator.add_column("organisation", "max_p75", FloatField(null=True)),
    )
    _run_sql_file("0002_job_lock")


def _quota_in_use_index(migrator):
    """Lets the nightly recalculation count submitters per organisation from a small index."""
    db.execute_sql(
        "CREATE INDEX contact_quota_in_use "
        "ON contact (organisation_id, expert_until, active, submitter) "
        "WHERE active AND submitter"
    )


def _admins_index(migrator):
    """Lets every page count and name an organisation's administrators from a small index.
    ``active`` and ``admin`` are in it too: SQLite counts a partial index as covering only
    when the columns the query names are in it, and prefers a covering one."""
    db.execute_sql(
        "CREATE INDEX contact_admins "
        "ON contact (organisation_id, name, active, admin) WHERE active AND admin"
    )


def _pending_requests_index(migrator):
    """Lets *Mijn contactpersonen* find the few pending access requests directly, instead
    of looking up requests for every contact of the organisation."""
    db.execute_sql(
        "CREATE INDEX access_request_status "
        "ON access_request (status, created_at, id)"
    )


def _incident_count(migrator):
    """Each organisation's number of incidents, kept by the database on every insert and
    delete: counting an organisation's 20,000 incidents took a sixth of the list's time."""
    _keep_count(migrator, "incident")


def _contact_count(migrator):
    """Each organisation's number of contacts, kept the same way: counting 5,000 contacts
    was the dearest query of *Mijn contactpersonen*."""
    _keep_count(migrator, "contact")


# The tables whose rows organisation.<table>_count counts, by the version that added it.
COUNTED = {6: "incident", 7: "contact"}


def _keep_count(migrator, table: str):
    """``organisation.<table>_count``: the number of the table's rows per organisation, kept
    by triggers on every insert, delete and move, whoever writes them (the portal, an import,
    a script)."""
    column = f"{table}_count"
    count = IntegerField(default=0, constraints=[SQL("DEFAULT 0")])
    run_migrations(migrator.add_column("organisation", column, count))
    _install_count_triggers(table)
    db.execute_sql(
        f"UPDATE organisation SET {column} = "
        f"(SELECT COUNT(*) FROM {table} WHERE {table}.organisation_id = organisation.id)"
    )


def _install_count_triggers(table: str):
    column = f"{table}_count"
    add = f"UPDATE organisation SET {column} = {column} + 1 WHERE id = NEW.organisation_id;"
    subtract = f"UPDATE organisation SET {column} = {column} - 1 WHERE id = OLD.organisation_id;"
    if is_sqlite():
        statements = [
            f"CREATE TRIGGER IF NOT EXISTS {table}_counted AFTER INSERT ON {table} BEGIN {add} END",
            f"CREATE TRIGGER IF NOT EXISTS {table}_uncounted AFTER DELETE ON {table} BEGIN {subtract} END",
            f"CREATE TRIGGER IF NOT EXISTS {table}_moved AFTER UPDATE OF organisation_id ON {table} "
            f"BEGIN {subtract} {add} END",
        ]
    else:
        statements = [
            f"""CREATE OR REPLACE FUNCTION count_{table}s() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
              IF TG_OP <> 'INSERT' THEN {subtract} END IF;
              IF TG_OP <> 'DELETE' THEN {add} END IF;
              RETURN NULL;
            END $$""",
            f"DROP TRIGGER IF EXISTS {column} ON {table}",
            f"CREATE TRIGGER {column} AFTER INSERT OR DELETE OR UPDATE OF organisation_id ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION count_{table}s()",
        ]
    for statement in statements:
        db.execute_sql(statement)


def _refresh_lease(migrator):
    """``web_session.refreshing_until``: one request per session redeems the refresh token."""
    run_migrations(migrator.add_column("web_session", "refreshing_until", DateTimeField(null=True)))


def _mail(migrator):
    """The outbox of mails, and each contact's mail language and opt-out (issue 18). Plain
    ADD COLUMN with a default: no table rebuild on SQLite."""
    db.execute_sql("ALTER TABLE contact ADD COLUMN language VARCHAR(2) NOT NULL DEFAULT 'nl'")
    db.execute_sql("ALTER TABLE contact ADD COLUMN mail_informational BOOLEAN NOT NULL DEFAULT TRUE")
    _run_sql_file("0009_outbox")


# The two forms Band.label took in Dutch, read once by _quota_figures below.
_CLOSED_BAND = re.compile(r"(\d+)–(\d+) medewerkers")
_OPEN_BAND = re.compile(r"(\d+) of meer medewerkers")


def _quota_figures(migrator):
    """The maximum's explanation kept as figures only (issue 17): the band's bounds join
    base, peers and p75, and ``rules.explain_stored`` words them in the reader's language;
    the stored Dutch label and text go. Existing rows get their bounds from that label, the
    one time it is read; a row without one gets its figures from the next recalculation.
    Nullable ADD COLUMN and DROP COLUMN alter the table in place on SQLite (3.35+) too."""
    db.execute_sql("ALTER TABLE organisation ADD COLUMN max_band_min INTEGER")
    db.execute_sql("ALTER TABLE organisation ADD COLUMN max_band_max INTEGER")
    labels = db.execute_sql("SELECT DISTINCT max_band FROM organisation WHERE max_band <> ''").fetchall()
    for (label,) in labels:
        match = _CLOSED_BAND.fullmatch(label) or _OPEN_BAND.fullmatch(label)
        if match:
            low, high = (*map(int, match.groups()), None)[:2]
            execute_named(
                "UPDATE organisation SET max_band_min = {low}, max_band_max = {high} "
                "WHERE max_band = {label}",
                {"low": low, "high": high, "label": label},
            )
    run_migrations(
        migrator.drop_column("organisation", "max_band"),
        migrator.drop_column("organisation", "max_explanation"),
    )


MIGRATIONS = [
    _initial,
    _quota_explanation,
    _quota_in_use_index,
    _admins_index,
    _pending_requests_index,
    _incident_count,
    _contact_count,
    _refresh_lease,
    _mail,
    _quota_figures,
]


def migrate() -> list[int]:
    """Apply the pending migrations; return the versions applied."""
    sqlite = is_sqlite()
    migrator = SqliteMigrator(db.obj) if sqlite else PostgresqlMigrator(db.obj)
    db.create_tables([models.SchemaVersion])
    applied = {v.version for v in models.SchemaVersion.select()}
    pending = [
        (version, step) for version, step in enumerate(MIGRATIONS, start=1) if version not in applied
    ]
    if not pending:
        return []
    if sqlite:
        # SQLite alters a column by rebuilding its table; with foreign keys enforced that
        # rebuild fails on a database with data. SQLite's documented procedure: switch them
        # off (outside a transaction), migrate, then check every reference still holds.
        # The rebuild renames a copy into place; SQLite's newer RENAME re-checks every
        # trigger, and those that name the table (migration 6) fail while it is away.
        db.pragma("foreign_keys", 0)
        db.pragma("legacy_alter_table", 1)
    try:
        for version, step in pending:
            with db.atomic():
                step(migrator)
                if sqlite:
                    # Altering a column rebuilds its table on SQLite, which drops the table's
                    # triggers: put back those of the counts already in place.
                    for counted in (t for v, t in COUNTED.items() if v <= version):
                        _install_count_triggers(counted)
                models.SchemaVersion.create(version=version)
        if sqlite and db.execute_sql("PRAGMA foreign_key_check").fetchall():
            raise RuntimeError("schema migration left broken foreign keys")
    finally:
        if sqlite:
            db.pragma("legacy_alter_table", 0)
            db.pragma("foreign_keys", 1)
    return [version for version, _ in pending]
