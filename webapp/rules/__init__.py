"""The portal's rules (DESIGN.md §1) as pure functions.

No Flask, no database: other modules build the fact objects below (``Contact``,
``Profile``, ``Attempt``, ``OrgCounts``) from the database on every gated request and
render the ``Decision`` objects returned here. Every refusal carries one or more
``Reason`` objects: a machine-readable ``code``, a Dutch ``text`` saying which rule
refused and a Dutch ``remedy`` saying what to do about it (rule 8).

Texts for people are ``Message`` objects: the Dutch text itself (a ``str``), which also
keeps its catalogue msgid (marked ``N_`` for ``pybabel extract``) and parameters, so the
view layer can render it in the reader's language without this module knowing Flask.

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

Reason codes
------------
``inactive``, ``no_submitter_role``, ``no_profile``, ``profile_not_held``,
``course_not_passed``, ``no_incident_role``, ``not_found``, ``read_only``,
``not_admin``, ``unknown_role``, ``target_inactive``, ``last_admin``,
``maximum_reached``, ``self_grant``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

__all__ = [
    "AMSTERDAM",
    "DEFAULT_BANDS",
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
    "roles_held",
    "score_decimal",
    "single_admin_warning",
    "uncompared_explanation",
]


def N_(msgid: str) -> str:
    """Mark ``msgid`` for the catalogue (``pybabel extract -k N_``); translated where shown."""
    return msgid


class Message(str):
    """Dutch text that keeps its msgid and parameters, so a view can translate it.

    It compares, joins and prints as the Dutch text. ``params`` may hold ``Message``
    objects (translated too) and ``Decimal`` numbers, shown with exactly their digits in
    the reader's notation (Dutch: decimal comma).
    """

    msgid: str
    params: dict

    def __new__(cls, msgid: str, **params) -> Message:
        text = msgid % {name: _dutch(value) for name, value in params.items()} if params else msgid
        self = super().__new__(cls, text)
        self.msgid = msgid
        self.params = params
        return self


def _dutch(value) -> str:
    if isinstance(value, Decimal):
        return f"{value:f}".replace(".", ",")
    return str(value)


ROLES = ("submitter", "viewer", "admin")
ROLE_LABELS = {
    "submitter": Message(N_("Incidenten insturen")),
    "viewer": Message(N_("Incidenten bekijken")),
    "admin": Message(N_("Klantportalbeheerder")),
}
AMSTERDAM = ZoneInfo("Europe/Amsterdam")


# ---------------------------------------------------------------------------
# Settings, facts and decisions
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Settings:
    course_required_from: date = date(2026, 1, 1)  # a date in Europe/Amsterdam
    pass_score: Decimal = Decimal("7.0")
    expert_satisfies_course: bool = True


DEFAULT_SETTINGS = Settings()


@dataclass(frozen=True)
class Reason:
    code: str  # machine-readable, e.g. "no_submitter_role"
    text: str  # Dutch (a Message): which rule refused
    remedy: str = ""  # Dutch (a Message): what to do about it ("" if nothing)
    params: dict = field(default_factory=dict, compare=False, hash=False)


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reasons: tuple[Reason, ...] = ()

    def __bool__(self) -> bool:
        return self.allowed

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(r.code for r in self.reasons)

    @classmethod
    def allow(cls) -> Decision:
        return cls(True, ())

    @classmethod
    def deny(cls, *reasons: Reason) -> Decision:
        if not reasons:
            raise ValueError("a refusal must explain itself: give at least one Reason")
        return cls(False, tuple(reasons))


@dataclass(frozen=True)
class Attempt:
    course_code: str
    score: Decimal | None  # None = not (yet) graded
    completed_at: datetime | None  # None = incomplete; incomplete attempts never count


@dataclass(frozen=True)
class Profile:
    """A submission profile (*instuurprofiel*)."""

    id: int
    name: str  # e.g. "Financieel"
    course_code: str  # required start course, e.g. "SC-FIN"
    course_name: str  # e.g. "Startcursus Beheerder Financieel"


@dataclass(frozen=True)
class Contact:
    id: int
    organisation_id: int
    name: str
    created_at: datetime  # timezone-aware (UTC from the DB); compared in Europe/Amsterdam
    active: bool = True
    submitter: bool = False
    viewer: bool = False
    admin: bool = False
    expert_until: date | None = None  # certified expert through this date inclusive
    profiles: tuple[Profile, ...] = ()
    attempts: tuple[Attempt, ...] = ()


@dataclass(frozen=True)
class OrgCounts:
    max_submitters: int
    in_use: int  # active submitters who are not current experts
    experts: int  # active submitters who are current experts (not counted)
    admins: int  # active admins

    @property
    def over_by(self) -> int:
        return max(0, self.in_use - self.max_submitters)

    @property
    def free(self) -> int:
        return max(0, self.max_submitters - self.in_use)


# ---------------------------------------------------------------------------
# Formatting helpers (Dutch)
# ---------------------------------------------------------------------------


def _to_decimal(value: Decimal | float | int) -> Decimal:
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        return Decimal(repr(value))  # 6.95 -> Decimal("6.95"), not the binary expansion
    return Decimal(value)


def score_decimal(score: Decimal | float | int) -> Decimal:
    """A score with the digits it is shown with: at least one decimal, 6.5, 7.0, 6.95.

    More decimals are kept when the score has them, so a failing score is never
    displayed as a passing one.
    """
    d = _to_decimal(score)
    if d == d.to_integral_value() or d.as_tuple().exponent >= -1:
        return d.quantize(Decimal("0.1"))
    return d.normalize()


def format_score(score: Decimal | float | int | None) -> str:
    """Dutch decimal comma (6.5 -> "6,5", 7 -> "7,0", 6.95 -> "6,95"); ``None`` -> "geen"."""
    if score is None:
        return "geen"
    return _dutch(score_decimal(score))


def _required(score: Decimal) -> Decimal:
    """The pass mark the way the policy writes it: "minimaal een 7" (7.5 -> "7,5")."""
    return _to_decimal(score).normalize()


def _join_names(names: Iterable[str]) -> str | Message:
    names = [n for n in names if n]
    if len(names) < 2:
        return "".join(names)
    return Message(N_("%(names)s of %(last)s"), names=", ".join(names[:-1]), last=names[-1])


def _ask_admin(admin_names: Iterable[str], named: str, unnamed: str, **params) -> Message:
    """ "Vraag een klantportalbeheerder (Anna de Vries) om ...": ``named`` has %(names)s."""
    names = _join_names(admin_names)
    if names:
        return Message(named, names=names, **params)
    return Message(unnamed, **params)


# ---------------------------------------------------------------------------
# Reasons (one place per refusal text)
# ---------------------------------------------------------------------------


def _inactive(admin_names: Iterable[str] = ()) -> Reason:
    return Reason(
        "inactive",
        Message(N_("Je contactpersoon is niet (meer) actief, daarom heb je geen toegang.")),
        _ask_admin(
            admin_names,
            N_("Vraag een klantportalbeheerder (%(names)s) om je contactpersoon weer actief te maken."),
            N_(
                "Vraag een klantportalbeheerder van je organisatie om je contactpersoon weer "
                "actief te maken."
            ),
        ),
    )


def _no_submitter_role(admin_names: Iterable[str], own_admin: _OwnAdmin | None = None) -> Reason:
    params = {"role": "submitter", "label": ROLE_LABELS["submitter"]}
    if own_admin is not None:
        remedy = _grant_yourself(own_admin, "submitter")
        params |= {"self_grant": True, "contact_id": own_admin.contact.id}
    else:
        remedy = _ask_admin(
            admin_names,
            N_("Vraag een klantportalbeheerder (%(names)s) om je de rol Incidenten insturen te geven."),
            N_(
                "Vraag een klantportalbeheerder van je organisatie om je de rol Incidenten "
                "insturen te geven."
            ),
        )
    return Reason(
        "no_submitter_role",
        Message(
            N_(
                "Je hebt de rol Incidenten insturen niet. Alleen met deze rol kun je incidenten "
                "insturen en contact opnemen met Support."
            )
        ),
        remedy,
        params,
    )


@dataclass(frozen=True)
class _OwnAdmin:
    """An active admin refused for something she can change herself (rules 1, 2)."""

    contact: Contact
    counts: OrgCounts | None  # None: not read; the remedy then states the rule only
    today: date


def _own_admin(contact: Contact, counts: OrgCounts | None, today: date) -> _OwnAdmin | None:
    return _OwnAdmin(contact, counts, today) if contact.active and contact.admin else None


def _grant_yourself(own: _OwnAdmin, role: str) -> Message:
    """An admin grants herself ``role`` like anyone else's: within the maximum."""
    label, counts = ROLE_LABELS[role], own.counts
    if counts is None:
        return Message(
            N_(
                "Je bent klantportalbeheerder: je kunt jezelf de rol %(label)s geven op Mijn "
                "contactpersonen, binnen het maximum."
            ),
            label=label,
        )
    grant = may_change_role(own.contact, own.contact, role, True, counts, own.today)
    figures = {"label": label, "in_use": counts.in_use, "max": counts.max_submitters}
    if "maximum_reached" in grant.codes:
        return Message(
            N_(
                "Je bent klantportalbeheerder en kunt jezelf de rol %(label)s geven, maar het "
                "maximum is bereikt (%(in_use)s van %(max)s in gebruik). Trek de rol eerst bij "
                "een andere contactpersoon in op Mijn contactpersonen."
            ),
            **figures,
        )
    return Message(
        N_(
            "Je bent klantportalbeheerder: je kunt jezelf de rol %(label)s geven op Mijn "
            "contactpersonen (%(in_use)s van %(max)s in gebruik)."
        ),
        **figures,
    )


