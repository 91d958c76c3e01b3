"""Benchmark: the nightly recalculation over 100,000 organisations and 1,000,000 contacts.

    .venv/bin/python bench/quota.py [--organisations N] [--contacts-per-org N] [--only sqlite|postgres]
                                    [--postgres-url URL]

For each database (SQLite in a temporary file; PostgreSQL on a throw-away server from
``tests/harness/postgres.py``) it bulk-loads the data (``executemany`` on SQLite, ``COPY``
on PostgreSQL), then runs ``recalculation.recompute()`` in a fresh child process and prints the
wall time and that process's peak resident memory (``VmHWM``: Python, driver and
SQLite page cache; the PostgreSQL server's own memory is not included). Targets: ≤ 20 s,
≤ 500 MB.
"""

import argparse
import io
import random
import re
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SEGMENTS = ["Retail", "Logistiek", "Zorg", "Bouw", "Horeca", "Industrie", "Onderwijs", "Overheid",
            "Financiële dienstverlening", "Agrarisch", "ICT", "Zakelijke dienstverlening"]
CONFIG = {"SECRET_KEY": "bench", "TESTING": True, "RATELIMIT_ENABLED": False}


def app_for(url):
    from webapp import create_app

    return create_app({**CONFIG, "DATABASE_URL": url})


def organisations(count, rng):
    for i in range(1, count + 1):
        employees = int(10 ** rng.uniform(0, 4.3))  # 1 .. ~20,000, most small
        yield (i, 100_000 + i, f"Klant {i}", employees, rng.choice(SEGMENTS), 0, 0)


def contacts(org_count, per_org, rng):
    """``per_org`` on average; about a third submitters, some experts (current or expired)."""
    created = datetime(2024, 1, 1)
    today = date.today()
    contact_id = 0
    for org in range(1, org_count + 1):
        for n in range(rng.randint(per_org // 2, per_org * 3 // 2)):
            contact_id += 1
            expert = None
            if rng.random() < 0.05:
                expert = today + timedelta(days=rng.randint(-400, 400))
            yield (contact_id, org, f"Persoon {n}", f"p{n}@k{org}.example", "", "", created,
                   rng.random() > 0.05, rng.random() < 0.35, rng.random() < 0.2, False, expert)


ORG_COLUMNS = "id, customer_number, name, employee_count, segment, max_submitters, incident_sequence"
CONTACT_COLUMNS = ("id, organisation_id, name, email, phone, function, created_at, active, submitter, "
                   "viewer, admin, expert_until")


def load_sqlite(path, org_count, per_org):
    import sqlite3

    rng = random.Random(6)
    connection = sqlite3.connect(path)
    with connection:
        connection.executemany(
            f"INSERT INTO organisation ({ORG_COLUMNS}) VALUES (?,?,?,?,?,?,?)",
            organisations(org_count, rng),
        )
        connection.executemany(
            f"INSERT INTO contact ({CONTACT_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            ((*row[:6], row[6].isoformat(" "), *row[7:11], row[11] and row[11].isoformat())
             for row in contacts(org_count, per_org, rng)),
        )
    total = connection.execute("SELECT COUNT(*) FROM contact").fetchone()[0]
    connection.close()
    return total


def load_postgres(url, org_count, per_org):
    import psycopg2

    rng = random.Random(6)
    with psycopg2.connect(url) as connection, connection.cursor() as cursor:
        for table, columns, rows in (
            ("organisation", ORG_COLUMNS, organisations(org_count, rng)),
            ("contact", CONTACT_COLUMNS, contacts(org_count, per_org, rng)),
        ):
            buffer = io.StringIO()
            for row in rows:
                buffer.write("\t".join(r"\N" if v is None else str(v) for v in row) + "\n")
            buffer.seek(0)
            cursor.copy_expert(f"COPY {table} ({columns}) FROM STDIN", buffer)
        for table in ("organisation", "contact"):
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), MAX(id)) FROM {table}")
        cursor.execute("ANALYZE")
        cursor.execute("SELECT COUNT(*) FROM contact")
        return cursor.fetchone()[0]


def recompute_child(url):
    """Run in a fresh process so its peak memory is the recalculation's alone."""
    from webapp.quota import recalculation

    app = app_for(url)
    with app.app_context():
        started = time.perf_counter()
        outcome = recalculation.recompute()
        elapsed = time.perf_counter() - started
    print(f"{elapsed:.2f} {peak_rss_mb():.0f} {outcome.organisations} {len(outcome.changes)}")


def peak_rss_mb() -> float:
    """This process's peak resident memory. Not ``ru_maxrss``: Linux carries that over
    from the parent through fork and exec, so the child would report the loader's peak."""
    status = Path("/proc/self/status").read_text()
    return int(re.search(r"^VmHWM:\s+(\d+) kB", status, re.M).group(1)) / 1024


def measure(url, label):
    for attempt in ("first run (every maximum changes)", "second run (nothing changes)"):
        result = subprocess.run(
            [sys.executable, __file__, "--child", url], capture_output=True, text=True, check=True
        )
        elapsed, peak, orgs, changed = result.stdout.split()
        print(f"{label:10} {attempt:36} {float(elapsed):6.2f} s  peak {int(peak):4d} MB  "
              f"({orgs} organisations, {changed} changed)")


def prepare(url):
    from webapp import schema

    with app_for(url).app_context():
        schema.migrate()


def bench_sqlite(args):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.sqlite3"
        url = f"sqlite:///{path}"
        prepare(url)
        started = time.perf_counter()
        total = load_sqlite(path, args.organisations, args.contacts_per_org)
        print(f"sqlite     loaded {args.organisations} organisations, {total} contacts in "
              f"{time.perf_counter() - started:.1f} s")
        measure(url, "sqlite")


def bench_postgres(args):
    from tests.harness.postgres import PostgresServer

    if args.postgres_url:  # an empty database on a server of your own
        run_postgres(args, args.postgres_url)
        return
    server = PostgresServer().start()
    try:
        run_postgres(args, server.url)
    finally:
        server.stop()


def run_postgres(args, url):
    prepare(url)
    started = time.perf_counter()
    total = load_postgres(url, args.organisations, args.contacts_per_org)
    print(f"postgres   loaded {args.organisations} organisations, {total} contacts in "
          f"{time.perf_counter() - started:.1f} s")
    measure(url, "postgres")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--organisations", type=int, default=100_000)
    parser.add_argument("--contacts-per-org", type=int, default=10)
    parser.add_argument("--only", choices=["sqlite", "postgres"])
    parser.add_argument("--postgres-url", help="use this empty database instead of a throw-away server")
    parser.add_argument("--child", metavar="URL", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        recompute_child(args.child)
        return
    print("targets: ≤ 20 s and ≤ 500 MB peak per recalculation")
    if args.only != "postgres":
        bench_sqlite(args)
    if args.only != "sqlite":
        bench_postgres(args)


if __name__ == "__main__":
    main()
