"""Two mail workers (``klantportal mail deliver --loop``, separate processes) on one PostgreSQL
outbox deliver each mail exactly once."""

import json
import signal
import time

from tests.mail.conftest import SmtpServer
from tests.scale.conftest import klantportal, query

MAILS_PER_CONTACT = 30


def test_two_worker_processes_deliver_each_mail_once(scale_database):
    ((anna,),) = query(scale_database, "SELECT id FROM contact WHERE email LIKE 'anna.admin@%%'")
    payload = json.dumps({"actor": anna, "role": "viewer", "granted": True})
    query(scale_database, "DELETE FROM outbox")
    query(
        scale_database,
        "INSERT INTO outbox (kind, recipient, contact_id, language, payload, status, attempts, "
        "next_attempt_at, claimed_by, last_error, created_at) "
        "SELECT 'role_changed', email, id, 'nl', %s, 'pending', 0, now(), '', '', now() "
        "FROM contact, generate_series(1, %s) WHERE organisation_id = "
        "(SELECT organisation_id FROM contact WHERE id = %s)",
        payload, MAILS_PER_CONTACT, anna,
    )
    ((total,),) = query(scale_database, "SELECT count(*) FROM outbox")
    smtp = SmtpServer().start()
    smtp_settings = {"KLANTPORTAL_SMTP_HOST": "127.0.0.1", "KLANTPORTAL_SMTP_PORT": str(smtp.port),
                     "KLANTPORTAL_SMTP_SECURITY": "none"}
    started = time.monotonic()
    workers = [klantportal(scale_database, "mail", "deliver", "--loop", "--interval", "0.2", **smtp_settings)
               for _ in range(2)]
    try:
        while time.monotonic() - started < 90:
            ((pending,),) = query(scale_database, "SELECT count(*) FROM outbox WHERE status <> 'delivered'")
            if pending == 0:
                break
            time.sleep(0.2)
        elapsed = time.monotonic() - started
    finally:
        for worker in workers:
            worker.send_signal(signal.SIGTERM)
        outputs = [worker.communicate(timeout=30)[0] for worker in workers]
        smtp.stop()
    # A claimant is host:pid:pass; the mails each process sent:
    by_process = query(scale_database, "SELECT split_part(claimed_by, ':', 2), count(*) FROM outbox "
                                       "GROUP BY 1 ORDER BY 1")
    print(f"\ntwo mail worker processes: {total} mails in {elapsed:.2f}s; "
          f"per process {[count for _, count in by_process]}")
    assert pending == 0, outputs
    assert len(smtp.messages) == total
    assert len({message["Message-ID"] for message in smtp.messages}) == total
