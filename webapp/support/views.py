"""The support page: your authorization, the organisation's maximum, contacting Support."""

import re

from flask import Blueprint, current_app, flash, g, redirect, render_template, url_for
from flask_babel import format_decimal
from wtforms import StringField
from wtforms.validators import AnyOf, DataRequired, ValidationError

from webapp import access, rate_limits, rules
from webapp.access import gate
from webapp.extensions import limiter
from webapp.i18n import gettext as _
from webapp.i18n import lazy_gettext as _l
from webapp.identity import drafts
from webapp.incidents.forms import PortalForm
from webapp.models import CallbackRequest
from webapp.quota import recalculation
from webapp.text_input import CharacterCount, NoControlCharacters, strip

bp = Blueprint("support", __name__, url_prefix="/support")

# A Dutch number: +31, 0031 or 0, then nine digits not starting with 0 (spaces and dashes allowed).
DUTCH_PHONE = re.compile(r"(?:\+31|0031|0)[1-9][0-9]{8}")
MOMENTS = {
    "ochtend": _l("In de ochtend"),
    "middag": _l("In de middag"),
    "zo_snel_mogelijk": _l("Zo snel mogelijk"),
}


def dutch_phone_number(form, field):
    if not DUTCH_PHONE.fullmatch(re.sub(r"[ -]", "", field.data)):
        raise ValidationError(
            _l("Vul een Nederlands telefoonnummer in, bijvoorbeeld 06 12345678 of +31 20 123 4567.")
        )


class CallbackForm(PortalForm):
    phone = StringField(
        _l("Telefoonnummer"),
        filters=[strip],
        validators=[
            DataRequired(_l("Vul het telefoonnummer in waarop we je kunnen bellen.")),
            NoControlCharacters(),
            CharacterCount(0, 40),
            dutch_phone_number,
        ],
    )
    topic = StringField(
        _l("Waarover wil je gebeld worden?"),
        filters=[strip],
        validators=[
            DataRequired(_l("Vul in waarover je gebeld wilt worden.")),
            NoControlCharacters(),
            CharacterCount(5, 200),
        ],
    )
    preferred_moment = StringField(
        _l("Wanneer komt het je het beste uit?"),
        default="zo_snel_mogelijk",
        validators=[
            DataRequired(_l("Kies wanneer we je het beste kunnen bellen.")),
            AnyOf(tuple(MOMENTS), message=_l("Kies een van de momenten uit de lijst.")),
        ],
    )

    moment_options = list(MOMENTS.items())


def maximum_explained(organisation) -> tuple[str, str]:
    """The band and the explanation of ``organisation``'s maximum, put into words by the
    rules from its stored figures (``rules.Message``: the template translates them); empty
    when it has none stored."""
    worded = rules.explain_stored(
        organisation.max_band_min,
        organisation.max_band_max,
        organisation.max_base,
        organisation.max_peer_count,
        organisation.max_p75,
        organisation.max_submitters,
    )
    return worded or ("", "")


def _last_callback_requests(contact):
    return (
        CallbackRequest.select()
        .where(CallbackRequest.contact == contact)
        .order_by(CallbackRequest.created_at.desc())
        .limit(3)
    )


def _render(form: CallbackForm):
    actor = g.actor
    settings = access.settings()
    facts = actor.facts
    profiles = [
        {
            "profile": profile,
            "status": rules.course_status(facts, profile, actor.today, settings),
            "best": rules.best_score(facts, profile.course_code),
        }
        for profile in facts.profiles
    ]
    contact_support = actor.may_contact_support()
    requests = list(_last_callback_requests(actor.contact)) if contact_support else []
    band, explanation = maximum_explained(actor.organisation)
    return render_template(
        "support/index.html",
        actor=actor,
        band=band,
        explanation=explanation,
        organisation=actor.organisation,
        counts=actor.counts,
        last_run=recalculation.last_run(),
        contact_support=contact_support,
        incidents=rules.may_list_incidents(facts, actor.admin_names),
        see_all=rules.may_view_all_incidents(facts),
        expert=rules.is_expert(facts, actor.today),
        profiles=profiles,
        settings=settings,
        support_phone=current_app.config["SUPPORT_PHONE"],
        form=form,
        moments=MOMENTS,
        callback_requests=requests,
        format_decimal=format_decimal,
    )


@bp.get("")
@gate("signed_in")
def index():
    form = CallbackForm(formdata=drafts.restore(), phone=g.actor.contact.phone)  # kept over a sign-in
    return _render(form)


@bp.post("")
@limiter.limit(rate_limits.CALLBACK_REQUESTS, key_func=rate_limits.per_contact)
@gate("contact_support")
def request_callback():
    form = CallbackForm()
    if not form.validate():
        return _render(form), 422
    CallbackRequest.create(
        contact=g.actor.contact,
        phone=form.phone.data,
        topic=form.topic.data,
        preferred_moment=form.preferred_moment.data,
    )
    flash(
        _(
            "Je terugbelverzoek is ontvangen. Support belt je terug op %(phone)s (%(moment)s).",
            phone=form.phone.data,
            moment=MOMENTS[form.preferred_moment.data].lower(),
        )
    )
    return redirect(url_for("support.index", _anchor="terugbellen"), 303)
