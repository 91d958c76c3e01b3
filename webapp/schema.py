"""Schema versions, applied in order and recorded, so ``klantportal schema`` is idempotent.

A future change is a new function appended to ``MIGRATIONS`` that uses peewee's
``playhouse.migrate`` (``migrator.add_column(...)`` and friends); never edit an applied one.
"""

from playhouse.migrate import PostgresqlMigrator, SqliteMigrator

from webapp import models
from webapp.db import db, is_sqlite


def _initial(migrator):
    db.create_tables(models.TABLES)


MIGRATIONS = [_initial]


def migrate() -> list[int]:
    """Apply the pending migrations; return the versions applied."""
    migrator = SqliteMigrator(db.obj) if is_sqlite() else PostgresqlMigrator(db.obj)
    db.create_tables([models.SchemaVersion])
    applied = {v.version for v in models.SchemaVersion.select()}
    done = []
    for version, step in enumerate(MIGRATIONS, start=1):
        if version in applied:
            continue
        with db.atomic():
            step(migrator)
            models.SchemaVersion.create(version=version)
        done.append(version)
    return done
