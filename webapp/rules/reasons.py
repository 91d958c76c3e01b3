"""Why something is refused: one function per refusal, holding its texts (rule 8).

Every ``Reason`` has a machine-readable ``code``, a Dutch ``text`` saying which rule
refused and a Dutch ``remedy`` saying what to do about it, both ``Message`` objects.

Reason codes: ``inactive``, ``no_submitter_role``, ``no_profile``, ``profile_not_held``,
``course_not_passed``, ``no_incident_role``, ``not_found``, ``read_only``, ``not_admin``,
``unknown_role``, ``target_inactive``, ``last_admin``, ``maximum_reached``, ``self_grant``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from webapp.rules.facts import (
    ROLE_LABELS,
    Contact,
    OrgCounts,
    Profile,
    Settings,
    grant_exceeds_maximum,
)
from webapp.rules.messages import N_, Message, ask_admin, pass_mark, score_decimal


@dataclass(frozen=True)
class Reason:
    code: str  # machine-readable, e.g. "no_submitter_role"
    text: str  # Dutch (a Message): which rule refused
    remedy: str = ""  # Dutch (a Message): what to do about it ("" if nothing)
    params: dict = field(default_factory=dict, compare=False, hash=False)


def inactive(admin_names: Iterable[str] = ()) -> Reason:
    return Reason(
        "inactive",
        Message(N_("Je contactpersoon is niet (meer) actief, daarom heb je geen toegang.")),
        ask_admin(
            admin_names,
            N_("Vraag een klantportalbeheerder (%(names)s) om je contactpersoon weer actief te maken."),
            N_(
                "Vraag een klantportalbeheerder van je organisatie om je contactpersoon weer "
                "actief te maken."
            ),
        ),
    )


def no_submitter_role(admin_names: Iterable[str], own_admin: OwnAdmin | None = None) -> Reason:
    params = {"role": "submitter", "label": ROLE_LABELS["submitter"]}
    if own_admin is not None:
        remedy = _grant_yourself(own_admin, "submitter")
        params |= {"self_grant": True, "contact_id": own_admin.contact.id}
    else:
        remedy = ask_admin(
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
class OwnAdmin:
    """An active admin refused for something she can change herself (rules 1, 2)."""

    contact: Contact
    counts: OrgCounts | None  # None: not read; the remedy then states the rule only
    today: date


def own_admin_of(contact: Contact, counts: OrgCounts | None, today: date) -> OwnAdmin | None:
    return OwnAdmin(contact, counts, today) if contact.active and contact.admin else None


def _grant_yourself(own: OwnAdmin, role: str) -> Message:
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
    figures = {"label": label, "in_use": counts.in_use, "max": counts.max_submitters}
    if grant_exceeds_maximum(own.contact, role, counts, own.today):
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


def _assign_yourself_a_profile(own: OwnAdmin, profile: str = "") -> Message:
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


def no_profile(admin_names: Iterable[str], own_admin: OwnAdmin | None = None) -> Reason:
    if own_admin is not None:
        remedy, params = _assign_yourself_a_profile(own_admin), {"self_edit": own_admin.contact.id}
    else:
        remedy, params = ask_admin(
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


def profile_not_held(
    profile: Profile, admin_names: Iterable[str], own_admin: OwnAdmin | None = None
) -> Reason:
    params = {"profile": profile.name, "profile_id": profile.id}
    if own_admin is not None:
        remedy = _assign_yourself_a_profile(own_admin, profile.name)
        params["self_edit"] = own_admin.contact.id
    else:
        remedy = ask_admin(
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


def course_not_passed(profile: Profile, best: Decimal | None, settings: Settings) -> Reason:
    required = pass_mark(settings.pass_score)
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


def not_found() -> Reason:
    return Reason(
        "not_found",
        Message(N_("Dit bestaat niet, of het hoort niet bij je organisatie.")),
        "",
    )


def no_incident_role(admin_names: Iterable[str]) -> Reason:
    return Reason(
        "no_incident_role",
        Message(
            N_(
                "Je hebt de rol Incidenten insturen of Incidenten bekijken niet, en je bent geen "
                "klantportalbeheerder. Daarom kun je geen incidenten inzien."
            )
        ),
        ask_admin(
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


def read_only() -> Reason:
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


def not_admin(admin_names: Iterable[str]) -> Reason:
    return Reason(
        "not_admin",
        Message(N_("Alleen klantportalbeheerders kunnen contactpersonen beheren en rollen toekennen.")),
        ask_admin(
            admin_names,
            N_("Vraag een klantportalbeheerder (%(names)s) om deze wijziging voor je te doen."),
            N_("Vraag een klantportalbeheerder van je organisatie om deze wijziging voor je te doen."),
        ),
    )


def unknown_role(role: str) -> Reason:
    return Reason(
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


def last_admin(target: Contact, counts: OrgCounts) -> Reason:
    return Reason(
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


def target_inactive(target: Contact, role: str) -> Reason:
    label = ROLE_LABELS[role]
    return Reason(
        "target_inactive",
        Message(
            N_("%(target)s is niet actief en kan daarom de rol %(label)s niet krijgen."),
            target=target.name,
            label=label,
        ),
        Message(N_("Maak de contactpersoon eerst weer actief.")),
        {"target": target.name, "role": role, "label": label},
    )


def maximum_reached(counts: OrgCounts) -> Reason:
    return Reason(
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


def self_grant(contact: Contact, role: str) -> Reason:
    label = ROLE_LABELS.get(role, role)
    return Reason(
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
