"""Recalculating every organisation's maximum (DESIGN §1 rule 6) in set-based SQL.

A run fills four temporary tables, then writes, in one write transaction:

1. ``quota_in_use``: per organisation its in-use count (active submitters who are not
   experts today, Europe/Amsterdam).
2. ``quota_banded``: per organisation its current maximum, band (from the configured
   table), segment and in-use count.
3. ``quota_values``: a histogram per (band, segment) group: each distinct in-use count,
   how many members have it (``cnt``), the group index of the first of them when the
   group is sorted by count (``first``), and ``peers``, the group's size minus one.
4. ``quota_new``: per (band, segment, in-use count) the 75th percentile of the peers
   and the maximum, with the band's bounds and base.
5. ``UPDATE organisation ... FROM`` the join of 2 and 4, only where a figure changed.

Members of a group with the same count have the same peers, so step 4 works on a few
hundred histogram rows, not on every organisation, and nothing sorts the organisations.
The peers of a member with count ``v`` are the group's sorted values with one index
``r`` holding ``v`` removed (any will do; take ``first``), so the peer at index ``k``
is the group's value at ``k`` if ``k < r`` and at ``k + 1`` otherwise.
``percentile_cont(0.75)`` over ``n`` peers interpolates between peer indexes
``lo = floor(3(n-1)/4)`` and ``lo + 1`` with weight ``rem/4``, ``rem = 3(n-1) mod 4``;
counts are integers, so ``4 × p75`` (``q4``) is an integer and ``ceil(p75)`` is
``(q4 + 3) div 4``: exact, with no floating point. The value at a group index is the
histogram row whose ``[first, first + cnt)`` holds it.

Writing only changed rows keeps a night without changes cheap; ``max_computed_at`` is
therefore when the organisation's figures last changed, and ``last_run()`` when they
were last computed.

Only figures are stored, no text: ``rules.explain_stored`` words them in the reader's
language. ``rules.quota`` stays the reference: tests/quota check this SQL's figures
against it, on random data and on both databases.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from itertools import pairwise

import click
from flask import current_app
from flask.cli import with_appcontext

from webapp import clock, rules
from webapp.db import db, execute_named, is_sqlite, write_transaction
from webapp.mail import outbox
from webapp.models import Contact, Organisation, QuotaRun

log = logging.getLogger(__name__)

ORG = Organisation._meta.table_name
CONTACT = Contact._meta.table_name


def bands() -> tuple[rules.Band, ...]:
    """The band table from configuration, ordered; overlapping bands are a configuration error."""
    table = sorted(
        (rules.Band(lo, hi, base) for lo, hi, base in current_app.config["QUOTA_BANDS"]),
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
            statement.execute(outbox.maximum_changes_sql(NEW_FIGURES))  # the admins are told
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

    def __init__(self, table: tuple[rules.Band, ...]):
        today, now = clock.today(), clock.now()
        # SQLite stores dates and times as ISO text; PostgreSQL takes them as they are.
        self.params = {
            "today": today.isoformat() if is_sqlite() else today,
            "now": str(now) if is_sqlite() else now,
            "min_peers": rules.MIN_PEERS,
        }
        for i, band in enumerate(table):
            self.params |= {
                f"min_{i}": band.min_employees, f"max_{i}": band.max_employees, f"base_{i}": band.base
            }
        last = range(len(table) - 1, -1, -1)
        # band_for: the highest band starting at or below the employee count, else the first.
        self.fragments = {
            "{band_case}": _case("CASE", [(f"o.employee_count >= {{min_{i}}}", str(i)) for i in last], "0"),
            "{base_case}": _case("CASE band", [(str(i), f"{{base_{i}}}") for i in last], "NULL"),
            "{band_min_case}": _case("CASE band", [(str(i), f"{{min_{i}}}") for i in last], "NULL"),
            # NULL for the open top band; typed, or PostgreSQL takes an all-NULL CASE for text.
            "{band_max_case}": "CAST("
            + _case("CASE band", [(str(i), f"{{max_{i}}}") for i in last], "NULL")
            + " AS INTEGER)",
        }

    def execute(self, sql: str):
        for token, fragment in self.fragments.items():
            sql = sql.replace(token, fragment)
        return execute_named(sql, self.params)


def _case(head: str, branches: list[tuple[str, str]], default: str) -> str:
    return f"{head} " + " ".join(f"WHEN {w} THEN {t}" for w, t in branches) + f" ELSE {default} END"


IN_USE = f"""
INSERT INTO quota_in_use (organisation_id, n)
SELECT organisation_id, COUNT(*)
FROM {CONTACT}
WHERE {rules.COUNTS_TOWARDS_MAXIMUM_SQL}
GROUP BY organisation_id
"""

BANDED = f"""
CREATE TEMPORARY TABLE quota_banded AS
SELECT o.id, o.customer_number, o.name, o.max_submitters AS before, o.segment,
       {{band_case}} AS band, COALESCE(u.n, 0) AS in_use
