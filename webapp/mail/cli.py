"""``klantportal mail``: the outbox for an operator: status, retry, deliver."""

import click
from flask import current_app
from flask.cli import with_appcontext
from peewee import fn

from webapp import clock
from webapp.mail import delivery
from webapp.models import OutboxMail


@click.group("mail")
def mail_group():
    """The outbox of mails (delivered by the scheduler or `mail deliver --loop`)."""


@mail_group.command("status")
@with_appcontext
def status_command():
    """How many mails are pending, sending, delivered and failed; the failed ones listed."""
    counts = dict(
        OutboxMail.select(OutboxMail.status, fn.COUNT(OutboxMail.id)).group_by(OutboxMail.status).tuples()
    )
    click.echo(", ".join(f"{status}: {counts.get(status, 0)}"
                         for status in ("pending", "sending", "delivered", "failed")))
    oldest = OutboxMail.select(fn.MIN(OutboxMail.created_at)).where(OutboxMail.status == "pending").scalar()
    if oldest:
        click.echo(f"oldest pending since {str(oldest)[:19]} UTC")  # SQLite gives text
    troubled = OutboxMail.status.in_(["failed", "pending"]) & (OutboxMail.attempts > 0)
    for row in OutboxMail.select().where(troubled).order_by(OutboxMail.id):
        click.echo(f"#{row.id} {row.status} {row.kind} to {row.recipient}, "
                   f"{row.attempts} attempts: {row.last_error}")


@mail_group.command("retry")
@click.argument("ids", nargs=-1, type=int)
@with_appcontext
def retry_command(ids):
    """Send failed mails again (all, or the given ids), from the first attempt."""
    query = OutboxMail.update(status="pending", attempts=0, next_attempt_at=clock.now(), last_error="")
    where = OutboxMail.status == "failed"
    if ids:
        where &= OutboxMail.id.in_(ids)
    click.echo(f"{query.where(where).execute()} mails queued again")


@mail_group.command("deliver")
@click.option("--loop", is_flag=True, help="Keep delivering every --interval seconds.")
@click.option("--interval", default=5.0, show_default=True, help="Seconds between passes with --loop.")
@with_appcontext
def deliver_command(loop, interval):
    """Send the mails that are due (once, or continuously with --loop)."""
    if loop:
        delivery.run_forever(current_app._get_current_object(), interval)
        return
    done = delivery.deliver_due()
    click.echo(f"{len(done.delivered)} delivered, {len(done.retrying)} to retry, {len(done.failed)} failed")
