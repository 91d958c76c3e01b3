"""Benchmark: server time of every page for an organisation with 5,000 contacts and
20,000 incidents, next to the signed-in /healthz in the same run, and their query counts.

    .venv/bin/python bench/pages.py [--requests 200] [--contacts 5000] [--incidents 20000]

Requests go through Flask's test client in-process, so the time is the server's (routing,
the gate, queries, rendering), without a network. Anna (admin of De Korenschoof) and Carla
(submitter) are signed in as the OIDC callback would; /healthz carries Anna's cookie.
Queries are counted per request, once on the bare demo data and once on the large
organisation: the two must match. Targets: each median ≤ 3× the /healthz median; a constant
number of queries per page.
Nothing is kept between requests: every page is read and rendered anew.
"""

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.harness.sessions import COOKIE, open_session  # noqa: E402
from webapp import clock, create_app, schema  # noqa: E402
from webapp.db import db  # noqa: E402
from webapp.models import (  # noqa: E402
    Contact,
    ContactProfile,
    Course,
    CourseResult,
    Incident,
    Organisation,
    SubmissionProfile,
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


def signed_in(app, username: str):
    client = app.test_client()
    with app.app_context():
        client.set_cookie(COOKIE, open_session(username, expires_in=7200)[1])
    return client


class QueryCounter:
    def __init__(self):
        self.count = 0
        self.original = db.obj.execute_sql

        def counting(sql, params=None, *args, **kwargs):
            self.count += 1
            return self.original(sql, params, *args, **kwargs)

        db.obj.execute_sql = counting


def routes(anna, carla, ids):
    """Each page as (name, call); ``ids`` holds the contact to show and toggle, and the
    incident to show. A call returns the response."""
    grant = [False]

    def toggle():
        grant[0] = not grant[0]
        return anna.post(f"/contacts/{ids['contact']}/roles/viewer", data={"grant": "1"} if grant[0] else {},
                         headers={"HX-Request": "true"})

    return {
        "/healthz": lambda: anna.get("/healthz"),
        "/": lambda: anna.get("/"),
        "/support": lambda: anna.get("/support"),
        "/incidents": lambda: anna.get("/incidents"),
        "incident": lambda: anna.get(f"/incidents/{ids['incident']}"),
        "/contacts": lambda: anna.get("/contacts"),
        "contact": lambda: anna.get(f"/contacts/{ids['contact']}"),
        "contact edit": lambda: anna.get(f"/contacts/{ids['contact']}/edit"),
        "/contacts/audit": lambda: anna.get("/contacts/audit"),
        "toggle (htmx)": toggle,
        "carla /incidents/new": lambda: carla.get("/incidents/new"),
        "carla /support": lambda: carla.get("/support"),
    }


def queries_per_route(calls, counter):
    counts = {}
    for name, call in calls.items():
        call()  # warm caches (templates, metadata)
        before = counter.count
        response = call()
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
            ids = {"contact": Contact.get(Contact.email.startswith("gijs.geen@")).id,
                   "incident": Incident.select().join(Organisation)
                   .where(Organisation.customer_number == 10001).order_by(Incident.id).first().number}
        calls = routes(signed_in(app, "anna.admin"), signed_in(app, "carla.cursus"), ids)
        counter = QueryCounter()
        small = queries_per_route(calls, counter)
        with app.app_context():
            grow(args.contacts, args.incidents, rng)
        # The same contact and incident before and after: only the data around them grew.
        large = queries_per_route(calls, counter)

        # Round robin, one request per route per round: a machine that speeds up or slows
        # down during the run does so for every route alike, and the ratios stay fair.
        samples = {name: [] for name in calls}
        for round_number in range(10 + args.requests):
            for name, call in calls.items():
                started = time.perf_counter()
                response = call()
                elapsed = (time.perf_counter() - started) * 1000
                assert response.status_code == 200, (name, response.status_code)
                if round_number >= 10:  # the first rounds warm caches
                    samples[name].append(elapsed)
        timings = {}
        for name, taken in samples.items():
            taken.sort()
            timings[name] = (statistics.median(taken), taken[int(len(taken) * 0.95) - 1])

    base = timings["/healthz"][0]
    print(f"{'route':<22}{'median ms':>11}{'p95 ms':>9}{'× healthz':>11}{'queries (demo → large)':>25}")
    for name, (median, p95) in timings.items():
        verdict = "" if name == "/healthz" or median <= 3 * base else "  over target"
        print(f"{name:<22}{median:>11.2f}{p95:>9.2f}{median / base:>11.1f}"
              f"{small[name]:>17} → {large[name]}{verdict}")
    constant = all(small[name] == large[name] for name in small)
    print("queries constant with data size:", "yes" if constant else "NO")


if __name__ == "__main__":
    main()