def _assign_yourself_a_profile(own: _OwnAdmin, profile: str = "") -> Message:
    if profile:
        return Message(
            N_(
                "Je bent klantportalbeheerder: je kunt jezelf het instuurprofiel %(profile)s "
                "toewijzen via Aanpassen bij je eigen contactpersoon."
            ),
            profile=profile,
        )
    return Message(
        N_(
            "Je bent klantportalbeheerder: je kunt jezelf een instuurprofiel toewijzen via "
            "Aanpassen bij je eigen contactpersoon."
        )
    )


def _no_profile(admin_names: Iterable[str], own_admin: _OwnAdmin | None = None) -> Reason:
    if own_admin is not None:
        remedy, params = _assign_yourself_a_profile(own_admin), {"self_edit": own_admin.contact.id}
    else:
        remedy, params = _ask_admin(
            admin_names,
            N_("Vraag een klantportalbeheerder (%(names)s) om je een instuurprofiel toe te wijzen."),
            N_("Vraag een klantportalbeheerder van je organisatie om je een instuurprofiel toe te wijzen."),
        ), {}
    return Reason(
        "no_profile",
        Message(
            N_(
                "Je hebt geen instuurprofiel. Je kunt alleen incidenten insturen voor een "
                "instuurprofiel dat je hebt."
            )
        ),
        remedy,
        params,
    )


