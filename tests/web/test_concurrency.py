"""Concurrent grants never exceed the maximum (rule 2), on SQLite and on PostgreSQL."""

import threading

from tests.conftest import contact_named, sign_in
from webapp import clock
from webapp.models import AuditEntry, Contact, Organisation

GRANTS = 20


def test_twenty_concurrent_grants_for_one_free_slot_give_one_success(app, seeded):
    korenschoof = Organisation.get(customer_number=10001)
    Contact.update(submitter=False).where(Contact.id == contact_named("daan.onvoldoende").id).execute()
    assert korenschoof.counts().free == 1
    targets = [
        Contact.create(organisation=korenschoof, name=f"Kandidaat {n:02d}",
                       email=f"kandidaat{n:02d}@korenschoof.example", created_at=clock.now())
        for n in range(GRANTS)
    ]
    # Each thread is anna in a browser of her own: its own client and session.
    clients = []
    for _ in targets:
        client = app.test_client()
        sign_in(client, "anna.admin")
        clients.append(client)

    start = threading.Barrier(GRANTS)
    bodies = [None] * GRANTS

    def grant(index):
        start.wait()
        response = clients[index].post(f"/contacts/{targets[index].id}/roles/submitter", data={"grant": "1"},
                                       headers={"HX-Request": "true"})
        bodies[index] = (response.status_code, response.get_data(as_text=True))

    threads = [threading.Thread(target=grant, args=(i,)) for i in range(GRANTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    statuses = sorted(status for status, _ in bodies)
    assert statuses == [200] + [403] * (GRANTS - 1), statuses
    refused = [body for status, body in bodies if status == 403 and "Maximum bereikt: 3 van 3" in body]
    assert len(refused) == GRANTS - 1
    granted = Contact.select().where(Contact.name.startswith("Kandidaat") & Contact.submitter)
    assert granted.count() == 1
    assert korenschoof.counts().in_use == 3
    assert AuditEntry.select().where(AuditEntry.kind == "role").count() == 1
