"""Incidents: the list, the form, the detail page with reactions (DESIGN §5)."""

import re

from flask import Blueprint, abort, flash, g, make_response, redirect, render_template, request, url_for
from peewee import JOIN

from webapp import access, clock, rate_limits, rules
from webapp.access import gate, get_or_404
from webapp.db import count, db, write_transaction
from webapp.extensions import limiter
from webapp.htmx import render_page_or_block
from webapp.i18n import gettext as _
from webapp.identity import drafts
from webapp.incidents.forms import PRIORITY_HELP, PRIORITY_LABELS, IncidentForm, ReactionForm
from webapp.models import (
    INCIDENT_STATUSES,
    Contact,
    Incident,
    IncidentStatusChange,
    Organisation,
    Reaction,
    SubmissionProfile,
)
from webapp.pagination import page_number, paginate
from webapp.rules import N_
from webapp.text_input import search_term

bp = Blueprint("incidents", __name__, url_prefix="/incidents")

PER_PAGE = 25
SEARCH_MAX = 100
NUMBER = re.compile(r"[0-9]{4}-[0-9]{6,}")
STATUS_LABELS = {
    "nieuw": N_("Nieuw"),
    "in_behandeling": N_("In behandeling"),
    "wacht_op_klant": N_("Wacht op jouw reactie"),
    "opgelost": N_("Opgelost"),
    "gesloten": N_("Gesloten"),
}


@bp.context_processor
def labels():
    # Translated once per page rather than on every row of the list.
    return {
        "STATUS_LABELS": {status: _(label) for status, label in STATUS_LABELS.items()},
        "PRIORITY_LABELS": {priority: _(label) for priority, label in PRIORITY_LABELS.items()},
        "PRIORITY_HELP": PRIORITY_HELP,
    }


# What the list shows, read as plain rows; the detail page reads the three models in full.
LIST_COLUMNS = (
    Incident.number, Incident.subject, Incident.status, Incident.priority, Incident.created_at,
    Contact.name.alias("reporter_name"), SubmissionProfile.name.alias("profile_name"),
)


def _with_reporter_and_profile(*columns):
    return (
        Incident.select(*columns or (Incident, Contact, SubmissionProfile))
        .join(Contact, on=(Incident.reporter == Contact.id))
        .switch(Incident)
        .join(SubmissionProfile)
    )


def _list(matching):
    """The list, newest first. No descriptions, and no models: peewee builds three per row
    of a join."""
    return (
        _with_reporter_and_profile(*LIST_COLUMNS)
        .where(matching)
        .order_by(Incident.created_at.desc(), Incident.id.desc())
        .namedtuples()
    )


def get_incident(number: str) -> Incident:
    """The incident ``number`` of the actor's organisation, if the actor may see it; else 404."""
    actor = g.actor
    if not NUMBER.fullmatch(number):
        abort(404)
    incident = get_or_404(_with_reporter_and_profile(), Incident.number == number)
    decision = rules.may_view_incident(
        actor.facts, incident.organisation_id, incident.reporter_id, actor.admin_names
    )
    if not decision:
        abort(make_response(access.refuse(decision)))
    return incident


@bp.get("")
@gate("list_incidents")
def index():
    actor = g.actor
    see_all = rules.may_view_all_incidents(actor.facts)
    status = request.args.get("status", "")
    if status not in INCIDENT_STATUSES:
        status = ""
    search = search_term(request.args.get("q", ""), SEARCH_MAX)

    matching = Incident.organisation == actor.contact.organisation_id
    if not see_all:
        matching &= Incident.reporter == actor.contact.id
    if status:
        matching &= Incident.status == status
    if search:
        matching &= Incident.subject.contains(search) | Incident.number.contains(search)

    unfiltered = not status and not search
    if see_all and unfiltered:
        total = actor.contact.organisation.incident_count  # kept by the database
    else:
        # Counted without the joins: reporter and profile are required, so they drop no row,
        # and the count stays on the incident indexes.
        total = count(Incident.select().where(matching))
    page = paginate(_list(matching), page_number(request.args.get("page")), PER_PAGE, total)
    context = {
        "incidents": page.rows,
        "total": total,
        "page": page.number,
        "pages": page.pages,
        "status": status,
        "search": search,
        "see_all": see_all,
        "may_submit": actor.may_submit(),
        "statuses": INCIDENT_STATUSES,
    }
    # Only the search box and the pager ask for the results alone; anything else gets the page.
    return render_page_or_block("incidents/index.html", "results", target="incident-results", **context)