FROM {ORG} o LEFT JOIN quota_in_use u ON u.organisation_id = o.id
"""

# PostgreSQL sums integers as numeric; the index arithmetic below needs integers.
VALUES = """
CREATE TEMPORARY TABLE quota_values AS
WITH counted AS (
    SELECT band, segment, in_use, COUNT(*) AS cnt
    FROM quota_banded
    GROUP BY band, segment, in_use
)
SELECT band, segment, in_use, cnt,
       CAST(SUM(cnt) OVER (PARTITION BY band, segment ORDER BY in_use) AS INTEGER) - cnt AS first,
       CAST(SUM(cnt) OVER (PARTITION BY band, segment) AS INTEGER) - 1 AS peers
FROM counted
"""

# ``ia``/``ib``: the group indexes of the peers at lo and lo + 1 (the latter only when
# interpolating); ``a``/``b``: the histogram rows holding them.
RESULT = """
CREATE TEMPORARY TABLE quota_new AS
WITH pos AS (
    SELECT band, segment, in_use, first, peers,
           3 * (peers - 1) / 4 AS lo,
           3 * (peers - 1) - 4 * (3 * (peers - 1) / 4) AS rem
    FROM quota_values
), idx AS (
    SELECT pos.*,
           lo + CASE WHEN lo >= first THEN 1 ELSE 0 END AS ia,
           lo + 1 + CASE WHEN lo + 1 >= first THEN 1 ELSE 0 END AS ib
    FROM pos
), quarters AS (
    SELECT p.band, p.segment, p.in_use, p.peers,
           4 * a.in_use + p.rem * (COALESCE(b.in_use, a.in_use) - a.in_use) AS q4
    FROM idx p
    LEFT JOIN quota_values a
           ON p.peers >= {min_peers} AND a.band = p.band AND a.segment = p.segment
          AND a.first <= p.ia AND p.ia < a.first + a.cnt
    LEFT JOIN quota_values b
           ON p.peers >= {min_peers} AND p.rem > 0 AND b.band = p.band AND b.segment = p.segment
          AND b.first <= p.ib AND p.ib < b.first + b.cnt
), based AS (
    SELECT band, segment, in_use, peers, q4,
           {base_case} AS base, {band_min_case} AS band_min, {band_max_case} AS band_max,
           (q4 + 3) / 4 AS raw
    FROM quarters
), result AS (
    SELECT based.*,
           CASE WHEN q4 IS NULL OR raw < base THEN base WHEN raw > 2 * base THEN 2 * base ELSE raw END
               AS maximum
    FROM based
)
SELECT band, segment, in_use, peers, base, band_min, band_max, maximum, q4 / 4.0 AS p75
FROM result
"""

# Every organisation with its new figures.
NEW_FIGURES = """
quota_banded o JOIN quota_new n ON n.band = o.band AND n.segment = o.segment AND n.in_use = o.in_use
"""

APPLY = f"""
UPDATE {ORG}
SET max_submitters = f.maximum, max_computed_at = {{now}}, max_band_min = f.band_min,
    max_band_max = f.band_max, max_base = f.base, max_peer_count = f.peers, max_p75 = f.p75
FROM (SELECT o.id, n.maximum, n.band_min, n.band_max, n.base, n.peers, n.p75 FROM {NEW_FIGURES}) f
WHERE {ORG}.id = f.id
  AND ({ORG}.max_submitters IS DISTINCT FROM f.maximum
       OR {ORG}.max_band_min IS DISTINCT FROM f.band_min
       OR {ORG}.max_band_max IS DISTINCT FROM f.band_max
       OR {ORG}.max_base IS DISTINCT FROM f.base
       OR {ORG}.max_peer_count IS DISTINCT FROM f.peers
       OR {ORG}.max_p75 IS DISTINCT FROM f.p75)
"""

TEMPORARY = ("quota_new", "quota_values", "quota_banded", "quota_in_use")


def _compute(statement: _Statements) -> int:
    """Fill the temporary tables; return the number of organisations."""
    _drop_temporary()
    db.execute_sql(
        "CREATE TEMPORARY TABLE quota_in_use (organisation_id INTEGER PRIMARY KEY, n INTEGER NOT NULL)"
    )
    statement.execute(IN_USE)
    statement.execute(BANDED)
    statement.execute(VALUES)
    statement.execute(RESULT)
    db.execute_sql("CREATE INDEX quota_new_key ON quota_new (band, segment, in_use)")
    return db.execute_sql("SELECT COUNT(*) FROM quota_banded").fetchone()[0]


def _changes() -> list[Change]:
    cursor = db.execute_sql(
        f"SELECT o.customer_number, o.name, o.before, n.maximum, o.in_use FROM {NEW_FIGURES} "
        "WHERE o.before <> n.maximum ORDER BY o.customer_number"
    )
    return [Change(int(c), name, int(b), int(a), int(u)) for c, name, b, a, u in cursor]


def _apply(statement: _Statements) -> None:
    statement.execute(APPLY)


def last_run() -> QuotaRun | None:
    """The latest successful recalculation: when every maximum was last computed."""
    return QuotaRun.select().where(QuotaRun.outcome == "ok").order_by(QuotaRun.started_at.desc()).first()


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
    for table in TEMPORARY:
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