def _profile_not_held(
    profile: Profile, admin_names: Iterable[str], own_admin: _OwnAdmin | None = None
) -> Reason:
    params = {"profile": profile.name, "profile_id": profile.id}
    if own_admin is not None:
        remedy = _assign_yourself_a_profile(own_admin, profile.name)
        params["self_edit"] = own_admin.contact.id
    else:
        remedy = _ask_admin(
            admin_names,
            N_(
                "Vraag een klantportalbeheerder (%(names)s) om je het instuurprofiel %(profile)s "
                "toe te wijzen."
            ),
            N_(
                "Vraag een klantportalbeheerder van je organisatie om je het instuurprofiel "
                "%(profile)s toe te wijzen."
            ),
            profile=profile.name,
        )
    return Reason(
        "profile_not_held",
        Message(N_("Je hebt het instuurprofiel %(profile)s niet."), profile=profile.name),
        remedy,
        params,
    )


def _course_not_passed(profile: Profile, best: Decimal | None, settings: Settings) -> Reason:
    required = _required(settings.pass_score)
    facts = {"profile": profile.name, "course": profile.course_name, "required": required}
    if best is None:
        text = Message(
            N_(
                "Voor het instuurprofiel %(profile)s moet je de %(course)s met minimaal een "
                "%(required)s hebben afgerond. Je hebt deze cursus nog niet afgerond."
            ),
            **facts,
        )
    else:
        text = Message(
            N_(
                "Voor het instuurprofiel %(profile)s moet je de %(course)s met minimaal een "
                "%(required)s hebben afgerond. Je beste score is %(best)s."
            ),
            best=score_decimal(best),
            **facts,
        )
    return Reason(
        "course_not_passed",
        text,
        Message(
            N_("Volg de %(course)s en rond die af met minimaal een %(required)s."),
            course=profile.course_name,
            required=required,
        ),
        {
            "profile": profile.name,
            "profile_id": profile.id,
            "course": profile.course_name,
            "course_code": profile.course_code,
            "best": best,
            "required": settings.pass_score,
        },
    )


def _not_found() -> Reason:
    return Reason(
        "not_found",
        Message(N_("Dit bestaat niet, of het hoort niet bij je organisatie.")),
        "",
    )


