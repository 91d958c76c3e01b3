"""Benchmark: the portal under gunicorn (2 workers) with 20 signed-in users on loopback.

    .venv/bin/python bench/load.py [--users 20] [--seconds 60] [--only sqlite|postgres]
                                   [--postgres-url URL]

For each database (SQLite, then PostgreSQL on a throw-away server from
``tests/support/postgres.py`` or ``--postgres-url``), the demo data is seeded, gunicorn
starts with 2 workers, and each route gets its own phase: ``--users`` threads, each with
its own session cookie and keep-alive connection, request the route back to back for
``--seconds``. Routes: ``/healthz``, ``/support`` (Carla, who may contact Support),
``/incidents`` (Anna, who sees all of her organisation's incidents) and the inline
toggle on *Mijn contactpersonen* (Anna granting and revoking *Incidenten bekijken*, with
the page's CSRF token, as htmx sends it). Printed per route: requests per second,
p50/p95/p99 latency, errors, and the throughput as a ratio of ``/healthz``.
Targets: every gated route at least 0.5 × /healthz, p95 at most 50 ms, zero errors.
/healthz is a liveness probe and touches no database (since ff0825a; before, every request
opened one), so the ratio sets a page against the bare cost of a request.

The load generator shares the 2 cores with the server: the figures are for this machine.
"""

import argparse
import http.client
import json
import os
import re
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support.devidp import free_port  # noqa: E402
from webapp import clock, create_app, schema  # noqa: E402
from webapp.db import db  # noqa: E402
from webapp.models import Contact, WebSession  # noqa: E402
from webapp.seed import seed_demo  # noqa: E402
from webapp.sessions import key_hash  # noqa: E402

SECRET = "bench-" + secrets.token_hex(16)
TARGET_RATIO = 0.5
TARGET_P95_MS = 50


def prepare(url: str, users: int) -> tuple[dict[str, list[str]], list[int]]:
    """Seed the demo and open ``users`` sessions per person; return their cookie keys and
    the contacts whose *Incidenten bekijken* the toggle switches."""
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": SECRET, "OIDC_CLIENT_SECRET": SECRET})
    keys: dict[str, list[str]] = {}
    with app.app_context():
        schema.migrate()
        seed_demo()
        for person in ("anna.admin", "carla.cursus"):
            contact = Contact.get(Contact.email.startswith(person + "@"))
            keys[person] = []
            for _ in range(users):
                key = secrets.token_urlsafe(32)
                WebSession.create(
                    key_hash=key_hash(key), data=json.dumps({"_user_id": str(contact.id), "_fresh": True}),
                    contact=contact, subject=f"bench-{person}", sid=secrets.token_hex(8),
                    refresh_token="bench", access_expires_at=clock.now() + timedelta(hours=2),
                    expires_at=clock.now() + timedelta(hours=2),
                )
                keys[person].append(key)
        anna = Contact.get(Contact.email.startswith("anna.admin@"))
        targets = [c.id for c in Contact.select().where(
            (Contact.organisation == anna.organisation_id) & (Contact.id != anna.id) & ~Contact.viewer)]
    db.close()
    return keys, targets


def start_gunicorn(url: str, port: int) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": SECRET, "KLANTPORTAL_OIDC_CLIENT_SECRET": SECRET,
           "KLANTPORTAL_HTMX_SOURCE": "local", "KLANTPORTAL_ENV": "development"}
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "-w", "2", "-b", f"127.0.0.1:{port}",
         "--graceful-timeout", "5", "--log-level", "warning", "webapp:create_app()"],
        cwd=ROOT, env=env, start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                return server
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit("gunicorn did not start within 60 s")


class User(threading.Thread):
    """One person with a session, requesting one route back to back until ``stop``."""

    def __init__(self, port, key, make_request, stop):
        super().__init__(daemon=True)
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        self.headers = {"Cookie": f"klantportal_session={key}"} if key else {}
        self.make_request = make_request
        self.stop = stop
        self.latencies: list[float] = []
        self.errors = 0

    def fetch(self, method, path, body=None, headers=None):
        self.connection.request(method, path, body=body, headers={**self.headers, **(headers or {})})
        response = self.connection.getresponse()
        return response.status, response.read()

    def run(self):
        sequence = 0
        while not self.stop.is_set():
            started = time.perf_counter()
            try:
                # A toggle user's first request fetches its CSRF token first: a failure there is
                # this request's error, timed from its own start; a user never stops early.
                method, path, body, headers = self.make_request(self, sequence)
                started = time.perf_counter()
                status, _ = self.fetch(method, path, body, headers)
            except (OSError, http.client.HTTPException):
                status = 0
                self.connection.close()
            sequence += 1
            self.latencies.append(time.perf_counter() - started)
            if status != 200:
                self.errors += 1


