"""The reader's language: Flask-Babel's catalogue, and texts the rules build in Dutch
(``rules.Message``)."""

from decimal import Decimal

from flask_babel import format_decimal as _format_decimal
from flask_babel import gettext, lazy_gettext, ngettext

from webapp import rules

__all__ = ["explain", "format_score", "gettext", "lazy_gettext", "ngettext", "translate"]


def translate(text):
    """A ``rules.Message`` through the catalogue; any other text (stored data) as it is."""
    if not isinstance(text, rules.Message):
        return text
    if not text.params:
        return gettext(text.msgid)
    return gettext(text.msgid, **{name: _localize(value) for name, value in text.params.items()})


def explain(reason: rules.Reason) -> str:
    """A refusal as one sentence pair for a form field: what refused, then what to do."""
    return " ".join(filter(None, (translate(reason.text), translate(reason.remedy))))


def format_score(score) -> str:
    """A course score in the reader's notation: 6,5 or 6.5; never rounded up to a pass."""
    if score is None:
        return gettext("geen")
    return _localize(rules.score_decimal(score))


def _localize(value):
    if isinstance(value, rules.Message):
        return translate(value)
    if isinstance(value, Decimal):
        return _decimal(value)
    return value


def _decimal(value: Decimal) -> str:
    # Exactly the digits the rules chose (7, 7.0, 6.95), with the locale's decimal sign:
    # 6.5 and 6.50 are equal but written apart.
    exponent = value.as_tuple().exponent
    return _format_decimal(value, "0" if exponent >= 0 else "0." + "0" * -exponent)
