"""The home page: who you are, your organisation and roles, what you may do and why not."""

from flask import Blueprint, g, make_response, redirect, render_template, request
from flask_login import current_user

from webapp import access, rules
from webapp.access import public
from webapp.contacts import access_requests
from webapp.identity.redirects import safe_next
from webapp.mail.preferences import remember_language
from webapp.models import AccessRequest

bp = Blueprint("home", __name__)


@bp.get("/")
@public
def index():
    if not current_user.is_authenticated:
        return render_template("home/signed_out.html")
    return signed_in()


@access.gate()
def signed_in():
    actor = g.actor
    requests = (
        AccessRequest.select()
        .where(AccessRequest.contact == actor.contact)
        .order_by(AccessRequest.created_at.desc())
        .limit(5)
    )
    manage = actor.may_manage_contacts()
    return render_template(
        "home/index.html",
        actor=actor,
        submit=actor.may_submit(),
        incidents=actor.may_list_incidents(),
        manage=manage,
        access_requests=list(requests),
        **(admin_to_do(actor) if manage else {}),
    )


def admin_to_do(actor) -> dict:
    """The organisation's open access requests and its counter, as *Mijn contactpersonen*
    shows them (the same fragments: deciding here swaps them in place the same way)."""
    counts = actor.counts
    return {
        "pending": access_requests.pending_for(actor.contact.organisation_id),
        "counts": counts,
        "single_admin": rules.single_admin_warning(counts),
    }


@bp.post("/language")
@public
def language():
    """Remember the chosen language in a cookie and go back."""
    choice = request.form.get("lang", "nl")
    response = make_response(redirect(safe_next(request.form.get("next"))))
    if choice in ("nl", "en"):
        if current_user.is_authenticated:
            remember_language(current_user, choice)  # their mails follow it
        response.set_cookie("lang", choice, max_age=365 * 24 * 3600, samesite="Lax", httponly=True)
    return response
