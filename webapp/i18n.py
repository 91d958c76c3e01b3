"""The reader's language for texts the rules build in Dutch (``policy.Message``)."""

from decimal import Decimal

from babel.numbers import format_decimal
from flask_babel import get_locale, gettext

from webapp import policy


def translate(text):
    """A ``policy.Message`` through the catalogue; any other text (stored data) as it is."""
    if not isinstance(text, policy.Message):
        return text
    if not text.params:
        return gettext(text.msgid)
    return gettext(text.msgid, **{name: _localize(value) for name, value in text.params.items()})


def explain(reason: policy.Reason) -> str:
    """A refusal as one sentence pair for a form field: what refused, then what to do."""
    return " ".join(filter(None, (translate(reason.text), translate(reason.remedy))))


def format_score(score) -> str:
    """A course score in the reader's notation: 6,5 or 6.5; never rounded up to a pass."""
    if score is None:
        return gettext("geen")
    return _localize(policy.score_decimal(score))


def _localize(value):
    if isinstance(value, policy.Message):
        return translate(value)
    if isinstance(value, Decimal):
        # Exactly the digits the rules chose (7, 7.0, 6.95), with the locale's decimal sign.
        exponent = value.as_tuple().exponent
        pattern = "0" if exponent >= 0 else "0." + "0" * -exponent
        return format_decimal(value, pattern, locale=get_locale())
    return value