def _no_incident_role(admin_names: Iterable[str]) -> Reason:
    return Reason(
        "no_incident_role",
        Message(
            N_(
                "Je hebt de rol Incidenten insturen of Incidenten bekijken niet, en je bent geen "
                "klantportalbeheerder. Daarom kun je geen incidenten inzien."
            )
        ),
        _ask_admin(
            admin_names,
            N_(
                "Vraag een klantportalbeheerder (%(names)s) om je de rol Incidenten insturen of "
                "Incidenten bekijken te geven."
            ),
            N_(
                "Vraag een klantportalbeheerder van je organisatie om je de rol Incidenten insturen "
                "of Incidenten bekijken te geven."
            ),
        ),
    )


def _read_only() -> Reason:
    return Reason(
        "read_only",
        Message(
            N_(
                "Je kunt dit incident inzien, maar alleen de melder met de rol Incidenten insturen "
                "kan erop reageren."
            )
        ),
        "",
    )


def _not_admin(admin_names: Iterable[str]) -> Reason:
    return Reason(
        "not_admin",
        Message(N_("Alleen klantportalbeheerders kunnen contactpersonen beheren en rollen toekennen.")),
        _ask_admin(
            admin_names,
            N_("Vraag een klantportalbeheerder (%(names)s) om deze wijziging voor je te doen."),
            N_("Vraag een klantportalbeheerder van je organisatie om deze wijziging voor je te doen."),
        ),
    )


# ---------------------------------------------------------------------------
# Rules 2–4: experts, maximum, course requirement
# ---------------------------------------------------------------------------


def roles_held(contact: Contact) -> tuple[str, ...]:
    return tuple(role for role in ROLES if getattr(contact, role))


def is_expert(contact: Contact, today: date) -> bool:
    """Certified expert through ``expert_until`` inclusive (rule 3)."""
    return contact.expert_until is not None and contact.expert_until >= today


def counts_towards_maximum(contact: Contact, today: date) -> bool:
    """Active submitters who are not current experts count (rule 2)."""
    return contact.active and contact.submitter and not is_expert(contact, today)


# The same rule as a condition on the contact table, for the database's counts (the
# organisation's counter on every page, the nightly recalculation): keep the two together.
COUNTS_TOWARDS_MAXIMUM_SQL = "active AND submitter AND (expert_until IS NULL OR expert_until < {today})"


def _created_local_date(contact: Contact) -> date:
    created = contact.created_at
    if created.tzinfo is None:
        created = created.replace(tzinfo=UTC)
    return created.astimezone(AMSTERDAM).date()


def course_requirement_applies(contact: Contact, settings: Settings = DEFAULT_SETTINGS) -> bool:
    """Contacts created on or after ``course_required_from`` (Amsterdam date) (rule 4)."""
    return _created_local_date(contact) >= settings.course_required_from


def best_score(contact: Contact, course_code: str) -> Decimal | None:
    """Best score among completed, graded attempts of this course; None if there are none."""
    scores = [
        _to_decimal(a.score)
        for a in contact.attempts
        if a.course_code == course_code and a.completed_at is not None and a.score is not None
    ]
    return max(scores) if scores else None


# What course_status() answers, as the contacts table shows it.
COURSE_STATUS_LABELS = {
    "not_required": N_("niet vereist"),
    "expert": N_("Expert"),
    "passed": N_("gehaald"),
    "not_passed": N_("nog niet gehaald"),
}


def course_status(
    contact: Contact, profile: Profile, today: date, settings: Settings = DEFAULT_SETTINGS
) -> str:
    """``"not_required"`` | ``"expert"`` | ``"passed"`` | ``"not_passed"`` (rules 3, 4)."""
    if not course_requirement_applies(contact, settings):
        return "not_required"
    if settings.expert_satisfies_course and is_expert(contact, today):
        return "expert"
    best = best_score(contact, profile.course_code)
    if best is not None and best >= _to_decimal(settings.pass_score):
        return "passed"
    return "not_passed"


def qualifying_profiles(
    contact: Contact, today: date, settings: Settings = DEFAULT_SETTINGS
) -> tuple[Profile, ...]:
    """The contact's profiles whose course requirement is met (rule 4).

    Only the course requirement: whether the contact may submit at all (active,
    role) is ``may_submit``'s question.
    """
    return tuple(
        p for p in contact.profiles if course_status(contact, p, today, settings) != "not_passed"
    )


