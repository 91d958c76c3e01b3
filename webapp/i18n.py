"""The reader's language: the request's catalogue, and texts the rules build in Dutch
(``policy.Message``)."""

from decimal import Decimal

from babel.numbers import format_decimal
from babel.support import Translations
from flask import g
from flask_babel import get_locale, get_translations

from webapp import policy


def catalogue() -> Translations:
    """The request's translations, found once per request.

    Flask-Babel finds them anew for every string, a dozen context lookups each; a page of
    contacts asks for hundreds of strings. Nothing here changes the locale mid-request.
    """
    try:
        return g._catalogue
    except AttributeError:
        g._catalogue = get_translations()
        return g._catalogue
    except RuntimeError:  # no app context: Flask-Babel's untranslated catalogue
        return get_translations()


def gettext(string: str, **variables) -> str:
    text = catalogue().ugettext(string)
    return text % variables if variables else text


def ngettext(singular: str, plural: str, num: int, **variables) -> str:
    text = catalogue().ungettext(singular, plural, num)
    return text % {"num": num, **variables}


def install(app) -> None:
    """Templates translate through the request's catalogue (``_``, ``ngettext``)."""
    app.jinja_env.install_gettext_callables(
        gettext=lambda string: catalogue().ugettext(string),
        ngettext=lambda singular, plural, num: catalogue().ungettext(singular, plural, num),
        newstyle=True,
    )


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
