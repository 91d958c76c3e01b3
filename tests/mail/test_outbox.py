"""The outbox: nothing lost in a mail server outage, nothing sent twice, requests never wait."""

import threading
import time

from tests.conftest import contact_named, sign_in
from tests.mail.conftest import deliver, mail_config
from webapp import clock
from webapp.db import db
from webapp.mail import delivery
from webapp.models import AccessRequest, OutboxMail

GIJS = "gijs.geen@korenschoof.example"


def test_an_outage_loses_nothing_and_delays_no_request(make_app, smtp_down, seeded):
    app = make_app(**mail_config(smtp_down))
    anna = app.test_client()
    sign_in(anna, "anna.admin")
    people = [contact_named(name) for name in ("bram.legacy", "carla.cursus", "eva.bekijker", "gijs.geen")]
    slowest = 0.0
    for person in people:  # a burst of 8 changes: each person gets and loses a role
        for grant in ({"grant": "1"}, {}):
            started = time.perf_counter()
            response = anna.post(f"/contacts/{person.id}/roles/admin", data=grant)
            slowest = max(slowest, time.perf_counter() - started)
            assert response.status_code == 303
    assert slowest < 1.0  # the request only wrote a row; it never called the mail server
    assert OutboxMail.select().where(OutboxMail.status == "pending").count() == 8

    outage = deliver(app)
    assert len(outage.retrying) == 8 and not outage.delivered
    row = OutboxMail.select().first()
    assert row.status == "pending" and row.attempts == 1 and "ConnectionRefusedError" in row.last_error

    smtp_down.start()
    assert len(deliver(app).delivered) == 8
    assert deliver(app).delivered == []  # nothing is sent again
    assert len(smtp_down.messages) == 8
    assert len({m["Message-ID"] for m in smtp_down.messages}) == 8
    assert OutboxMail.select().where(OutboxMail.status == "delivered").count() == 8


def test_a_failed_attempt_waits_longer_each_time(make_app, smtp_down, seeded):
    app = make_app(**{**mail_config(smtp_down), "MAIL_RETRY_BASE_SECONDS": 30})
    with app.app_context():
        assert [delivery.backoff(n).total_seconds() for n in (1, 2, 3, 10, 20)] == [30, 60, 120, 3600, 3600]
    anna = app.test_client()
    sign_in(anna, "anna.admin")
    anna.post(f"/contacts/{contact_named('gijs.geen').id}/roles/viewer", data={"grant": "1"})
    deliver(app)
    smtp_down.start()
    assert deliver(app).delivered == []  # not due for another 30 seconds
    row = OutboxMail.get()
    assert 29 <= (row.next_attempt_at - clock.now()).total_seconds() <= 30
    with app.app_context():
        assert delivery.deliver_due(now=row.next_attempt_at).delivered == [row.id]


def test_twenty_concurrent_approvals_make_one_decision_and_one_mail(mail_app, smtp):
    gijs = mail_app.test_client()
    sign_in(gijs, "gijs.geen")
    gijs.post("/contacts/access-requests", data={"role": "viewer", "reason": "Overzicht"})
    item = AccessRequest.get()
    clients = []
    for _ in range(20):
        client = mail_app.test_client()
        sign_in(client, "anna.admin")
        clients.append(client)
    start = threading.Barrier(20)
    statuses = []

    def approve(client):
        start.wait()
        statuses.append(client.post(f"/contacts/access-requests/{item.id}/approve").status_code)
        if not db.is_closed():
            db.close()

    threads = [threading.Thread(target=approve, args=(c,)) for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [303] * 20
    assert AccessRequest.get_by_id(item.id).status == "approved"
    assert OutboxMail.select().where(OutboxMail.kind == "access_decided").count() == 1
    deliver(mail_app)
    deliver(mail_app)
    assert len(smtp.to(GIJS)) == 1


def test_two_workers_at_once_send_each_mail_once(mail_app, smtp):
    anna = mail_app.test_client()
    sign_in(anna, "anna.admin")
    for person in ("bram.legacy", "carla.cursus", "eva.bekijker", "gijs.geen", "femke.expert"):
        contact_id = contact_named(person).id
        for _ in range(4):
            anna.post(f"/contacts/{contact_id}/roles/admin", data={"grant": "1"})
            anna.post(f"/contacts/{contact_id}/roles/admin")
    total = OutboxMail.select().count()
    assert total == 40
    sent = []

    def worker():
        with mail_app.app_context():
            while done := delivery.deliver_due():
                if not done.delivered:
                    break
                sent.extend(done.delivered)
            db.close()

    with_small_batches = delivery.BATCH
    delivery.BATCH = 5  # many claims each, so the two workers interleave
    try:
        workers = [threading.Thread(target=worker) for _ in range(2)]
        for thread in workers:
            thread.start()
        for thread in workers:
            thread.join()
    finally:
        delivery.BATCH = with_small_batches
    assert sorted(sent) == sorted(set(sent)) and len(sent) == total
    assert len(smtp.messages) == total
    assert len({m["Message-ID"] for m in smtp.messages}) == total


def test_an_operator_sees_failed_mails_and_sends_them_again(make_app, smtp_down, seeded):
    app = make_app(**{**mail_config(smtp_down), "MAIL_MAX_ATTEMPTS": 1})
    runner = app.test_cli_runner()
    anna = app.test_client()
    sign_in(anna, "anna.admin")
    anna.post(f"/contacts/{contact_named('gijs.geen').id}/roles/viewer", data={"grant": "1"})
    assert "0 delivered, 0 to retry, 1 failed" in runner.invoke(args=["mail", "deliver"]).output
    status = runner.invoke(args=["mail", "status"]).output
    assert "pending: 0, sending: 0, delivered: 0, failed: 1" in status
    assert f"failed role_changed to {GIJS}, 1 attempts: ConnectionRefusedError" in status
    smtp_down.start()
    assert "0 delivered" in runner.invoke(args=["mail", "deliver"]).output  # failed stays failed
    assert "1 mails queued again" in runner.invoke(args=["mail", "retry"]).output
    assert "1 delivered" in runner.invoke(args=["mail", "deliver"]).output
    assert "delivered: 1, failed: 0" in runner.invoke(args=["mail", "status"]).output
    assert len(smtp_down.to(GIJS)) == 1


def test_the_scheduler_delivers_the_outbox(mail_app, smtp):
    from webapp.quota import scheduler

    anna = mail_app.test_client()
    sign_in(anna, "anna.admin")
    anna.post(f"/contacts/{contact_named('gijs.geen').id}/roles/viewer", data={"grant": "1"})
    jobs = {job.id: job for job in scheduler.build(mail_app).get_jobs()}
    assert jobs[scheduler.MAIL_JOB].trigger.interval.total_seconds() == 10
    scheduler.deliver_mail(mail_app)
    assert len(smtp.to(GIJS)) == 1