# ---------------------------------------------------------------------------
# Submitting and contacting Support (rules 4, 5)
# ---------------------------------------------------------------------------


def may_submit(
    contact: Contact,
    today: date,
    settings: Settings = DEFAULT_SETTINGS,
    admin_names: Sequence[str] = (),
    profile: Profile | None = None,
    counts: OrgCounts | None = None,
) -> Decision:
    """May the contact submit incidents (``profile=None``), or for this profile?

    All reasons that apply are given, in a fixed order: inactive, no_submitter_role,
    no_profile, profile_not_held, course_not_passed (one per held profile lacking the
    course; only the given profile when one is given). Without a profile the course
    reasons refuse only when no profile qualifies at all. An active admin is told to
    grant herself the role or profile; ``counts`` (her organisation's) say whether the
    maximum lets her now.
    """
    reasons: list[Reason] = []
    own = _own_admin(contact, counts, today)
    if not contact.active:
        reasons.append(_inactive(admin_names))
    if not contact.submitter:
        reasons.append(_no_submitter_role(admin_names, own))
    no_profile = contact.submitter and not contact.profiles
    if no_profile:
        reasons.append(_no_profile(admin_names, own))

    if profile is not None:
        held = any(p.id == profile.id for p in contact.profiles)
        if not held and not no_profile:  # "no profile at all" already says it
            reasons.append(_profile_not_held(profile, admin_names, own))
        if held and course_status(contact, profile, today, settings) == "not_passed":
            best = best_score(contact, profile.course_code)
            reasons.append(_course_not_passed(profile, best, settings))
    elif contact.profiles and not qualifying_profiles(contact, today, settings):
        reasons.extend(
            _course_not_passed(p, best_score(contact, p.course_code), settings)
            for p in contact.profiles
        )

    return Decision.deny(*reasons) if reasons else Decision.allow()


def may_contact_support(
    contact: Contact,
    today: date,
    settings: Settings = DEFAULT_SETTINGS,
    admin_names: Sequence[str] = (),
    counts: OrgCounts | None = None,
) -> Decision:
    """Contacting Support is gated exactly like submitting (rule 5)."""
    return may_submit(contact, today, settings, admin_names, profile=None, counts=counts)


# ---------------------------------------------------------------------------
# Incidents
# ---------------------------------------------------------------------------


def may_view_all_incidents(contact: Contact) -> bool:
    """Viewers and admins see all incidents of their own organisation."""
    return contact.active and (contact.viewer or contact.admin)


def may_list_incidents(contact: Contact, admin_names: Sequence[str] = ()) -> Decision:
    """Submitters (own incidents), viewers and admins (all) may open the incident list."""
    if not contact.active:
        return Decision.deny(_inactive(admin_names))
    if contact.submitter or contact.viewer or contact.admin:
        return Decision.allow()
    return Decision.deny(_no_incident_role(admin_names))


def may_view_incident(
    contact: Contact,
    incident_organisation_id: int,
    reporter_id: int | None,
    admin_names: Sequence[str] = (),
) -> Decision:
    """Reporter (while submitter), viewers and admins of the same organisation.

    Another organisation's incident, or a colleague's incident for a plain submitter,
    is ``not_found`` (404: its existence is not revealed).
    """
    if contact.organisation_id != incident_organisation_id:
        return Decision.deny(_not_found())
    if not contact.active:
        return Decision.deny(_inactive(admin_names))
    if contact.viewer or contact.admin:
        return Decision.allow()
    if contact.submitter:
        if reporter_id == contact.id:
            return Decision.allow()
        return Decision.deny(_not_found())
    return Decision.deny(_no_incident_role(admin_names))


def may_react(
    contact: Contact,
    incident_organisation_id: int,
    reporter_id: int | None,
    admin_names: Sequence[str] = (),
) -> Decision:
    """Only the reporter, while an active submitter, reacts; viewers/admins read only."""
    view = may_view_incident(contact, incident_organisation_id, reporter_id, admin_names)
    if not view:
        return view
    if contact.submitter and reporter_id == contact.id:
        return Decision.allow()
    return Decision.deny(_read_only())


# ---------------------------------------------------------------------------
# Managing contacts and roles (rules 1, 2)
# ---------------------------------------------------------------------------


def may_manage_contacts(contact: Contact, admin_names: Sequence[str] = ()) -> Decision:
    """Only active admins manage their organisation's contacts (rule 1)."""
    if not contact.active:
        return Decision.deny(_inactive(admin_names))
    if not contact.admin:
        return Decision.deny(_not_admin(admin_names))
    return Decision.allow()


