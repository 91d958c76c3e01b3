"""What the portal accepts as typed text: trimmed, free of control characters, of a sensible length.

Used as WTForms filters and validators by the incident, reaction and callback forms, so every
form answers bad input the same way, in Dutch, beside the field.
"""

import unicodedata

from flask_babel import format_number
from wtforms.validators import StopValidation, ValidationError

from webapp.i18n import gettext
from webapp.i18n import lazy_gettext as _l

MULTILINE_ALLOWED = "\n\t"


def strip(value):
    """Leading and trailing whitespace is not content; whitespace only counts as empty."""
    return value.strip() if isinstance(value, str) else value


def unify_newlines(value):
    """Browsers send textarea line breaks as CRLF; store plain LF."""
    if isinstance(value, str):
        return value.replace("\r\n", "\n").replace("\r", "\n")
    return value


def control_characters(text: str, allowed: str = "") -> list[str]:
    """The control characters (Unicode category Cc) in ``text`` other than ``allowed``."""
    return [c for c in text if unicodedata.category(c) == "Cc" and c not in allowed]


def without_control_characters(text: str) -> str:
    """``text`` with every control character removed (for search terms, not for stored input)."""
    return "".join(c for c in text if unicodedata.category(c) != "Cc")


class NoControlCharacters:
    """Refuse invisible control characters; ``multiline`` fields may hold line breaks and tabs."""

    def __init__(self, multiline: bool = False):
        self.allowed = MULTILINE_ALLOWED if multiline else ""

    def __call__(self, form, field):
        if isinstance(field.data, str) and control_characters(field.data, self.allowed):
            raise StopValidation(
                _l(
                    "Dit veld bevat onzichtbare stuurtekens. Typ de tekst opnieuw of plak hem eerst "
                    "in een gewone teksteditor."
                )
            )


class CharacterCount:
    """Between ``minimum`` and ``maximum`` characters, saying how many there are now."""

    def __init__(self, minimum: int = 0, maximum: int | None = None):
        self.minimum, self.maximum = minimum, maximum

    def __call__(self, form, field):
        length = len(field.data or "")
        if length < self.minimum:
            raise ValidationError(
                gettext(
                    "Te kort: gebruik minstens %(minimum)s tekens (nu %(length)s).",
                    minimum=format_number(self.minimum),
                    length=format_number(length),
                )
            )
        if self.maximum is not None and length > self.maximum:
            raise ValidationError(
                gettext(
                    "Te lang: gebruik hoogstens %(maximum)s tekens (nu %(length)s).",
                    maximum=format_number(self.maximum),
                    length=format_number(length),
                )
            )
