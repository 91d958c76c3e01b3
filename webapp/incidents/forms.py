"""The incident form and the reaction form, validated on the server with Dutch messages."""

import re

from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField
from wtforms.validators import AnyOf, DataRequired, Optional, StopValidation

from webapp import access, rules
from webapp.i18n import explain, gettext
from webapp.i18n import lazy_gettext as _l
from webapp.models import PRIORITIES, SubmissionProfile
from webapp.rules import N_
from webapp.text_input import CharacterCount, NoControlCharacters, strip, unify_newlines

PRIORITY_LABELS = {  # translated where shown
    "laag": N_("Laag"),
    "normaal": N_("Normaal"),
    "hoog": N_("Hoog"),
    "kritiek": N_("Kritiek"),
}
PRIORITY_HELP = {
    "laag": _l("Een vraag of een klein probleem; je kunt gewoon doorwerken."),
    "normaal": _l("Een onderdeel werkt niet goed, maar er is een omweg."),
    "hoog": _l("Een belangrijk onderdeel werkt niet en er is geen omweg."),
    "kritiek": _l(
        "Je kunt niet verder werken, of een wettelijke termijn komt in gevaar "
        "(bijvoorbeeld de salarisverwerking of een aangifte)."
    ),
}
# A profile id as the form sends it; longer numbers would overflow the database's integer.
PROFILE_ID = re.compile(r"[0-9]{1,9}")


class PortalForm(FlaskForm):
    class Meta:
        csrf = False  # CSRFProtect checks every POST already; one mechanism, one token


class IncidentForm(PortalForm):
    # Plain text fields: the options are rendered from the rules' answer, and anything posted
    # outside them is explained beside the field (never WTForms' English "Not a valid choice").
    profile = StringField(_l("Instuurprofiel"))
    subject = StringField(
        _l("Onderwerp"),
        filters=[strip],
        validators=[
            DataRequired(_l("Vul een onderwerp in.")),
            NoControlCharacters(),
            CharacterCount(5, 200),
        ],
    )
    description = TextAreaField(
        _l("Omschrijving"),
        filters=[unify_newlines, strip],
        validators=[
            DataRequired(_l("Beschrijf het probleem.")),
            NoControlCharacters(multiline=True),
            CharacterCount(20, 20_000),
        ],
    )
    priority = StringField(
        _l("Prioriteit"),
        default="normaal",
        validators=[
            DataRequired(_l("Kies een prioriteit.")),
            AnyOf(PRIORITIES, message=_l("Kies een van de prioriteiten uit de lijst.")),
        ],
    )
    reference = StringField(
        _l("Eigen referentie (optioneel)"),
        filters=[strip],
        validators=[Optional(), NoControlCharacters(), CharacterCount(0, 100)],
    )

    def __init__(self, actor, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.actor = actor
        self.qualifying = rules.qualifying_profiles(actor.facts, actor.today, access.settings())
        self.profile_options = [(str(p.id), p.name) for p in self.qualifying]
        self.priority_options = [(p, gettext(PRIORITY_LABELS[p])) for p in PRIORITIES]
        if len(self.qualifying) == 1 and self.profile.data is None:  # not sent: preselect the one
            self.profile.data = str(self.qualifying[0].id)
        self.chosen_profile: rules.Profile | None = None

    def validate_profile(self, field):
        """Only a profile the contact qualifies for; anything else is explained by the rules."""
        chosen = {str(p.id): p for p in self.qualifying}.get(field.data)
        if chosen is not None:
            self.chosen_profile = chosen
            return
        if not field.data:
            raise StopValidation(_l("Kies een instuurprofiel."))
        profile = (
            SubmissionProfile.get_or_none(SubmissionProfile.id == int(field.data))
            if PROFILE_ID.fullmatch(field.data)
            else None
        )
        if profile is not None:
            decision = self.actor.may_submit(profile.facts())
            if not decision:
                raise StopValidation(" ".join(explain(reason) for reason in decision.reasons))
        raise StopValidation(_l("Kies een instuurprofiel uit de lijst."))


class ReactionForm(PortalForm):
    body = TextAreaField(
        _l("Je reactie"),
        filters=[unify_newlines, strip],
        validators=[
            DataRequired(_l("Schrijf een reactie.")),
            NoControlCharacters(multiline=True),
            CharacterCount(1, 20_000),
        ],
    )