def may_change_role(
    actor: Contact,
    target: Contact,
    role: str,
    grant: bool,
    counts: OrgCounts,
    today: date,
    admin_names: Sequence[str] = (),
) -> Decision:
    """May ``actor`` grant (``grant=True``) or revoke ``role`` for ``target``?

    ``counts`` are the target organisation's counts, read inside the transaction that
    applies the change. Revoking is always allowed except the last admin's admin role;
    granting something already held is allowed (a no-op for the caller).
    """
    manage = may_manage_contacts(actor, admin_names)
    if not manage:
        return manage
    if target.organisation_id != actor.organisation_id:
        return Decision.deny(_not_found())
    if role not in ROLES:
        return Decision.deny(
            Reason(
                "unknown_role",
                Message(
                    N_(
                        "Onbekende rol: %(role)s. Bestaande rollen: Incidenten insturen, "
                        "Incidenten bekijken, Klantportalbeheerder."
                    ),
                    role=role,
                ),
                "",
                {"role": role},
            )
        )
    label = ROLE_LABELS[role]
    held = bool(getattr(target, role))

    if not grant:
        if role == "admin" and held and counts.admins <= 1:
            return Decision.deny(
                Reason(
                    "last_admin",
                    Message(
                        N_(
                            "Er moet minstens één klantportalbeheerder overblijven. "
                            "%(target)s is de laatste klantportalbeheerder van je organisatie."
                        ),
                        target=target.name,
                    ),
                    Message(
                        N_(
                            "Maak eerst een andere contactpersoon klantportalbeheerder en trek daarna "
                            "deze rol in. We raden minstens twee klantportalbeheerders aan."
                        )
                    ),
                    {"admins": counts.admins, "target": target.name},
                )
            )
        return Decision.allow()

    if held:
        return Decision.allow()
    if not target.active:
        return Decision.deny(
            Reason(
                "target_inactive",
                Message(
                    N_("%(target)s is niet actief en kan daarom de rol %(label)s niet krijgen."),
                    target=target.name,
                    label=label,
                ),
                Message(N_("Maak de contactpersoon eerst weer actief.")),
                {"target": target.name, "role": role, "label": label},
            )
        )
    if (
        role == "submitter"
        and not is_expert(target, today)
        and counts.in_use >= counts.max_submitters
    ):
        return Decision.deny(
            Reason(
                "maximum_reached",
                Message(
                    N_(
                        "Maximum bereikt: %(in_use)s van %(max)s contactpersonen met de rol "
                        "Incidenten insturen."
                    ),
                    in_use=counts.in_use,
                    max=counts.max_submitters,
                ),
                Message(
                    N_(
                        "Trek de rol bij een andere contactpersoon in, of wijs een gecertificeerde "
                        "Expert aan (die telt niet mee)."
                    )
                ),
                {
                    "in_use": counts.in_use,
                    "max": counts.max_submitters,
                    "over_by": counts.over_by,
                },
            )
        )
    return Decision.allow()


def may_request_role(contact: Contact, role: str) -> Decision:
    """May ``contact`` ask the admins for ``role``? Not an admin: she grants it herself
    (rules 1, 2), so the request would only reach herself or her colleagues."""
    if contact.active and contact.admin:
        label = ROLE_LABELS.get(role, role)
        return Decision.deny(
            Reason(
                "self_grant",
                Message(
                    N_(
                        "Je bent klantportalbeheerder: je hoeft de rol %(label)s niet aan te "
                        "vragen."
                    ),
                    label=label,
                ),
                Message(
                    N_(
                        "Geef jezelf de rol op Mijn contactpersonen. Het maximum geldt ook voor "
                        "jou."
                    )
                ),
                {"role": role, "label": label, "self_grant": True, "contact_id": contact.id},
            )
        )
    return Decision.allow()


def single_admin_warning(counts: OrgCounts) -> Message | None:
    """The recommendation of at least two admins, shown when there is only one (rule 1)."""
    if counts.admins == 1:
        return Message(
            N_(
                "Je organisatie heeft maar één klantportalbeheerder. We raden minstens twee "
                "klantportalbeheerders aan, zodat er altijd iemand rollen kan toekennen."
            )
        )
    return None


# The quota bands and formula (rule 6) live in their own module; re-exported for callers.
from webapp.rules.quota import (  # noqa: E402
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
