"""Benchmark: server time of the busiest pages for an organisation with 5,000 contacts and
20,000 incidents, next to /healthz in the same run, and their query counts.

    .venv/bin/python bench/pages.py [--requests 200] [--contacts 5000] [--incidents 20000]

Requests go through Flask's test client in-process, so the time is the server's (routing,
the gate, queries, rendering), without a network. Anna (admin of De Korenschoof) is signed
in as the OIDC callback would. Queries are counted per request, once on the bare demo data
and once on the large organisation: the two must match. Targets: each median ≤ 3× the
/healthz median; a constant number of queries per page.
Nothing is kept between requests: every page is read and rendered anew.
"""

import argparse
import json
import random
import secrets
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from webapp import clock, create_app, schema  # noqa: E402
from webapp.db import db  # noqa: E402
from webapp.identity.sessions import key_hash  # noqa: E402
from webapp.models import (  # noqa: E402
    Contact,
    ContactProfile,
    Course,
    CourseResult,
    Incident,
    Organisation,
    SubmissionProfile,
    WebSession,
)
from webapp.seed import seed_demo  # noqa: E402

CONFIG = {"SECRET_KEY": "bench", "TESTING": True, "RATELIMIT_ENABLED": False,
          "WTF_CSRF_ENABLED": False, "HTMX_SOURCE": "local", "OIDC_CLIENT_SECRET": "bench"}


def grow(contacts: int, incidents: int, rng: random.Random) -> None:
    """Add contacts (with profiles and course results) and incidents to De Korenschoof."""
    org = Organisation.get(customer_number=10001)
    profiles = list(SubmissionProfile.select())
    course = Course.get(code="SC-FIN")
    now = clock.now()
    rows = [
        {"organisation": org.id, "name": f"Medewerker {i:05d}", "email": f"m{i}@korenschoof.example",
         "created_at": now - timedelta(days=rng.randint(0, 1500)), "viewer": rng.random() < 0.1}
        for i in range(contacts)
    ]
    with db.atomic():
        for start in range(0, len(rows), 500):
            Contact.insert_many(rows[start:start + 500]).execute()
        new = [c.id for c in Contact.select(Contact.id).where(Contact.email.startswith("m"))]
        links = [{"contact": cid, "profile": rng.choice(profiles).id} for cid in new]
        results = [{"contact": cid, "course": course.id, "score": rng.randint(50, 100) / 10,
                    "completed_at": now} for cid in new[::3]]
        for start in range(0, len(new), 500):
            ContactProfile.insert_many(links[start:start + 500]).execute()
            CourseResult.insert_many(results[start // 3:(start + 500) // 3]).execute()
        reporters = [c.id for c in Contact.select(Contact.id).where(
            (Contact.organisation == org) & Contact.submitter)]
        batch = []
        for i in range(incidents):
            created = now - timedelta(minutes=i)
            batch.append({"organisation": org.id, "number": f"2025-{100000 + i:06d}",
                          "reporter": rng.choice(reporters), "profile": profiles[0].id,
                          "subject": f"Bench-incident {i}", "description": "x" * 40,
                          "status": rng.choice(["nieuw", "in_behandeling", "opgelost"]),
                          "created_at": created, "updated_at": created})
            if len(batch) == 500:
                Incident.insert_many(batch).execute()
                batch = []
        if batch:
            Incident.insert_many(batch).execute()


def sign_in(client, email_prefix: str) -> None:
    contact = Contact.get(Contact.email.startswith(email_prefix))
    key = secrets.token_urlsafe(32)
    WebSession.create(
        key_hash=key_hash(key), data=json.dumps({"_user_id": str(contact.id), "_fresh": True}),
        contact=contact, subject="bench", sid="bench", refresh_token="r",
        access_expires_at=clock.now() + timedelta(hours=2), expires_at=clock.now() + timedelta(hours=2),
    )
    client.set_cookie("klantportal_session", key)


class QueryCounter:
    def __init__(self):
        self.count = 0
        self.original = db.obj.execute_sql

        def counting(sql, params=None, *args, **kwargs):
            self.count += 1
            return self.original(sql, params, *args, **kwargs)

        db.obj.execute_sql = counting


def routes(toggle_id: int):
    grant = [False]

    def toggle(client):
        grant[0] = not grant[0]
        return client.post(f"/contacts/{toggle_id}/roles/viewer", data={"grant": "1"} if grant[0] else {},
                           headers={"HX-Request": "true"})

    return {
        "/healthz": lambda c: c.get("/healthz"),
        "/contacts": lambda c: c.get("/contacts"),
        "toggle (htmx)": toggle,
        "/incidents": lambda c: c.get("/incidents"),
        "/support": lambda c: c.get("/support"),
    }


def queries_per_route(client, counter, toggle_id):
    counts = {}
    for name, call in routes(toggle_id).items():
        call(client)  # warm caches (templates, metadata)
        before = counter.count
        response = call(client)
        assert response.status_code == 200, (name, response.status_code)
        counts[name] = counter.count - before
    return counts


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--contacts", type=int, default=5000)
    parser.add_argument("--incidents", type=int, default=20000)
    args = parser.parse_args()
    rng = random.Random(7)
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({**CONFIG, "DATABASE_URL": f"sqlite:///{tmp}/bench.sqlite3"})
        with app.app_context():
            schema.migrate()
            seed_demo()
            gijs = Contact.get(Contact.email.startswith("gijs.geen@")).id
        client = app.test_client()
        with app.app_context():
            sign_in(client, "anna.admin@")
        counter = QueryCounter()
        small = queries_per_route(client, counter, gijs)
        with app.app_context():
            started = time.perf_counter()
            grow(args.contacts, args.incidents, rng)
            print(f"data: {args.contacts} contacts, {args.incidents} incidents added in "
                  f"{time.perf_counter() - started:.1f} s")
        # The same contact toggled before and after: only the data around it grew.
        large = queries_per_route(client, counter, gijs)

        # Round robin, one request per route per round: a machine that speeds up or slows
        # down during the run does so for every route alike, and the ratios stay fair.
        calls = routes(gijs)
        samples = {name: [] for name in calls}
        for round_number in range(10 + args.requests):
            for name, call in calls.items():
                started = time.perf_counter()
                response = call(client)
                elapsed = (time.perf_counter() - started) * 1000
                assert response.status_code == 200, (name, response.status_code)
                if round_number >= 10:  # the first rounds warm caches
                    samples[name].append(elapsed)
        timings = {}
        for name, taken in samples.items():
            taken.sort()
            timings[name] = (statistics.median(taken), taken[int(len(taken) * 0.95) - 1])

    base = timings["/healthz"][0]
    print(f"{'route':<16}{'median ms':>11}{'p95 ms':>9}{'× healthz':>11}{'queries (demo → large)':>25}")
    for name, (median, p95) in timings.items():
        verdict = "" if name == "/healthz" or median <= 3 * base else "  over target"
        print(f"{name:<16}{median:>11.2f}{p95:>9.2f}{median / base:>11.1f}"
              f"{small[name]:>17} → {large[name]}{verdict}")
    constant = all(small[name] == large[name] for name in small)
    print("queries constant with data size:", "yes" if constant else "NO")


if __name__ == "__main__":
    main()
