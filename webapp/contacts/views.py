"""Mijn contactpersonen: admins manage contacts and toggle roles inline (DESIGN §5)."""

from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, url_for
from jinja2_fragments.flask import render_block, render_blocks
from peewee import JOIN
from werkzeug.routing import ValidationError

from webapp import access, clock, rules, text_input
from webapp.access import gate, get_or_404
from webapp.contacts import access_requests, directory, roles
from webapp.contacts.forms import AccessRequestForm, ContactForm
from webapp.db import count
from webapp.htmx import refused_in_place, render_page_or_block, request_is_partial
from webapp.i18n import gettext as _
from webapp.identity import drafts
from webapp.models import AuditEntry, Contact, Organisation
from webapp.pagination import paginate
from webapp.rules import N_

bp = Blueprint("contacts", __name__, url_prefix="/contacts")

AUDIT_PAGE_SIZE = 50
# Audit kinds and their Dutch labels, in the order the filter offers them.
AUDIT_KINDS = {
    "contact": N_("Nieuwe contactpersoon"),
    "role": N_("Rol"),
    "profile": N_("Instuurprofielen"),
    "expert": N_("Expertstatus"),
    "active": N_("Actief"),
    "name": N_("Naam"),
    "email": N_("E-mailadres"),
    "phone": N_("Telefoonnummer"),
    "function": N_("Functie"),
    "course": N_("Startcursusresultaat"),  # field: the course's code
    "identity": N_("Koppeling inlogaccount"),  # bound to a sign-in subject at first login
}


@bp.context_processor
def row_context():
    # Every row of the table shows them: translated and built once per page, not per row.
    return {
        "role_names": {role: _(label) for role, label in rules.ROLE_LABELS.items()},
        "course_statuses": {status: _(label) for status, label in rules.COURSE_STATUS_LABELS.items()},
        "contacts_url": url_for("contacts.index"),  # a contact's URL extends it
    }


def _id_or_404(value: str) -> int:
    """A query argument read as the ``id`` route converter reads a path."""
    try:
        return current_app.url_map.converters["id"](current_app.url_map).to_python(value)
    except (ValueError, ValidationError):
        abort(404)


def _summary():
    """The counter "in gebruik x van max" and the single-admin warning."""
    counts = Organisation.counts_for(g.actor.contact.organisation_id, clock.today())
    return {"counts": counts, "single_admin": rules.single_admin_warning(counts)}


@bp.get("")
@gate("manage_contacts")
def index():
    search = text_input.search_term(request.args.get("q", ""))
    page = directory.page_of_contacts(
        g.actor.contact.organisation, search, request.args.get("page", 1, type=int), access.settings()
    )
    context = {"page": page, "search": search, **_summary()}
    if request_is_partial():
        return render_block("contacts/index.html", "list", **context)
    pending = access_requests.pending_for(g.actor.contact.organisation_id)
    return render_template("contacts/index.html", pending=pending, **context)


@bp.post("/<id:contact_id>/roles/<role>")
@gate("manage_contacts")
def toggle_role(contact_id: int, role: str):
    """The inline checkbox: ``grant=1`` when ticked, absent when unticked. Another
    organisation's contact, or none, is refused as ``not_found`` (404) by the rules."""
    decision, target = roles.change_role(g.actor.contact, contact_id, role, request.form.get("grant") == "1")
    if not decision:
        if request_is_partial() and rules.refusal_about_target(decision):
            # The maximum, the last admin, an inactive contact: said beside the checkbox.
            return refused_in_place(_row_with_summary(target, decision, role), f"contact-{target.id}")
        return access.refuse(decision)
    if not request_is_partial():
        return redirect(url_for(".index"), 303)
    return _row_with_summary(target)


def _row_with_summary(contact: Contact, refusal=None, role=None) -> str:
    """The re-rendered row, and the counter out of band (it may have changed)."""
    row = directory.row_for(contact, access.settings())
    return render_blocks(
        "contacts/_changed.html", ["row", "summary_oob"], row=row, refusal=refusal, refused_role=role,
        **_summary(),
    )


