"""The ``klantportal`` command: Flask's CLI over the app factory, plus the portal's commands."""

import logging

import click
from flask.cli import FlaskGroup, with_appcontext

from webapp import schema, seed
from webapp.mail.cli import mail_group
from webapp.quota import imports, recalculation, scheduler


@click.command("schema")
@with_appcontext
def schema_command():
    """Create or upgrade the database schema (idempotent)."""
    applied = schema.migrate()
    click.echo(f"schema: applied {applied}" if applied else "schema: up to date")


@click.command("seed-demo")
@with_appcontext
def seed_demo_command():
    """Load the demo organisations and people (idempotent)."""
    schema.migrate()
    seed.seed_demo()
    click.echo("demo data seeded")


COMMANDS = [
    schema_command,
    seed_demo_command,
    recalculation.quota_group,
    scheduler.scheduler_command,
    imports.import_group,
    mail_group,
]


def _create_app():
    from webapp import create_app

    return create_app()


def configure_logging() -> None:
    """The process's log format: set by the entry points (this command, gunicorn's config),
    never by the app factory."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")


@click.group(cls=FlaskGroup, create_app=_create_app)
def main():
    """Klantportal management commands."""
    configure_logging()