def csrf_token(user: User) -> str:
    status, page = user.fetch("GET", "/contacts")
    if status != 200:
        raise http.client.HTTPException(f"/contacts answered {status} while preparing the toggle")
    return re.search(rb'<meta name="csrf-token" content="([^"]+)"', page).group(1).decode()


def routes(target_ids: list[int]):
    """Route name → (person whose sessions are used, request maker)."""

    def get(path):
        return lambda user, sequence: ("GET", path, None, None)

    def toggle(user, sequence):
        if not hasattr(user, "token"):  # once per user, outside the timed request
            user.token = csrf_token(user)
        contact = target_ids[id(user) % len(target_ids)]
        body = "grant=1" if sequence % 2 == 0 else ""  # an unticked checkbox sends nothing
        headers = {"Content-Type": "application/x-www-form-urlencoded", "X-CSRFToken": user.token,
                   "HX-Request": "true"}
        return "POST", f"/contacts/{contact}/roles/viewer", body, headers

    return {
        "/healthz": (None, get("/healthz")),
        "/support": ("carla.cursus", get("/support")),
        "/incidents": ("anna.admin", get("/incidents")),
        "toggle": ("anna.admin", toggle),
    }


def phase(port, keys, person, make_request, users, seconds):
    stop = threading.Event()
    crowd = [User(port, keys[person][i] if person else None, make_request, stop) for i in range(users)]
    started = time.perf_counter()
    for user in crowd:
        user.start()
    time.sleep(seconds)
    stop.set()
    for user in crowd:
        user.join()
        user.connection.close()
    elapsed = time.perf_counter() - started
    latencies = [latency for user in crowd for latency in user.latencies]
    # A single request (a starved warm-up) still gives percentiles: itself.
    percentiles = statistics.quantiles(latencies * 2 if len(latencies) == 1 else latencies, n=100)
    return {
        "requests": len(latencies),
        "rps": len(latencies) / elapsed,
        "p50": percentiles[49] * 1000,
        "p95": percentiles[94] * 1000,
        "p99": percentiles[98] * 1000,
        "errors": sum(user.errors for user in crowd),
    }


def run(label: str, url: str, args) -> bool:
    keys, targets = prepare(url, args.users)
    port = free_port()
    server = start_gunicorn(url, port)
    results = {}
    try:
        for name, (person, make_request) in routes(targets).items():
            # Warm up both workers (imports, templates, connections), then measure.
            phase(port, keys, person, make_request, args.users, min(5, args.seconds / 6))
            results[name] = phase(port, keys, person, make_request, args.users, args.seconds)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    healthz = results["/healthz"]["rps"]
    print(f"\n{label}: gunicorn -w 2, {args.users} users, {args.seconds} s per route")
    print(f"{'route':<12}{'requests':>10}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}"
          f"{'errors':>8}{'× healthz':>11}  target")
    good = True
    for name, figures in results.items():
        ratio = figures["rps"] / healthz
        verdict = ""
        if name != "/healthz":
            met = ratio >= TARGET_RATIO and figures["p95"] <= TARGET_P95_MS and figures["errors"] == 0
            good &= met
            verdict = "met" if met else "MISSED"
        print(f"{name:<12}{figures['requests']:>10}{figures['rps']:>9.1f}{figures['p50']:>9.1f}"
              f"{figures['p95']:>9.1f}{figures['p99']:>9.1f}{figures['errors']:>8}{ratio:>11.2f}  {verdict}")
    return good


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--only", choices=["sqlite", "postgres"])
    parser.add_argument("--postgres-url", help="use this empty database instead of a throw-away server")
    args = parser.parse_args()
    print(f"targets: each gated route ≥ {TARGET_RATIO} × /healthz throughput, p95 ≤ {TARGET_P95_MS} ms, "
          f"no errors; {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} at the start")
    good = True
    if args.only in (None, "sqlite"):
        with tempfile.TemporaryDirectory() as folder:
            good &= run("SQLite", f"sqlite:///{folder}/load.sqlite3", args)
    if args.only in (None, "postgres"):
        if args.postgres_url:
            good &= run("PostgreSQL", args.postgres_url, args)
        else:
            from tests.support.postgres import PostgresServer

            server = PostgresServer().start()
            try:
                good &= run("PostgreSQL", server.url, args)
            finally:
                server.stop()
    return 0 if good else 1


if __name__ == "__main__":
    sys.exit(main())
