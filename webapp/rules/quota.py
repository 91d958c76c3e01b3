"""The quota bands and formula (DESIGN.md §1 rule 6), pure like the rest of ``rules``."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from webapp.rules.messages import N_, Message, number


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
    facts |= {"p75": number(p75), "maximum": maximum}
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


def explain_stored(
    band_min: int | None,
    band_max: int | None,
    base: int | None,
    peers: int | None,
    p75: float | None,
    maximum: int,
) -> tuple[Message, Message] | None:
    """The band's label and the explanation of a maximum, from the figures stored with it.

    The one place that turns an organisation's stored figures into words, for the support
    page and the mail alike: ``band_max`` None is the open top band; ``peers`` None means
    never compared (imported, before the first recalculation); ``p75`` None with peers
    means fewer than ``MIN_PEERS``. None when no figures are stored at all.
    """
    if band_min is None or base is None:
        return None
    band = Band(band_min, band_max, base)
    if peers is None:
        return band.label, uncompared_explanation(band, base)
    return band.label, quota_explanation(band, base, peers, p75, maximum)
