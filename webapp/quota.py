"""Recalculating every organisation's maximum (DESIGN §1 rule 6)."""

from dataclasses import dataclass

from flask import current_app

from webapp import clock, policy
from webapp.db import db
from webapp.models import Organisation, QuotaRun


def bands() -> tuple[policy.Band, ...]:
    """The band table from configuration."""
    return tuple(policy.Band(lo, hi, base) for lo, hi, base in current_app.config["QUOTA_BANDS"])

@dataclass(frozen=True)
class Change:
    organisation: Organisation
    before: int
    result: policy.QuotaResult
    in_use: int

def recompute(dry_run: bool = False) -> list[Change]:
    """Recompute all maxima in one transaction; a failure changes nothing."""
    today = clock.today()
    band_table = bands()
    organisations = list(Organisation.select())
    in_use = {o.id: o.counts(today).in_use for o in organisations}
    groups: dict[tuple, list[Organisation]] = {}
    for org in organisations:
        groups.setdefault((policy.band_for(org.employee_count, band_table), org.segment), []).append(org)
    changes = []
    for org in organisations:
        peers = [
            in_use[p.id]
            for p in groups[(policy.band_for(org.employee_count, band_table), org.segment)]
            if p.id != org.id
        ]
        result = policy.quota(org.employee_count, peers, band_table)
        changes.append(Change(org, org.max_submitters, result, in_use[org.id]))
    if dry_run:
        return changes
    run = QuotaRun.create()
    with db.atomic():
        now = clock.now()
        for change in changes:
            Organisation.update(
                max_submitters=change.result.max_submitters,
                max_explanation=change.result.explanation,
                max_computed_at=now,
            ).where(Organisation.id == change.organisation.id).execute()
        QuotaRun.update(
            finished_at=clock.now(),
            outcome="ok",
            organisations_changed=sum(c.before != c.result.max_submitters for c in changes),
        ).where(QuotaRun.id == run.id).execute()
    return changes
