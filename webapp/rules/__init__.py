"""The portal's rules (DESIGN.md §1) as pure functions.

No Flask, no database: other modules build the fact objects below (``Contact``,
``Profile``, ``Attempt``, ``OrgCounts``) from the database on every gated request and
render the ``Decision`` objects returned here. Every refusal carries one or more
``Reason`` objects: a machine-readable ``code``, a Dutch ``text`` saying which rule
refused and a Dutch ``remedy`` saying what to do about it (rule 8).

Where each part lives: ``messages`` (``Message``, ``N_`` and the Dutch number helpers),
``facts`` (roles, settings, the fact objects and what follows from them alone),
``reasons`` (every refusal and its texts), ``decisions`` (``Decision`` and every
``may_*``), and here, for now, the quota bands and formula. Callers use the names
re-exported here: ``rules.may_submit(...)``.

Recorded decisions
------------------
* **Experts and the course requirement (DESIGN §1.3).** A certified expert's
  certification also satisfies the course requirement of every submission profile.
  ``Settings(expert_satisfies_course=False)`` turns that off; experts then need the
  start course like anyone else (they still never count towards the maximum).
* **Certification dates.** ``Contact.expert_until`` is inclusive: on that day the
  contact is still an expert; from the next day on they count towards the maximum
  again and (if created on or after ``course_required_from``) need the course.
* **Pass score.** ``best >= pass_score`` compared as ``Decimal`` (6.95 fails, 7.0
  passes). Only completed (``completed_at`` set), graded (``score`` set) attempts for
  the profile's own course count; the best one decides.
* **Creation date.** ``Contact.created_at`` is converted to Europe/Amsterdam before
  its date is compared with ``course_required_from``. A naive datetime (SQLite may
  return one) is taken to be UTC, the way the database stores it.
* **Inactive contacts** are refused everywhere with the reason ``inactive``;
  objects of another organisation are always ``not_found`` first (callers answer 404,
  never 403, rule 8).
* **Score display.** ``format_score`` shows at least one decimal and never rounds a
  failing score up to a passing one (6.95 is shown as "6,95", not "7,0").
* **Admins help themselves (rules 1, 2).** An active admin lacking a role or a profile
  is never told to ask an admin (herself, or a colleague): she is told she can grant it
  herself on *Mijn contactpersonen*, within the maximum (``counts`` given: whether the
  maximum lets her now), and may not request it (``may_request_role``: ``self_grant``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from webapp.rules.decisions import (
    Decision,
    may_change_active,
    may_change_role,
    may_contact_support,
    may_list_incidents,
    may_manage_contacts,
    may_react,
    may_request_role,
    may_submit,
    may_view_all_incidents,
    may_view_incident,
    refusal_about_target,
    single_admin_warning,
)
from webapp.rules.facts import (
    COUNTS_TOWARDS_MAXIMUM_SQL,
    COURSE_STATUS_LABELS,
    DEFAULT_SETTINGS,
    ROLE_LABELS,
    ROLES,
    Attempt,
    Contact,
    OrgCounts,
    Profile,
    Settings,
    best_score,
    counts_towards_maximum,
    course_requirement_applies,
    course_status,
    is_expert,
    qualifying_profiles,
    roles_held,
)
from webapp.rules.messages import N_, Message, format_score, score_decimal
from webapp.rules.messages import number as _number
from webapp.rules.reasons import Reason

__all__ = [
    "COUNTS_TOWARDS_MAXIMUM_SQL",
    "COURSE_STATUS_LABELS",
    "DEFAULT_BANDS",
    "DEFAULT_SETTINGS",
    "MIN_PEERS",
    "N_",
    "ROLES",
    "ROLE_LABELS",
    "Attempt",
    "Band",
    "Contact",
    "Decision",
    "Message",
    "OrgCounts",
    "Profile",
    "QuotaResult",
    "Reason",
    "Settings",
    "band_for",
    "best_score",
    "counts_towards_maximum",
    "course_requirement_applies",
    "course_status",
    "format_score",
    "is_expert",
    "may_change_active",
    "may_change_role",
    "may_contact_support",
    "may_list_incidents",
    "may_manage_contacts",
    "may_react",
    "may_request_role",
    "may_submit",
    "may_view_all_incidents",
    "may_view_incident",
    "percentile_75",
    "qualifying_profiles",
    "quota",
    "quota_explanation",
    "refusal_about_target",
    "roles_held",
    "score_decimal",
    "single_admin_warning",
    "uncompared_explanation",
]


# ---------------------------------------------------------------------------
# Quota (rule 6)
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Band:
    min_employees: int
    max_employees: int | None  # None = no upper bound
    base: int

    @property
    def label(self) -> Message:
        if self.max_employees is None:
            return Message(N_("%(min)s of meer medewerkers"), min=self.min_employees)
        return Message(N_("%(min)s–%(max)s medewerkers"), min=self.min_employees, max=self.max_employees)


DEFAULT_BANDS = (
    Band(1, 10, 1),
    Band(11, 50, 2),
    Band(51, 250, 3),
    Band(251, 1000, 5),
    Band(1001, 5000, 8),
    Band(5001, None, 12),
)
MIN_PEERS = 5


def band_for(employees: int, bands: Sequence[Band] = DEFAULT_BANDS) -> Band:
    """The band holding ``employees``; fewer than 1 employee counts as the first band."""
    if not bands:
        raise ValueError("no employee-count bands configured")
    ordered = sorted(bands, key=lambda b: b.min_employees)
    for band in ordered:
        if employees >= band.min_employees and (
            band.max_employees is None or employees <= band.max_employees
        ):
            return band
    if employees < ordered[0].min_employees:
        return ordered[0]
    # A gap or an upper limit in the configured table: the highest band starting below.
    return [b for b in ordered if b.min_employees <= employees][-1]


def percentile_75(values: Sequence[int | float]) -> float:
    """75th percentile with linear interpolation (PostgreSQL ``percentile_cont(0.75)``)."""
    v = sorted(values)
    if not v:
        raise ValueError("percentile of an empty sequence")
    pos = 0.75 * (len(v) - 1)
    lo = math.floor(pos)
    hi = math.ceil(pos)
    return float(v[lo] + (v[hi] - v[lo]) * (pos - lo))


@dataclass(frozen=True)
class QuotaResult:
    band: Band
    base: int
    peer_count: int
    p75: float | None  # None when there are fewer than min_peers peers
    max_submitters: int
    explanation: Message


def quota(
    employees: int,
    peer_in_use: Sequence[int],
    bands: Sequence[Band] = DEFAULT_BANDS,
    min_peers: int = MIN_PEERS,
) -> QuotaResult:
    """``max = clamp(ceil(p75), base, 2*base)`` with at least ``min_peers`` peers, else base.

    ``peer_in_use``: the in-use counts of comparable customers (same band and segment,
    excluding the organisation itself).
    """
    band = band_for(employees, bands)
    base = band.base
    n = len(peer_in_use)
    if n < min_peers:
        return QuotaResult(band, base, n, None, base, quota_explanation(band, base, n, None, base, min_peers))
    p75 = percentile_75(peer_in_use)
    maximum = min(max(math.ceil(round(p75, 9)), base), 2 * base)
    return QuotaResult(band, base, n, p75, maximum, quota_explanation(band, base, n, p75, maximum, min_peers))


def quota_explanation(
    band: Band, base: int, peers: int, p75: float | None, maximum: int, min_peers: int = MIN_PEERS
) -> Message:
    """Why the maximum is what it is; also renders a stored result's fields (``p75`` None:
    fewer than ``min_peers`` peers)."""
    facts = {
        "band": band.label,
        "base": base,
        "peers": Message(N_("1 vergelijkbare klant"))
        if peers == 1
        else Message(N_("%(count)s vergelijkbare klanten"), count=peers),
    }
    if p75 is None:
        return Message(
            N_(
                "%(band)s: basis %(base)s. %(peers)s (zelfde grootte en segment): minder dan "
                "%(min_peers)s vergelijkbare klanten, dus het maximum is de basis: %(base)s."
            ),
            min_peers=min_peers,
            **facts,
        )
    raw = math.ceil(round(p75, 9))
    facts |= {"p75": _number(p75), "maximum": maximum}
    if raw < base:
        msgid = N_(
            "%(band)s: basis %(base)s. %(peers)s (zelfde grootte en segment), 75e percentiel "
            "%(p75)s → maximum %(maximum)s (niet lager dan de basis)."
        )
    elif raw > 2 * base:
        msgid = N_(
            "%(band)s: basis %(base)s. %(peers)s (zelfde grootte en segment), 75e percentiel "
            "%(p75)s → maximum %(maximum)s (niet hoger dan 2 × de basis: %(double)s)."
        )
        facts["double"] = 2 * base
    else:
        msgid = N_(
            "%(band)s: basis %(base)s. %(peers)s (zelfde grootte en segment), 75e percentiel "
            "%(p75)s → maximum %(maximum)s."
        )
    return Message(msgid, **facts)


def uncompared_explanation(band: Band, base: int) -> Message:
    """The explanation of a new organisation's maximum, before the first recalculation."""
    return Message(
        N_(
            "%(band)s: basis %(base)s. Nog niet vergeleken met vergelijkbare klanten; dat gebeurt "
            "bij de volgende herberekening."
        ),
        band=band.label,
        base=base,
    )
