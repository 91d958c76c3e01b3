"""The portal's rules (DESIGN.md §1) as pure functions.

No Flask, no database: other modules build the fact objects below (``Contact``,
``Profile``, ``Attempt``, ``OrgCounts``) from the database on every gated request and
render the ``Decision`` objects returned here. Every refusal carries one or more
``Reason`` objects: a machine-readable ``code``, a Dutch ``text`` saying which rule
refused and a Dutch ``remedy`` saying what to do about it (rule 8).

Where each part lives: ``messages`` (``Message``, ``N_`` and the Dutch number helpers),
``facts`` (roles, settings, the fact objects and what follows from them alone),
``reasons`` (every refusal and its texts), ``decisions`` (``Decision`` and every
``may_*``) and ``quota`` (the bands, the formula and the wording of its figures). Callers
use the names re-exported here: ``rules.may_submit(...)``.

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
from webapp.rules.quota import (
    DEFAULT_BANDS,
    MIN_PEERS,
    Band,
    QuotaResult,
    band_for,
    explain_stored,
    percentile_75,
    quota,
    quota_explanation,
    uncompared_explanation,
)
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
    "explain_stored",
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
