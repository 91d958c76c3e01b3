"""Forms for contacts and access requests; messages appear beside their fields."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField, SelectChoice, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional, Regexp, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from webapp.contacts.access_requests import REASON_MAX_LENGTH, REQUESTABLE_ROLES
from webapp.i18n import lazy_gettext as _l
from webapp.models import SubmissionProfile
from webapp.rules import ROLE_LABELS
from webapp.text_input import EMAIL_MAX_LENGTH, EMAIL_PATTERN, NoControlCharacters, strip, unify_newlines


def _too_long():
    return _l("Maximaal %(max)d tekens.")


def no_markup(form, field):
    """Names are shown on many pages; markup in them is a mistake or an attack."""
    if field.data and ("<" in field.data or ">" in field.data):
        raise ValidationError(_l("Gebruik geen < of > in dit veld."))


class ContactForm(FlaskForm):
    name = StringField(
        _l("Naam"),
        filters=[strip],
        validators=[
            DataRequired(_l("Vul een naam in.")),
            NoControlCharacters(name_like=True),
            Length(max=200, message=_too_long()),
            no_markup,
        ],
    )
    email = StringField(
        _l("E-mailadres"),
        filters=[strip],
        validators=[
            DataRequired(_l("Vul een e-mailadres in.")),
            NoControlCharacters(name_like=True),
            Length(max=EMAIL_MAX_LENGTH, message=_too_long()),
            Regexp(EMAIL_PATTERN, message=_l("Vul een geldig e-mailadres in, bijvoorbeeld naam@bedrijf.nl.")),
        ],
    )
    phone = StringField(
        _l("Telefoonnummer"),
        filters=[strip],
        validators=[
            Optional(),
            NoControlCharacters(),
            Length(max=40, message=_too_long()),
            Regexp(r"^[0-9 +()\-]*$", message=_l("Alleen cijfers, spaties en + ( ) -.")),
        ],
    )
    function = StringField(
        _l("Functie"),
        filters=[strip],
        validators=[Optional(), NoControlCharacters(), Length(max=100, message=_too_long()), no_markup],
    )
    profiles = SelectMultipleField(
        _l("Instuurprofielen"),
        coerce=int,
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )
    submitter = BooleanField(_l(ROLE_LABELS["submitter"]))
    viewer = BooleanField(_l(ROLE_LABELS["viewer"]))
    admin = BooleanField(_l(ROLE_LABELS["admin"]))
    active = BooleanField(_l("Actief"), default=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        profiles = SubmissionProfile.select().order_by(SubmissionProfile.name)
        self.profiles.choices = [SelectChoice(p.id, p.name) for p in profiles]
        if self.profiles.data is None:
            self.profiles.data = []

    def values(self) -> dict:
        return {name: field.data for name, field in self._fields.items() if name != "csrf_token"}


class AccessRequestForm(FlaskForm):
    role = RadioField(
        _l("Rol"),
        choices=[SelectChoice(r, _l(ROLE_LABELS[r])) for r in REQUESTABLE_ROLES],
        validators=[InputRequired(_l("Kies een rol."))],
    )
    reason = TextAreaField(
        _l("Waarom heb je deze rol nodig?"),
        filters=[unify_newlines, strip],
        validators=[NoControlCharacters(multiline=True), Length(max=REASON_MAX_LENGTH, message=_too_long())],
    )