@bp.get("/new")
@gate("submit")
def new():
    form = IncidentForm(g.actor, formdata=drafts.restore())  # typed before the session ended
    return render_template("incidents/new.html", form=form)


@bp.post("/new")
@limiter.limit(rate_limits.SUBMISSIONS, key_func=rate_limits.per_contact)
@gate("submit")
def create():
    form = IncidentForm(g.actor)
    if not form.validate():
        return render_template("incidents/new.html", form=form), 422
    incident = _open_incident(g.actor.contact, form)
    flash(_("Je incident is ingestuurd met nummer %(number)s.", number=incident.number))
    return redirect(url_for("incidents.detail", number=incident.number), 303)


def _open_incident(reporter: Contact, form: IncidentForm) -> Incident:
    """Store the incident under the organisation's next number (``2026-000042``)."""
    organisation_id = reporter.organisation_id
    now = clock.now()
    with write_transaction():
        # The UPDATE locks the organisation's row until commit, so two submissions never
        # read the same sequence value.
        Organisation.update(incident_sequence=Organisation.incident_sequence + 1).where(
            Organisation.id == organisation_id
        ).execute()
        sequence = (
            Organisation.select(Organisation.incident_sequence)
            .where(Organisation.id == organisation_id)
            .scalar()
        )
        incident = Incident.create(
            organisation=organisation_id,
            number=f"{clock.local(now).year}-{sequence:06d}",
            reporter=reporter,
            profile=form.chosen_profile.id,
            subject=form.subject.data,
            description=form.description.data,
            priority=form.priority.data,
            reference=form.reference.data or "",
            status="nieuw",
            created_at=now,
            updated_at=now,
        )
        IncidentStatusChange.create(incident=incident, status="nieuw", changed_at=now)
    return incident


def _may_react(incident: Incident) -> rules.Decision:
    actor = g.actor
    return rules.may_react(actor.facts, incident.organisation_id, incident.reporter_id, actor.admin_names)


def _render_detail(incident: Incident, form: ReactionForm):
    history = (
        IncidentStatusChange.select()
        .where(IncidentStatusChange.incident == incident)
        .order_by(IncidentStatusChange.changed_at, IncidentStatusChange.id)
    )
    reactions = (
        Reaction.select(Reaction, Contact)
        .join(Contact, JOIN.LEFT_OUTER, on=(Reaction.author == Contact.id))
        .where(Reaction.incident == incident)
        .order_by(Reaction.created_at, Reaction.id)
    )
    return render_template(
        "incidents/detail.html",
        incident=incident,
        history=list(history),
        reactions=list(reactions),
        react=_may_react(incident),
        form=form,
    )


@bp.get("/<number>")
@gate("list_incidents")
def detail(number):
    incident = get_incident(number)
    return _render_detail(incident, ReactionForm(formdata=drafts.restore()))


@bp.post("/<number>")
@limiter.limit(rate_limits.SUBMISSIONS, key_func=rate_limits.per_contact)
@gate("list_incidents")
def react(number):
    """Add the reporter's reaction; viewers and admins get the explained refusal."""
    incident = get_incident(number)
    decision = _may_react(incident)
    if not decision:
        return access.refuse(decision)
    form = ReactionForm()
    if not form.validate():
        return _render_detail(incident, form), 422
    now = clock.now()
    with db.atomic():
        Reaction.create(incident=incident, author=g.actor.contact, body=form.body.data, created_at=now)
        Incident.update(updated_at=now).where(Incident.id == incident.id).execute()
    flash(_("Je reactie is toegevoegd."))
    return redirect(url_for("incidents.detail", number=number, _anchor="reacties"), 303)
