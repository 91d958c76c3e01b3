"""The nightly scheduler: one run per slot across processes, and it survives a failed run."""

import os
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from webapp import clock
from webapp.models import JobLock, Organisation, QuotaRun, WebSession
from webapp.quota import recalculation, scheduler

ROOT = Path(__file__).resolve().parents[2]


def test_two_scheduler_processes_run_the_slot_once(app, build):
    build.organisation(180, "Retail", 2)
    env = {
        **os.environ,
        "DATABASE_URL": app.config["DATABASE_URL"],
        "SECRET_KEY": "test-secret-key",
        "KLANTPORTAL_OIDC_ISSUER": "http://127.0.0.1:9/realms/klantportal",
        "KLANTPORTAL_OIDC_CLIENT_SECRET": "test-client-secret",
    }
    command = [str(Path(sys.executable).parent / "klantportal"), "scheduler", "--run-now", "--once"]
    processes = [
        subprocess.Popen(command, cwd=ROOT, env=env, text=True,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        for _ in range(2)
    ]
    outputs = [p.communicate(timeout=600)[0] for p in processes]
    assert [p.returncode for p in processes] == [0, 0], outputs
    assert QuotaRun.select().count() == 1, outputs
    assert QuotaRun.get().outcome == "ok"
    assert sum("claimed by another process, skipped" in out for out in outputs) == 1, outputs
    assert JobLock.get_by_id(scheduler.JOB).slot == scheduler.latest_slot()


def test_claim_once_per_slot_and_not_while_running(app):
    with app.app_context():
        assert scheduler.claim("job", "2026-03-01", "a")
        assert not scheduler.claim("job", "2026-03-01", "b")  # same slot
        assert not scheduler.claim("job", "2026-03-02", "b")  # a still holds the lock
        scheduler.release("job", "a")
        assert scheduler.claim("job", "2026-03-02", "b")


def sessions_ending_in(app, **ends: timedelta) -> None:
    """A session per name, expiring that long from now (negative: already expired)."""
    with app.app_context():
        for name, delta in ends.items():
            WebSession.create(key_hash=name, refresh_token=f"refresh-{name}", expires_at=clock.now() + delta)


def session_names(app) -> set[str]:
    with app.app_context():
        return {row.key_hash for row in WebSession.select()}


def test_the_night_deletes_expired_sessions_and_their_tokens(app):
    sessions_ending_in(app, ended=timedelta(seconds=-1), ended_long_ago=timedelta(days=-90),
                       live=timedelta(minutes=29))
    assert scheduler.run_nightly(app, "2026-03-01") is True
    assert session_names(app) == {"live"}


def test_survives_a_failed_run(app, build, monkeypatch):
    build.organisation(180, "Retail", 2)
    sessions_ending_in(app, ended=timedelta(minutes=-5))

    def broken(run, outcome):
        raise RuntimeError("database went away")

    monkeypatch.setattr(recalculation, "_finish", broken)
    assert scheduler.run_nightly(app, "2026-03-01") is True  # logged, not raised
    with app.app_context():
        assert QuotaRun.get().outcome == "failed"
        assert Organisation.get().max_computed_at is None
    assert session_names(app) == set()  # the sweep does not depend on the recalculation
    monkeypatch.undo()
    assert scheduler.run_nightly(app, "2026-03-02") is True  # the lock was released
    with app.app_context():
        assert [r.outcome for r in QuotaRun.select().order_by(QuotaRun.id)] == ["failed", "ok"]


@pytest.mark.parametrize(
    ("local", "slot"),
    [
        ("2026-11-28 01:59", "2026-11-27"),
        ("2026-11-28 02:00", "2026-11-28"),
        ("2026-03-29 03:30", "2026-03-29"),  # the night 02:00 does not exist (summer time)
    ],
)
def test_latest_slot(local, slot):
    now = datetime.fromisoformat(local).replace(tzinfo=clock.AMSTERDAM)
    assert scheduler.latest_slot(now) == slot


def test_fires_daily_at_two_amsterdam_time(app):
    job = scheduler.build(app).get_job(scheduler.JOB)
    after = datetime(2026, 7, 1, 12, 0, tzinfo=clock.AMSTERDAM)
    fire = job.trigger.get_next_fire_time(None, after)
    assert (fire.date().isoformat(), fire.hour, fire.minute) == ("2026-07-02", 2, 0)
    assert str(fire.tzinfo) == "Europe/Amsterdam"
