"""Benchmark: the portal under gunicorn (one worker), measured as load testing does.

    .venv/bin/python bench/load.py [--users 20] [--seconds 60] [--only sqlite|postgres]
                                   [--postgres-url URL]

For each database (SQLite, then PostgreSQL on a throw-away server from
``tests/harness/postgres.py`` or ``--postgres-url``) the demo data is seeded and gunicorn
starts with one worker pinned to one core (``taskset``); this process, the load generator,
runs on the other core, so it never takes the server's CPU. Routes: ``/support`` (Carla,
who may contact Support), ``/incidents`` (Anna, all of her organisation's incidents) and the
inline toggle on *Mijn contactpersonen* (Anna granting and revoking *Incidenten bekijken*
with the page's CSRF token, as htmx sends it), each next to ``/healthz`` requested with the
same person's session cookie.

1. **Capacity** (closed loop): ``--users`` connections request the route back to back for
   ``--capacity-seconds``; its throughput as a ratio of /healthz's. Target: at least 0.33
   (a page may cost three /healthz, as bench/pages asks).
2. **Latency as people feel it** (open loop): requests leave on a fixed timetable at half the
   route's measured capacity for ``--seconds``; each latency counts from the moment its
   request was due, so a stall delays every request behind it and shows (no coordinated
   omission). Targets: p95 ≤ 50 ms, p99 ≤ 100 ms, no errors.
"""

import argparse
import http.client
import itertools
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.harness.devidp import free_port  # noqa: E402
from tests.harness.sessions import open_session  # noqa: E402
from webapp import create_app, schema  # noqa: E402
from webapp.db import close_database  # noqa: E402
from webapp.models import Contact  # noqa: E402
from webapp.seed import seed_demo  # noqa: E402

SECRET = "bench-" + secrets.token_hex(16)
TARGET_RATIO = 0.33
TARGET_P95_MS, TARGET_P99_MS = 50, 100
SERVER_CPU, GENERATOR_CPU = 0, 1


def prepare(url: str, users: int) -> tuple[dict[str, list[str]], list[int]]:
    """Seed the demo and open ``users`` sessions per person; return their cookie keys and
    the contacts whose *Incidenten bekijken* the toggle switches."""
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": SECRET, "OIDC_CLIENT_SECRET": SECRET})
    keys: dict[str, list[str]] = {}
    with app.app_context():
        schema.migrate()
        seed_demo()
        for person in ("anna.admin", "carla.cursus"):
            keys[person] = [open_session(person, expires_in=7200)[1] for _ in range(users)]
        anna = Contact.get(Contact.email.startswith("anna.admin@"))
        targets = [c.id for c in Contact.select().where(
            (Contact.organisation == anna.organisation_id) & (Contact.id != anna.id) & ~Contact.viewer)]
    close_database(app)
    return keys, targets


def start_gunicorn(url: str, port: int) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": SECRET, "KLANTPORTAL_OIDC_CLIENT_SECRET": SECRET,
           "KLANTPORTAL_HTMX_SOURCE": "local", "KLANTPORTAL_ENV": "development"}
    command = [str(Path(sys.executable).parent / "gunicorn"), "-w", "1", "-b", f"127.0.0.1:{port}",
               "--graceful-timeout", "5", "--log-level", "warning", "-c", "python:webapp.gunicorn_conf",
               "webapp:create_app()"]
    if shutil.which("taskset"):
        command = ["taskset", "-c", str(SERVER_CPU), *command]
    server = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)
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


class Client:
    """One keep-alive connection with one person's session cookie."""

    def __init__(self, port: int, key: str):
        self.port = port
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        self.headers = {"Cookie": f"klantportal_session={key}"}
        self.token = None

    def fetch(self, method, path, body=None, headers=None) -> tuple[int, bytes]:
        try:
            self.connection.request(method, path, body=body, headers={**self.headers, **(headers or {})})
            response = self.connection.getresponse()
            return response.status, response.read()
        except (OSError, http.client.HTTPException):
            self.connection.close()
            return 0, b""


