"""Recalculating every organisation's maximum (DESIGN §1 rule 6) in set-based SQL.

A run is three statements over two temporary tables, in one write transaction:

1. ``quota_ranked``: per organisation its current maximum, band (from the configured
   table), segment and in-use count (active submitters who are not experts today, Europe/Amsterdam), its
   0-based rank ``rnk`` within its (band, segment) group ordered by in-use count, and
   ``peers``, the group's size minus itself.
2. ``quota_new``: the 75th percentile of the *other* members of the group, the maximum
   and the Dutch explanation.
3. ``UPDATE organisation ... FROM quota_new``.

The percentile excluding oneself needs no self-join over the whole group. The peers
sorted are the group's sorted values with the organisation's own rank ``r`` removed,
so the peer at index ``k`` is the group's value at ``k`` if ``k < r`` and at ``k + 1``
otherwise. ``percentile_cont(0.75)`` over ``n`` peers interpolates between peer indexes
``lo = floor(3(n-1)/4)`` and ``lo + 1`` with weight ``rem/4``, ``rem = 3(n-1) mod 4``;
counts are integers, so ``4 × p75`` (``q4``) is an integer and ``ceil(p75)`` is
``(q4 + 3) div 4``: exact, with no floating point. Two equality joins on
(band, segment, rnk) fetch the two values.

``policy.quota`` stays the reference: tests/quota check this SQL against it, explanation
text included, on random data and on both databases.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from itertools import pairwise

import click
from flask import current_app
from flask.cli import with_appcontext

from webapp import clock, policy
from webapp.db import db, is_sqlite, write_transaction
from webapp.models import Contact, Organisation, QuotaRun

log = logging.getLogger(__name__)

ORG = Organisation._meta.table_name
CONTACT = Contact._meta.table_name


def bands() -> tuple[policy.Band, ...]:
    """The band table from configuration, ordered; overlapping bands are a configuration error."""
    table = sorted(
        (policy.Band(lo, hi, base) for lo, hi, base in current_app.config["QUOTA_BANDS"]),
        key=lambda band: band.min_employees,
    )
    if not table:
        raise ValueError("QUOTA_BANDS is empty")
    for lower, upper in pairwise(table):
        if lower.max_employees is None or lower.max_employees >= upper.min_employees:
            raise ValueError(f"QUOTA_BANDS overlap: {lower} and {upper}")
    return tuple(table)


@dataclass(frozen=True)
class Change:
    customer_number: int
    name: str
    before: int
    after: int
    in_use: int

    @property
    def below_in_use(self) -> bool:
        """The maximum went down below the number in use: grants are refused until revokes."""
        return self.after < self.before and self.after < self.in_use


@dataclass
class Outcome:
    organisations: int
    changes: list[Change] = field(default_factory=list)
    run_id: int | None = None  # None for a dry run

    @property
    def below_in_use(self) -> list[Change]:
        return [c for c in self.changes if c.below_in_use]


def recompute(dry_run: bool = False) -> Outcome:
    """Recompute all maxima in one transaction; a failure changes nothing and is recorded."""
    statement = _Statements(bands())
    if is_sqlite():
        # Temporary tables and sorts in memory, and room for the whole organisation table.
        db.execute_sql("PRAGMA temp_store = MEMORY")
        db.execute_sql("PRAGMA cache_size = -131072")  # KiB: 128 MB at most, for this connection
    if dry_run:
        with db.atomic() as transaction:
            outcome = Outcome(_compute(statement), _changes())
            transaction.rollback()
        return outcome

    run = QuotaRun.create(started_at=clock.now())
    try:
        with write_transaction():
            outcome = Outcome(_compute(statement), _changes(), run.id)
            _apply(statement)
            _drop_temporary()
            _finish(run, outcome)
    except Exception as error:
        # The transaction is rolled back; record the failure in a transaction of its own.
        QuotaRun.update(
            finished_at=clock.now(), outcome="failed", message=f"{type(error).__name__}: {error}"
        ).where(QuotaRun.id == run.id).execute()
        log.exception("quota recalculation %s failed", run.id)
        raise
    log.info(
        "quota recalculation %s: %s organisations, %s changed, %s below their number in use",
        run.id, outcome.organisations, len(outcome.changes), len(outcome.below_in_use),
    )
    return outcome


class _Statements:
    """Renders the SQL below for this database, with the band table as parameters."""

    def __init__(self, table: tuple[policy.Band, ...]):
        today, now = clock.today(), clock.now()
        # SQLite stores dates and times as ISO text; PostgreSQL takes them as they are.
        self.params = {
            "today": today.isoformat() if is_sqlite() else today,
            "now": str(now) if is_sqlite() else now,
            "min_peers": policy.MIN_PEERS,
        }
        for i, band in enumerate(table):
            self.params |= {f"min_{i}": band.min_employees, f"base_{i}": band.base, f"label_{i}": band.label}
        last = range(len(table) - 1, -1, -1)
        # band_for: the highest band starting at or below the employee count, else the first.
        self.fragments = {
            "{band_case}": _case("CASE", [(f"o.employee_count >= {{min_{i}}}", str(i)) for i in last], "0"),
            "{base_case}": _case("CASE band", [(str(i), f"{{base_{i}}}") for i in last], "NULL"),
            "{label_case}": _case("CASE band", [(str(i), f"{{label_{i}}}") for i in last], "NULL"),
        }

    def execute(self, sql: str):
        for token, fragment in self.fragments.items():
            sql = sql.replace(token, fragment)
        style = ":{}" if is_sqlite() else "%({})s"
        sql = sql.format(**{name: style.format(name) for name in self.params})
        return db.execute_sql(sql, self.params)


def _case(head: str, branches: list[tuple[str, str]], default: str) -> str:
    return f"{head} " + " ".join(f"WHEN {w} THEN {t}" for w, t in branches) + f" ELSE {default} END"


RANKED = f"""
CREATE TEMPORARY TABLE quota_ranked AS
WITH in_use AS (
    SELECT organisation_id, COUNT(*) AS n
    FROM {CONTACT}
    WHERE active AND submitter AND (expert_until IS NULL OR expert_until < {{today}})
    GROUP BY organisation_id
), banded AS (
    SELECT o.id, o.customer_number, o.name, o.max_submitters AS before, o.segment,
           {{band_case}} AS band, COALESCE(u.n, 0) AS in_use
    FROM {ORG} o LEFT JOIN in_use u ON u.organisation_id = o.id
)
SELECT id, customer_number, name, before, band, segment, in_use,
       ROW_NUMBER() OVER (PARTITION BY band, segment ORDER BY in_use, id) - 1 AS rnk,
       COUNT(*) OVER (PARTITION BY band, segment) - 1 AS peers
