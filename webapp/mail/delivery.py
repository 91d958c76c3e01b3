"""The outbox worker: claim due mails, send them over SMTP, mark them; retry with backoff.

Several workers (the scheduler, ``klantportal mail deliver``, on several hosts) may run at
once. A worker claims a batch with one conditional UPDATE (on PostgreSQL over rows picked
``FOR UPDATE SKIP LOCKED``): a row another worker claimed meanwhile no longer matches, so
each mail is sent by one worker. A claim expires (``LEASE``), so the mails of a worker that
died are sent by another. Only a crash between the SMTP server accepting a mail and the
row being marked sends it twice; the fixed Message-ID lets mail clients show it once.
"""

import logging
import os
import secrets
import smtplib
import socket
import ssl
import time
from dataclasses import dataclass, field
from datetime import timedelta

from flask import current_app

from webapp import clock
from webapp.db import db, is_postgres, write_transaction
from webapp.mail.messages import compose
from webapp.models import OutboxMail

log = logging.getLogger(__name__)

BATCH = 50
LEASE = timedelta(minutes=5)  # longer than a batch takes at SMTP timeouts
MAX_BACKOFF_SECONDS = 3600
SMTP_ERRORS = (OSError, smtplib.SMTPException)  # OSError: refused, timed out, TLS


@dataclass
class Pass:
    """What one pass over the outbox did: row ids per outcome."""

    delivered: list[int] = field(default_factory=list)
    retrying: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)


def _claimable(now):
    due = (OutboxMail.status == "pending") & (OutboxMail.next_attempt_at <= now)
    abandoned = (OutboxMail.status == "sending") & (OutboxMail.claimed_until < now)
    return due | abandoned


def claim(claimant: str, now, limit: int = BATCH) -> list[OutboxMail]:
    """Claim up to ``limit`` due mails for ``claimant`` (unique per pass)."""
    with write_transaction():
        candidates = (
            OutboxMail.select(OutboxMail.id).where(_claimable(now)).order_by(OutboxMail.id).limit(limit)
        )
        if is_postgres():
            candidates = candidates.for_update("FOR UPDATE SKIP LOCKED")
        ids = [row.id for row in candidates]
        if not ids:
            return []
        OutboxMail.update(status="sending", claimed_by=claimant, claimed_until=now + LEASE).where(
            OutboxMail.id.in_(ids) & _claimable(now)
        ).execute()
    return list(
        OutboxMail.select()
        .where((OutboxMail.claimed_by == claimant) & (OutboxMail.status == "sending"))
        .order_by(OutboxMail.id)
    )


def connect(config) -> smtplib.SMTP:
    """An SMTP connection as configured: plain, STARTTLS or TLS, with login if a user is set."""
    host, port, timeout = config["SMTP_HOST"], config["SMTP_PORT"], config["SMTP_TIMEOUT_SECONDS"]
    if config["SMTP_SECURITY"] == "tls":
        smtp = smtplib.SMTP_SSL(host, port, timeout=timeout, context=ssl.create_default_context())
    else:
        smtp = smtplib.SMTP(host, port, timeout=timeout)
        if config["SMTP_SECURITY"] == "starttls":
            smtp.starttls(context=ssl.create_default_context())
    if config["SMTP_USER"]:
        smtp.login(config["SMTP_USER"], config["SMTP_PASSWORD"])
    return smtp


def deliver_due(now=None) -> Pass:
    """One pass: send each due mail once. Needs an app context; never raises for SMTP."""
    now = now or clock.now()
    claimant = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"
    rows = claim(claimant, now)
    done = Pass()
    if not rows:
        return done
    try:
        smtp = connect(current_app.config)
    except SMTP_ERRORS as error:
        log.warning("mail server unreachable, %s mails wait: %s", len(rows), error)
        for row in rows:
            _failed(row, claimant, error, done)
        return done
    with smtp:
        for row in rows:
            _send(smtp, row, claimant, done)
    log.info("mail: %s delivered, %s retrying, %s failed",
             len(done.delivered), len(done.retrying), len(done.failed))
    return done


def _send(smtp, row: OutboxMail, claimant: str, done: Pass) -> None:
    try:
        message = compose(row)
    except Exception as error:  # a broken template or row: the operator sees it in `mail status`
        log.exception("mail %s could not be written", row.id)
        _failed(row, claimant, error, done)
        return
    try:
        smtp.send_message(message)
    except SMTP_ERRORS as error:
        _failed(row, claimant, error, done)
        return
    OutboxMail.update(
        status="delivered", delivered_at=clock.now(), attempts=row.attempts + 1, last_error=""
    ).where((OutboxMail.id == row.id) & (OutboxMail.claimed_by == claimant)).execute()
    done.delivered.append(row.id)


def backoff(attempts: int) -> timedelta:
    """The wait before attempt ``attempts + 1``: the base, doubled per failed attempt."""
    base = current_app.config["MAIL_RETRY_BASE_SECONDS"]
    return timedelta(seconds=min(base * 2 ** (attempts - 1), MAX_BACKOFF_SECONDS))


def _failed(row: OutboxMail, claimant: str, error: Exception, done: Pass) -> None:
    attempts = row.attempts + 1
    gave_up = attempts >= current_app.config["MAIL_MAX_ATTEMPTS"]
    OutboxMail.update(
        status="failed" if gave_up else "pending",
        attempts=attempts,
        next_attempt_at=clock.now() + backoff(attempts),
        last_error=f"{type(error).__name__}: {error}"[:1000],
    ).where((OutboxMail.id == row.id) & (OutboxMail.claimed_by == claimant)).execute()
    (done.failed if gave_up else done.retrying).append(row.id)


def run_forever(app, interval: float = 5.0) -> None:
    """``klantportal mail deliver --loop``: a pass every ``interval`` seconds, at once again
    while a pass finds a full batch."""
    while True:
        with app.app_context():
            try:
                done = deliver_due()
            except Exception:
                log.exception("mail delivery pass failed")  # e.g. the database is away: try again
                done = Pass()
            finally:
                if not db.is_closed():
                    db.close()
        busy = len(done.delivered) + len(done.retrying) + len(done.failed) >= BATCH
        if not busy:
            time.sleep(interval)