@bp.get("/<id:contact_id>")
@gate("manage_contacts")
def detail(contact_id: int):
    contact = get_or_404(Contact, contact_id)
    row = directory.row_for(contact, access.settings())
    return render_template("contacts/detail.html", contact=contact, row=row)


@bp.route("/<id:contact_id>/edit", methods=["GET", "POST"])
@gate("manage_contacts")
def edit(contact_id: int):
    contact = get_or_404(Contact, contact_id)
    draft = drafts.restore()
    form = ContactForm(formdata=draft, obj=contact) if draft else ContactForm(obj=contact)
    if request.method == "GET" and not draft:
        form.profiles.data = [link.profile_id for link in contact.profile_links]
    return _save(form, contact, restored=draft is not None)


@bp.route("/new", methods=["GET", "POST"])
@gate("manage_contacts")
def new():
    draft = drafts.restore()
    return _save(ContactForm(formdata=draft) if draft else ContactForm(), None, restored=draft is not None)


def _save(form: ContactForm, contact: Contact | None, restored: bool):
    """Validate and save, or show the form again with the typed values and the errors;
    a restored draft is shown to check, not saved."""
    if not restored and form.validate_on_submit():
        try:
            saved = directory.save_contact(g.actor.contact, contact, form.values())
        except directory.Refused as refused:
            for name, messages in refused.errors.items():
                form[name].errors = [*form[name].errors, *messages]
        else:
            flash(_("Opgeslagen.") if contact else _("Contactpersoon toegevoegd."))
            return redirect(url_for(".detail", contact_id=saved.id), 303)
    status = 422 if form.errors else 200
    return render_template("contacts/form.html", form=form, contact=contact), status


@bp.get("/audit")
@gate("manage_contacts")
def audit_log():
    organisation_id = g.actor.contact.organisation_id
    query = AuditEntry.select().where(AuditEntry.organisation == organisation_id)
    contact = None
    if "contact" in request.args:
        contact = get_or_404(Contact, _id_or_404(request.args["contact"]))
        query = query.where(AuditEntry.contact == contact)
    kind = request.args.get("kind", "")
    if kind in AUDIT_KINDS:
        query = query.where(AuditEntry.kind == kind)
    page = paginate(_with_names(query), request.args.get("page", 1, type=int), AUDIT_PAGE_SIZE, count(query))
    return render_template(
        "contacts/audit.html",
        entries=page.rows,
        contact=contact,
        kind=kind if kind in AUDIT_KINDS else "",
        kinds={value: _(label) for value, label in AUDIT_KINDS.items()},  # once per page, not per row
        number=page.number,
        pages=page.pages,
        total=page.total,
    )


def _with_names(entries):
    """``entries`` newest first, as tuples with the names of who changed and whom: what the
    table shows, in one query."""
    by, whom = Contact.alias(), Contact.alias()
    return (
        entries.select(
            AuditEntry.at, AuditEntry.actor, AuditEntry.contact, AuditEntry.kind, AuditEntry.field,
            AuditEntry.before, AuditEntry.after, by.name.alias("actor_name"), whom.name.alias("contact_name"),
        )
        .join_from(AuditEntry, by, JOIN.LEFT_OUTER, on=(AuditEntry.actor == by.id))
        .join_from(AuditEntry, whom, JOIN.LEFT_OUTER, on=(AuditEntry.contact == whom.id))
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
        .namedtuples()
    )


@bp.get("/access-requests")
@gate("signed_in")
def access_request_page():
    """The access-request form on a page of its own: where a form kept over sign-in returns."""
    return _access_request_answer(AccessRequestForm(formdata=drafts.restore()), 200)


