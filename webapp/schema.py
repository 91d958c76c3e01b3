"""Schema versions, applied in order and recorded, so ``klantportal schema`` is idempotent.

A future change is a new function appended to ``MIGRATIONS`` that uses peewee's
``playhouse.migrate`` (``migrator.add_column(...)`` and friends); never edit an applied one.
"""

from peewee import SQL, CharField, FloatField, IntegerField
from playhouse.migrate import PostgresqlMigrator, SqliteMigrator
from playhouse.migrate import migrate as run_migrations

from webapp import models
from webapp.db import db, is_sqlite


def _initial(migrator):
    db.create_tables(models.TABLES)


def _quota_explanation(migrator):
    """The structured explanation of the maximum, and the scheduler's guard (issue 6)."""
    # ``_initial`` creates today's models, so a fresh database already has these columns.
    existing = {column.name for column in db.get_columns("organisation")}
    columns = {
        "max_band": CharField(max_length=100, default=""),
        "max_base": IntegerField(null=True),
        "max_peer_count": IntegerField(null=True),
        "max_p75": FloatField(null=True),
    }
    run_migrations(
        *(migrator.add_column("organisation", name, field) for name, field in columns.items()
          if name not in existing)
    )
    db.create_tables([models.JobLock])


def _quota_in_use_index(migrator):
    """Lets the nightly recalculation count submitters per organisation from a small index."""
    db.execute_sql(
        "CREATE INDEX IF NOT EXISTS contact_quota_in_use "
        "ON contact (organisation_id, expert_until, active, submitter) "
        "WHERE active AND submitter"
    )


def _admins_index(migrator):
    """Lets every page count and name an organisation's administrators from a small index.
    ``active`` and ``admin`` are in it too: SQLite counts a partial index as covering only
    when the columns the query names are in it, and prefers a covering one."""
    db.execute_sql(
        "CREATE INDEX IF NOT EXISTS contact_admins "
        "ON contact (organisation_id, name, active, admin) WHERE active AND admin"
    )


def _pending_requests_index(migrator):
    """Lets *Mijn contactpersonen* find the few pending access requests directly, instead
    of looking up requests for every contact of the organisation."""
    db.execute_sql(
        "CREATE INDEX IF NOT EXISTS access_request_status "
        "ON access_request (status, created_at, id)"
    )


def _incident_count(migrator):
    """Each organisation's number of incidents, kept by the database on every insert and
    delete: counting an organisation's 20,000 incidents took a sixth of the list's time."""
    if "incident_count" not in {column.name for column in db.get_columns("organisation")}:
        count = IntegerField(default=0, constraints=[SQL("DEFAULT 0")])
        run_migrations(migrator.add_column("organisation", "incident_count", count))
    for statement in _SQLITE_INCIDENT_COUNT if is_sqlite() else _POSTGRES_INCIDENT_COUNT:
        db.execute_sql(statement)
    db.execute_sql(
        "UPDATE organisation SET incident_count = "
        "(SELECT COUNT(*) FROM incident WHERE incident.organisation_id = organisation.id)"
    )


_SQLITE_INCIDENT_COUNT = [
    "CREATE TRIGGER IF NOT EXISTS incident_counted AFTER INSERT ON incident BEGIN "
    "UPDATE organisation SET incident_count = incident_count + 1 WHERE id = NEW.organisation_id; END",
    "CREATE TRIGGER IF NOT EXISTS incident_uncounted AFTER DELETE ON incident BEGIN "
    "UPDATE organisation SET incident_count = incident_count - 1 WHERE id = OLD.organisation_id; END",
    "CREATE TRIGGER IF NOT EXISTS incident_moved AFTER UPDATE OF organisation_id ON incident BEGIN "
    "UPDATE organisation SET incident_count = incident_count - 1 WHERE id = OLD.organisation_id; "
    "UPDATE organisation SET incident_count = incident_count + 1 WHERE id = NEW.organisation_id; END",
]
_POSTGRES_INCIDENT_COUNT = [
    """CREATE OR REPLACE FUNCTION count_incidents() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP <> 'INSERT' THEN
        UPDATE organisation SET incident_count = incident_count - 1 WHERE id = OLD.organisation_id;
      END IF;
      IF TG_OP <> 'DELETE' THEN
        UPDATE organisation SET incident_count = incident_count + 1 WHERE id = NEW.organisation_id;
      END IF;
      RETURN NULL;
    END $$""",
    "DROP TRIGGER IF EXISTS incident_count ON incident",
    "CREATE TRIGGER incident_count AFTER INSERT OR DELETE OR UPDATE OF organisation_id ON incident "
    "FOR EACH ROW EXECUTE FUNCTION count_incidents()",
]


MIGRATIONS = [
    _initial,
    _quota_explanation,
    _quota_in_use_index,
    _admins_index,
    _pending_requests_index,
    _incident_count,
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
                models.SchemaVersion.create(version=version)
        if sqlite and db.execute_sql("PRAGMA foreign_key_check").fetchall():
            raise RuntimeError("schema migration left broken foreign keys")
    finally:
        if sqlite:
            db.pragma("legacy_alter_table", 0)
            db.pragma("foreign_keys", 1)
    return [version for version, _ in pending]