FROM banded
"""

# ``a``: the peer at index lo; ``b``: the peer at lo + 1 (only when interpolating).
RESULT = """
CREATE TEMPORARY TABLE quota_new AS
WITH pos AS (
    SELECT id, customer_number, name, before, band, segment, in_use, rnk, peers,
           3 * (peers - 1) / 4 AS lo,
           3 * (peers - 1) - 4 * (3 * (peers - 1) / 4) AS rem
    FROM quota_ranked
), quarters AS (
    SELECT p.id, p.customer_number, p.name, p.before, p.band, p.in_use, p.peers,
           4 * a.in_use + p.rem * (COALESCE(b.in_use, a.in_use) - a.in_use) AS q4
    FROM pos p
    LEFT JOIN quota_ranked a
           ON p.peers >= {min_peers} AND a.band = p.band AND a.segment = p.segment
          AND a.rnk = p.lo + CASE WHEN p.lo >= p.rnk THEN 1 ELSE 0 END
    LEFT JOIN quota_ranked b
           ON p.peers >= {min_peers} AND p.rem > 0 AND b.band = p.band AND b.segment = p.segment
          AND b.rnk = p.lo + 1 + CASE WHEN p.lo + 1 >= p.rnk THEN 1 ELSE 0 END
), based AS (
    SELECT id, customer_number, name, before, in_use, peers, q4,
           {base_case} AS base, {label_case} AS label, (q4 + 3) / 4 AS raw
    FROM quarters
), result AS (
    SELECT based.*,
           CASE WHEN q4 IS NULL OR raw < base THEN base WHEN raw > 2 * base THEN 2 * base ELSE raw END
               AS maximum
    FROM based
)
SELECT id, customer_number, name, before, in_use, peers, base, label, maximum, q4 / 4.0 AS p75,
       label || ': basis ' || CAST(base AS TEXT) || '. '
       || CASE WHEN peers = 1 THEN '1 vergelijkbare klant'
               ELSE CAST(peers AS TEXT) || ' vergelijkbare klanten' END
       || ' (zelfde grootte en segment)'
       || CASE WHEN q4 IS NULL
               THEN ': minder dan ' || CAST({min_peers} AS TEXT)
                    || ' vergelijkbare klanten, dus het maximum is de basis: ' || CAST(base AS TEXT) || '.'
               ELSE ', 75e percentiel ' || CAST(q4 / 4 AS TEXT)
                    || CASE q4 - 4 * (q4 / 4) WHEN 1 THEN ',25' WHEN 2 THEN ',5' WHEN 3 THEN ',75' ELSE '' END
                    || ' → maximum ' || CAST(maximum AS TEXT)
                    || CASE WHEN raw < base THEN ' (niet lager dan de basis)'
                            WHEN raw > 2 * base
                            THEN ' (niet hoger dan 2 × de basis: ' || CAST(2 * base AS TEXT) || ')'
                            ELSE '' END
                    || '.'
          END AS explanation