@bp.post("/access-requests")
@gate("signed_in")
def request_access():
    """A refused contact asks for a role (from the refusal or the support page)."""
    allowed = g.actor.may_request_role(request.form.get("role", ""))
    if not allowed:  # an admin grants it herself: the refusal says how
        return access.refuse(allowed)
    contact = g.actor.contact
    form = AccessRequestForm()
    if form.validate_on_submit() and not getattr(contact, form.role.data):
        access_requests.submit(contact, form.role.data, form.reason.data or "")
        if request_is_partial():
            return render_template("contacts/_access_request_sent.html", role=form.role.data)
        return redirect(url_for("home.index"), 303)  # the home page lists the request
    if form.role.data in rules.ROLES and getattr(contact, form.role.data):
        form.role.errors = [*form.role.errors, _("Je hebt deze rol al.")]
    return _access_request_answer(form, 422)


def _access_request_answer(form: AccessRequestForm, status: int):
    contact = g.actor.contact
    offer = {
        "form": form,
        "offered": [r for r in access_requests.REQUESTABLE_ROLES if not getattr(contact, r)],
        "pending": access_requests.pending_roles(contact),
    }
    return render_page_or_block("contacts/access_request.html", "access_request", offer=offer), status


@bp.post("/access-requests/<id:request_id>/<any(approve, deny):verdict>")
@gate("manage_contacts")
def decide_access(request_id: int, verdict: str):
    """Approve (a grant like any other: the maximum applies) or deny, inline."""
    actor = g.actor.contact
    item = get_or_404(access_requests.with_contact(), request_id)
    note = request.form.get("note", "").strip()
    problem = text_input.problem(note) or (
        _("Maximaal %(max)d tekens.", max=access_requests.REASON_MAX_LENGTH)
        if len(note) > access_requests.REASON_MAX_LENGTH else None
    )
    if problem:
        context = {"item": item, "note": note, "note_error": problem}
        return render_page_or_block("contacts/decision.html", "request", **context), 422
    if verdict == "approve":
        decision = access_requests.approve(actor, item, note)
    else:
        access_requests.deny(actor, item, note)
        decision = rules.Decision.allow()
    if not decision and not (request_is_partial() and rules.refusal_about_target(decision)):
        return access.refuse(decision)
    # Decided on the start page (the admin's to-do) or on Mijn contactpersonen.
    decided_from = "home" if request.form.get("from") == "home" else "contacts"
    if not request_is_partial():
        return redirect(url_for("home.index" if decided_from == "home" else ".index"), 303)
    item = get_or_404(access_requests.with_contact(), request_id)
    if not decision:  # the maximum, say: said in the request, which stays open
        html = _decided(item, decided_from, refusal=decision)
        return refused_in_place(html, f"request-{item.id}")
    # An approval on Mijn contactpersonen also sends the contact's row, out of band.
    contact = item.contact if verdict == "approve" and decided_from == "contacts" else None
    return _decided(item, decided_from, contact=contact)


def _decided(item, decided_from: str, refusal=None, contact: Contact | None = None) -> str:
    """The request as decided (or refused), and out of band the counter and ``contact``'s row."""
    blocks = ["request", "row_oob"] if contact else ["request"]
    row = directory.row_for(contact, access.settings()) if contact else None
    return render_blocks(
        "contacts/_changed.html", [*blocks, "summary_oob"],
        item=item, refusal=refusal, decided_from=decided_from, row=row, **_summary(),
    )


@bp.app_context_processor
def access_request_offer():
    """What the access-request form on the refusal and support pages needs."""

    def offer(decision):
        actor = g.get("actor")
        offered = access_requests.requestable_roles(decision, actor.contact if actor else None)
        if not offered:
            return {"offered": ()}
        return {
            # formdata=None: a refused POST's fields are not this form's input.
            "form": AccessRequestForm(formdata=None, role=offered[0]),
            "offered": offered,
            "pending": access_requests.pending_roles(actor.contact),
        }

    return {"access_request_offer": offer}
