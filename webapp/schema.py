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
    _keep_count(migrator, "incident", "incidents")


def _contact_count(migrator):
    """Each organisation's number of contacts, kept the same way: counting 5,000 contacts
    was the dearest query of *Mijn contactpersonen*."""
    _keep_count(migrator, "contact", "contacts")


def _keep_count(migrator, table: str, plural: str):
    """``organisation.<table>_count``: the number of the table's rows per organisation, kept
    by triggers on every insert, delete and move, whoever writes them (the portal, an import,
    a script). A migration that rebuilds ``table`` on SQLite drops its triggers: run this
    again after it."""
    column = f"{table}_count"
    if column not in {c.name for c in db.get_columns("organisation")}:
        count = IntegerField(default=0, constraints=[SQL("DEFAULT 0")])
        run_migrations(migrator.add_column("organisation", column, count))
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
            f"""CREATE OR REPLACE FUNCTION count_{plural}() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
              IF TG_OP <> 'INSERT' THEN {subtract} END IF;
              IF TG_OP <> 'DELETE' THEN {add} END IF;
              RETURN NULL;
            END $$""",
            f"DROP TRIGGER IF EXISTS {column} ON {table}",
            f"CREATE TRIGGER {column} AFTER INSERT OR DELETE OR UPDATE OF organisation_id ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION count_{plural}()",
        ]
    for statement in statements:
        db.execute_sql(statement)
    db.execute_sql(
        f"UPDATE organisation SET {column} = "
        f"(SELECT COUNT(*) FROM {table} WHERE {table}.organisation_id = organisation.id)"
    )


def _mail(migrator):
    """The outbox of mails, and each contact's mail language and opt-out (issue 18).
    Plain ADD COLUMN with a default: peewee's NOT NULL step would rebuild ``contact`` on
    SQLite, and with it drop the triggers of ``_contact_count``."""
    existing = {column.name for column in db.get_columns("contact")}
    if "language" not in existing:
        db.execute_sql("ALTER TABLE contact ADD COLUMN language VARCHAR(2) NOT NULL DEFAULT 'nl'")
    if "mail_informational" not in existing:
        db.execute_sql("ALTER TABLE contact ADD COLUMN mail_informational BOOLEAN NOT NULL DEFAULT TRUE")
    db.create_tables([models.OutboxMail])


MIGRATIONS = [
    _initial,
    _quota_explanation,
    _quota_in_use_index,
    _admins_index,
    _pending_requests_index,
    _incident_count,
    _contact_count,
    _mail,
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
