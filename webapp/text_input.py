"""What the portal accepts as typed text: trimmed, free of control characters, of a sensible length.

Used as WTForms filters and validators by every form, and by the CSV imports, so all typed
and imported text answers to one rule, in Dutch, beside the field (or the row).
"""

import re
import unicodedata

from flask import has_request_context
from flask_babel import format_number
from wtforms.validators import StopValidation, ValidationError

from webapp.i18n import gettext
from webapp.rules import N_

MULTILINE_ALLOWED = "\n\t"
# Bidirectional overrides, embeddings and isolates, and the marks (U+061C, U+200E/F).
DIRECTION_CHARACTERS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")

CONTROL_CHARACTERS_FOUND = N_(
    "Dit veld bevat onzichtbare stuurtekens. Typ de tekst opnieuw of plak hem eerst in een gewone "
    "teksteditor."
)
DIRECTION_CHARACTERS_FOUND = N_(
    "Dit veld bevat onzichtbare tekens die de leesrichting omdraaien. Typ de tekst opnieuw zonder "
    "die tekens."
)


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


def search_term(text: str, max_length: int = 100) -> str:
    """A typed search term as the lists use it: control characters dropped (PostgreSQL
    refuses a NUL in a query), trimmed and bounded. Not for stored input, which is refused."""
    return "".join(c for c in text if unicodedata.category(c) != "Cc").strip()[:max_length]


# One e-mail address as forms and imports accept it: one @, a dotted domain ending in a
# label of two or more characters, and none of the characters that separate or quote
# addresses in a mail header or a CSV list (whitespace, < > " , ;). Deliberately loose
# otherwise: the identity provider confirms the address at first sign-in.
EMAIL_PATTERN = r'^[^@\s<>",;]+@[^@\s<>",;]+\.[^@\s<>",;.]{2,}$'
EMAIL_MAX_LENGTH = 254  # the longest address SMTP can deliver to (RFC 5321)


def is_email(text: str) -> bool:
    return len(text) <= EMAIL_MAX_LENGTH and re.match(EMAIL_PATTERN, text) is not None


def _say(text: str) -> str:
    """In the reader's language; the command-line imports speak Dutch."""
    return gettext(text) if has_request_context() else text


def problem(text: str, multiline: bool = False, name_like: bool = False) -> str | None:
    """The one rule for typed and imported text: what is wrong with ``text``, or None.

    Control characters never (line breaks and tabs only in ``multiline`` fields); in names
    and e-mail addresses (``name_like``) no characters that turn the reading direction,
    which make a name or address look like another in lists and audit logs."""
    if control_characters(text, MULTILINE_ALLOWED if multiline else ""):
        return _say(CONTROL_CHARACTERS_FOUND)
    if name_like and any(c in DIRECTION_CHARACTERS for c in text):
        return _say(DIRECTION_CHARACTERS_FOUND)
    return None


class NoControlCharacters:
    """The rule above as a form validator; the message appears beside the field."""

    def __init__(self, multiline: bool = False, name_like: bool = False):
        self.multiline, self.name_like = multiline, name_like

    def __call__(self, form, field):
        if isinstance(field.data, str):
            message = problem(field.data, self.multiline, self.name_like)
            if message:
                raise StopValidation(message)


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