def request_makers(targets: list[int]):
    """Route name → (person whose sessions are used, how to send one request)."""

    def get(path):
        return lambda client, sequence: client.fetch("GET", path)

    def toggle(client, sequence):
        if client.token is None:  # once per connection, before it is measured
            _, page = client.fetch("GET", "/contacts")
            client.token = re.search(rb'<meta name="csrf-token" content="([^"]+)"', page).group(1).decode()
        contact = targets[sequence % len(targets)]
        body = "grant=1" if (sequence // len(targets)) % 2 == 0 else ""  # unticked sends nothing
        headers = {"Content-Type": "application/x-www-form-urlencoded", "X-CSRFToken": client.token,
                   "HX-Request": "true"}
        return client.fetch("POST", f"/contacts/{contact}/roles/viewer", body, headers)

    return {
        "/support": ("carla.cursus", get("/support")),
        "/incidents": ("anna.admin", get("/incidents")),
        "toggle": ("anna.admin", toggle),
    }


def capacity(clients: list[Client], send, seconds: float) -> float:
    """Requests per second with every client sending back to back (closed loop)."""
    stop = threading.Event()
    counts = [0] * len(clients)
    sequence = itertools.count()

    def user(index):
        while not stop.is_set():
            send(clients[index], next(sequence))
            counts[index] += 1

    threads = [threading.Thread(target=user, args=(i,), daemon=True) for i in range(len(clients))]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    time.sleep(seconds)
    stop.set()
    for thread in threads:
        thread.join()
    return sum(counts) / (time.perf_counter() - started)


def open_loop(clients: list[Client], send, rate: float, seconds: float) -> dict:
    """Requests due every 1/rate s; each latency measured from when it was due."""
    sequence = itertools.count()
    latencies, errors = [], []
    start = time.perf_counter() + 0.1
    total = int(rate * seconds)

    def worker(client):
        while (number := next(sequence)) < total:
            due = start + number / rate
            delay = due - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            status, _ = send(client, number)
            latencies.append(time.perf_counter() - due)
            if status != 200:
                errors.append(status)

    threads = [threading.Thread(target=worker, args=(c,), daemon=True) for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    latencies.sort()

    def percentile(p):
        return latencies[min(len(latencies) - 1, int(len(latencies) * p))] * 1000

    return {"requests": len(latencies), "p50": percentile(0.50), "p95": percentile(0.95),
            "p99": percentile(0.99), "errors": len(errors)}


def run(label: str, url: str, args) -> bool:
    keys, targets = prepare(url, args.users)
    port = free_port()
    server = start_gunicorn(url, port)
    rows = []
    try:
        for name, (person, send) in request_makers(targets).items():
            clients = [Client(port, key) for key in keys[person]]
            capacity(clients, send, 2)  # warm up: imports, templates, connections
            route_rps = capacity(clients, send, args.capacity_seconds)
            healthz_rps = capacity(clients, lambda c, s: c.fetch("GET", "/healthz"), args.capacity_seconds)
            figures = open_loop(clients, send, route_rps / 2, args.seconds)
            rows.append((name, route_rps, healthz_rps, figures))
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    print(f"\n{label}: gunicorn -w 1 on CPU {SERVER_CPU}, load from CPU {GENERATOR_CPU}; "
          f"capacity {args.users} users × {args.capacity_seconds:g} s, open loop {args.seconds:g} s "
          f"at 50 % of capacity")
    print(f"{'route':<12}{'req/s':>8}{'healthz/s':>11}{'ratio':>7}{'sent':>7}{'p50 ms':>8}"
          f"{'p95 ms':>8}{'p99 ms':>8}{'errors':>8}  target")
    good = True
    for name, route_rps, healthz_rps, f in rows:
        ratio = route_rps / healthz_rps
        met = (ratio >= TARGET_RATIO and f["p95"] <= TARGET_P95_MS and f["p99"] <= TARGET_P99_MS
               and f["errors"] == 0)
        good &= met
        print(f"{name:<12}{route_rps:>8.1f}{healthz_rps:>11.1f}{ratio:>7.2f}{f['requests']:>7}"
              f"{f['p50']:>8.1f}{f['p95']:>8.1f}{f['p99']:>8.1f}{f['errors']:>8}  "
              f"{'met' if met else 'MISSED'}")
    return good


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60, help="open-loop duration per route")
    parser.add_argument("--capacity-seconds", type=float, default=10)
    parser.add_argument("--only", choices=["sqlite", "postgres"])
    parser.add_argument("--postgres-url", help="use this empty database instead of a throw-away server")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity") and os.cpu_count() and os.cpu_count() > GENERATOR_CPU:
        os.sched_setaffinity(0, {GENERATOR_CPU})
    print(f"targets: each route ≥ {TARGET_RATIO} × /healthz (same cookie), "
          f"open loop p95 ≤ {TARGET_P95_MS} ms, p99 ≤ {TARGET_P99_MS} ms, no errors; {os.cpu_count()} CPUs, "
          f"load average {os.getloadavg()[0]:.2f} at the start")
    good = True
    if args.only in (None, "sqlite"):
        with tempfile.TemporaryDirectory() as folder:
            good &= run("SQLite", f"sqlite:///{folder}/load.sqlite3", args)
    if args.only in (None, "postgres"):
        if args.postgres_url:
            good &= run("PostgreSQL", args.postgres_url, args)
        else:
            from tests.harness.postgres import PostgresServer

            server = PostgresServer().start()
            try:
                good &= run("PostgreSQL", server.url, args)
            finally:
                server.stop()
    return 0 if good else 1


if __name__ == "__main__":
    sys.exit(main())
