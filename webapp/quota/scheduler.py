"""``klantportal scheduler``: the nightly recalculation of every maximum at 02:00 Europe/Amsterdam,
and the sweep of expired sessions after it.

APScheduler's ``BlockingScheduler`` fires the job. Several scheduler processes (one per
host, or a restart that overlaps the old process) are safe because the database guards
the job, not the process: each night is a *slot* (the Europe/Amsterdam date of its
02:00), and a process runs the job only after claiming that slot in ``job_lock`` with one
atomic ``UPDATE ... WHERE slot < :slot AND locked_until < :now``. Exactly one UPDATE can
change the row; every other process sees zero rows changed and skips. ``locked_until``
keeps a later slot from starting while a run is still going and expires if its process
dies. A failed run is logged and recorded (``QuotaRun``); the scheduler keeps going.

The same process delivers the outbox of mails every ``MAIL_INTERVAL`` (``webapp.mail``);
other processes may deliver too, each mail is claimed by one.

``--run-now`` runs the latest slot at once if no process has run it yet (a catch-up after
downtime); ``--once`` exits afterwards instead of waiting for 02:00.
"""

import logging
import os
import socket
from datetime import datetime, timedelta

import click
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from flask import current_app
from flask.cli import with_appcontext

from webapp import clock
from webapp.db import db
from webapp.identity import sessions
from webapp.mail import delivery
from webapp.models import JobLock
from webapp.quota import recalculation

log = logging.getLogger(__name__)

JOB = "quota-recompute"
HOUR = 2
LOCK_TTL = timedelta(hours=1)  # longer than any run; a crashed holder frees the lock after it
NEVER = datetime(1970, 1, 1)
MAIL_JOB = "mail-delivery"
MAIL_INTERVAL = timedelta(seconds=10)


def latest_slot(now: datetime | None = None) -> str:
    """The Europe/Amsterdam date of the latest 02:00 at or before ``now`` (aware), ISO text."""
    local = (now or datetime.now(clock.AMSTERDAM)).astimezone(clock.AMSTERDAM)
    day = local.date() if local.hour >= HOUR else local.date() - timedelta(days=1)
    return day.isoformat()


def owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def claim(name: str, slot: str, me: str) -> bool:
    """Claim ``slot`` of job ``name`` for ``me``; True for exactly one claimant per slot."""
    JobLock.insert(name=name, slot="", owner="", locked_until=NEVER).on_conflict_ignore().execute()
    now = clock.now()
    claimed = (
        JobLock.update(slot=slot, owner=me, locked_until=now + LOCK_TTL)
        .where((JobLock.name == name) & (JobLock.slot < slot) & (JobLock.locked_until < now))
        .execute()
    )
    return claimed == 1


def release(name: str, me: str) -> None:
    JobLock.update(locked_until=clock.now()).where((JobLock.name == name) & (JobLock.owner == me)).execute()


def run_nightly(app, slot: str | None = None) -> bool:
    """The job: recalculate and sweep, unless another process has this slot. Never raises."""
    slot = slot or latest_slot()
    me = owner()
    with app.app_context():
        db.connect(reuse_if_open=True)
        try:
            if not claim(JOB, slot, me):
                log.info("quota recalculation for %s: claimed by another process, skipped", slot)
                return False
            log.info("quota recalculation for %s: started by %s", slot, me)
            try:
                _recompute(slot)
                _sweep_sessions()
            finally:
                release(JOB, me)
            return True
        finally:
            db.close()


def _recompute(slot: str) -> None:
    try:
        outcome = recalculation.recompute()
        log.info(
            "quota recalculation for %s: done, %s of %s organisations changed",
            slot, len(outcome.changes), outcome.organisations,
        )
    except Exception:
        # Recorded as failed by recalculation.recompute; the next night tries again.
        log.exception("quota recalculation for %s: failed", slot)


def _sweep_sessions() -> None:
    try:
        log.info("expired sessions deleted: %s", sessions.sweep_expired())
    except Exception:
        log.exception("deleting expired sessions failed")  # the next night tries again


def deliver_mail(app) -> None:
    """One pass over the outbox; never raises (the next pass tries again)."""
    with app.app_context():
        try:
            delivery.deliver_due()
        except Exception:
            log.exception("mail delivery failed")
        finally:
            if not db.is_closed():
                db.close()


def build(app) -> BlockingScheduler:
    scheduler = BlockingScheduler(timezone=clock.AMSTERDAM)
    scheduler.add_job(
        run_nightly,
        CronTrigger(hour=HOUR, minute=0, timezone=clock.AMSTERDAM),
        args=[app],
        id=JOB,
        max_instances=1,
        coalesce=True,
        misfire_grace_time=3600,
    )
    scheduler.add_job(
        deliver_mail,
        IntervalTrigger(seconds=MAIL_INTERVAL.total_seconds()),
        args=[app],
        id=MAIL_JOB,
        max_instances=1,
        coalesce=True,
    )
    return scheduler


@click.command("scheduler")
@click.option("--run-now", is_flag=True, help="Run the latest 02:00 slot now if nobody has run it yet.")
@click.option("--once", is_flag=True, help="Exit after --run-now instead of waiting for 02:00.")
@with_appcontext
def scheduler_command(run_now, once):
    """Recalculate every maximum each night at 02:00 Europe/Amsterdam; delete expired sessions;
    deliver the outbox of mails every 10 seconds."""
    app = current_app._get_current_object()
    if run_now:
        run_nightly(app)
    if once:
        return
    scheduler = build(app)
    log.info("scheduler started: quota recalculation daily at %02d:00 Europe/Amsterdam, "
             "mail every %s s", HOUR, int(MAIL_INTERVAL.total_seconds()))
    scheduler.start()