FROM result
"""

APPLY = f"""
UPDATE {ORG}
SET max_submitters = n.maximum, max_explanation = n.explanation, max_computed_at = {{now}},
    max_band = n.label, max_base = n.base, max_peer_count = n.peers, max_p75 = n.p75
FROM quota_new n
WHERE {ORG}.id = n.id
"""


def _compute(statement: _Statements) -> int:
    """Fill ``quota_new``; return the number of organisations."""
    _drop_temporary()
    if not is_sqlite():
        db.execute_sql("SET LOCAL work_mem = '64MB'")  # sorts of 100,000 rows stay in memory
    statement.execute(RANKED)
    statement.execute("CREATE INDEX quota_ranked_position ON quota_ranked (band, segment, rnk)")
    if not is_sqlite():
        # Autovacuum never analyses temporary tables; without statistics PostgreSQL joins
        # on (band, segment) alone and filters rnk afterwards: quadratic per group.
        db.execute_sql("ANALYZE quota_ranked")
    statement.execute(RESULT)
    if not is_sqlite():
        db.execute_sql("ANALYZE quota_new")
    return db.execute_sql("SELECT COUNT(*) FROM quota_new").fetchone()[0]


def _changes() -> list[Change]:
    cursor = db.execute_sql(
        "SELECT customer_number, name, before, maximum, in_use FROM quota_new "
        "WHERE before <> maximum ORDER BY customer_number"
    )
    return [Change(int(c), name, int(b), int(a), int(u)) for c, name, b, a, u in cursor]


def _apply(statement: _Statements) -> None:
    statement.execute(APPLY)


def _finish(run: QuotaRun, outcome: Outcome) -> None:
    QuotaRun.update(
        finished_at=clock.now(),
        outcome="ok",
        organisations_changed=len(outcome.changes),
        message=f"{outcome.organisations} organisaties herberekend, {len(outcome.changes)} gewijzigd, "
        f"{len(outcome.below_in_use)} onder het aantal in gebruik",
    ).where(QuotaRun.id == run.id).execute()


def _drop_temporary() -> None:
    schema = "temp" if is_sqlite() else "pg_temp"  # never a permanent table of that name
    for table in ("quota_new", "quota_ranked"):
        db.execute_sql(f"DROP TABLE IF EXISTS {schema}.{table}")


@click.group("quota")
def quota_group():
    """The per-organisation maximum (DESIGN §1 rule 6)."""


@quota_group.command("recompute")
@click.option("--dry-run", is_flag=True, help="Show what would change; change nothing.")
@with_appcontext
def recompute_command(dry_run):
    """Recalculate every organisation's maximum in one transaction."""
    outcome = recompute(dry_run=dry_run)
    verb = "zou wijzigen" if dry_run else "gewijzigd"
    if dry_run:
        for change in outcome.changes:
            click.echo(f"{change.customer_number} {change.name}: {change.before} → {change.after}")
    click.echo(f"{outcome.organisations} organisaties herberekend, {len(outcome.changes)} {verb}.")
    below = outcome.below_in_use
    if below:
        click.echo(f"Maximum lager dan het aantal in gebruik ({len(below)}):")
        for change in below:
            click.echo(
                f"  {change.customer_number} {change.name}: maximum {change.after}, "
                f"in gebruik {change.in_use} ({change.in_use - change.after} te veel)"
            )
