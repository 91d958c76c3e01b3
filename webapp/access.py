"""The one decorator that gates every non-public route.

Order: session → token freshness → the rule (from ``rules``). A refusal is rendered
with its reasons: the *Niet geautoriseerd* page (403), or a fragment for HTMX; a
``not_found`` decision answers 404 so other organisations' objects stay invisible.
"""

from dataclasses import dataclass
from functools import cached_property, wraps
from urllib.parse import urlencode

from flask import abort, current_app, g, redirect, request, url_for
from flask_login import current_user

from webapp import clock, rules
from webapp.facts import Deferred, admin_names
from webapp.htmx import render_page_or_block, request_is_partial
from webapp.identity import drafts, tokens
from webapp.models import Contact, Organisation


def settings() -> rules.Settings:
    config = current_app.config
    return rules.Settings(
        course_required_from=config["COURSE_REQUIRED_FROM"],
        pass_score=config["COURSE_PASS_SCORE"],
        expert_satisfies_course=config["EXPERT_SATISFIES_COURSE"],
    )


@dataclass
class Actor:
    """The signed-in contact of this request, read fresh from the database."""

    contact: Contact

    @cached_property
    def facts(self) -> rules.Contact:
        return self.contact.facts()

    @cached_property
    def today(self):
        return clock.today()

    @cached_property
    def admin_names(self) -> Deferred:
        return admin_names(self.contact.organisation_id)

    @property
    def organisation(self):
        return self.contact.organisation

    @cached_property
    def counts(self) -> rules.OrgCounts:
        return Organisation.counts_for(self.contact.organisation_id, self.today)

    def _own_counts(self) -> rules.OrgCounts | None:
        # An admin's refusal says whether the maximum lets her grant herself the role.
        return self.counts if self.facts.admin else None

    def may_submit(self, profile=None) -> rules.Decision:
        return rules.may_submit(
            self.facts, self.today, settings(), admin_names=self.admin_names, profile=profile,
            counts=self._own_counts(),
        )

    def may_contact_support(self) -> rules.Decision:
        return rules.may_contact_support(
            self.facts, self.today, settings(), admin_names=self.admin_names, counts=self._own_counts()
        )

    def may_request_role(self, role: str) -> rules.Decision:
        return rules.may_request_role(self.facts, role)

    def may_list_incidents(self) -> rules.Decision:
        return rules.may_list_incidents(self.facts)

    def may_manage_contacts(self) -> rules.Decision:
        return rules.may_manage_contacts(self.facts, admin_names=self.admin_names)


def _signed_in(actor: Actor) -> rules.Decision:
    return rules.Decision.allow()


def _list_incidents(actor: Actor) -> rules.Decision:
    # With the admins' names, so the refusal says whom to ask (rule 8).
    return rules.may_list_incidents(actor.facts, admin_names=actor.admin_names)


# What a gated route may require; each answer comes from the rules module.
REQUIREMENTS = {
    "signed_in": _signed_in,
    "list_incidents": _list_incidents,
    "submit": Actor.may_submit,
    "contact_support": Actor.may_contact_support,
    "manage_contacts": Actor.may_manage_contacts,
}


def public(view):
    """Declare a route open to everyone (the URL-map test accepts it)."""
    view.access = "public"
    return view


def gate(requirement: str = "signed_in"):
    """Let the request through only for a signed-in contact who meets ``requirement``."""
    check = REQUIREMENTS[requirement]

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return sign_in_first()
            if not tokens.fresh():
                return sign_in_first()
            g.actor = Actor(current_user._get_current_object())
            decision = check(g.actor)
            if not decision:
                return refuse(decision)
            return view(*args, **kwargs)

        wrapped.access = "gated"
        wrapped.requirement = requirement
        return wrapped

    return decorator


def sign_in_first():
    """Send the person to sign-in and back here afterwards, keeping a form from our own pages."""
    target = request.full_path.rstrip("?") if request.method == "GET" else request.path
    login = url_for("auth.login") + "?" + urlencode({"next": target})
    if request.method != "GET" and drafts.restorable() and not drafts.keep():
        return drafts.unsaved(login)  # shown to copy rather than lost
    if request_is_partial():
        # A 302 would be swapped into the target; htmx follows HX-Redirect instead.
        return "", 401, {"HX-Redirect": login}
    return redirect(login)


def refuse(decision: rules.Decision):
    """Explain a refusal: 404 for other organisations' objects, else 403 with reasons."""
    if "not_found" in decision.codes:
        abort(404)
    return render_page_or_block("refused.html", "refusal", decision=decision, actor=g.get("actor")), 403


def get_or_404(query_or_model, *conditions):
    """The one object of the signed-in contact's organisation that meets ``conditions`` (an
    int is the primary key); another organisation's, or none, answers 404 (flaskr's
    ``get_post``, peewee's ``get_object_or_404``, scoped by tenant)."""
    query = query_or_model.select() if isinstance(query_or_model, type) else query_or_model
    model = query.model
    # Objects belong to an organisation directly, or through the contact they concern
    # (then ``query`` joins Contact).
    owner = model.organisation if "organisation" in model._meta.fields else Contact.organisation
    conditions = [model.id == c if isinstance(c, int) else c for c in conditions]
    found = query.where(owner == g.actor.contact.organisation_id, *conditions).get_or_none()
    if found is None:
        abort(404)
    return found
