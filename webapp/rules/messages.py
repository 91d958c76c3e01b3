"""Texts for people, built in Dutch and translated where they are shown.

A ``Message`` is the Dutch text itself (a ``str``) that also keeps its catalogue msgid
(marked ``N_`` for ``pybabel extract``) and parameters, so the view layer can render it in
the reader's language without the rules knowing Flask.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal


def N_(msgid: str) -> str:
    """Mark ``msgid`` for the catalogue (``pybabel extract -k N_``); translated where shown."""
    return msgid


class Message(str):
    """Dutch text that keeps its msgid and parameters, so a view can translate it.

    It compares, joins and prints as the Dutch text. ``params`` may hold ``Message``
    objects (translated too) and ``Decimal`` numbers, shown with exactly their digits in
    the reader's notation (Dutch: decimal comma).
    """

    msgid: str
    params: dict

    def __new__(cls, msgid: str, **params) -> Message:
        text = msgid % {name: dutch(value) for name, value in params.items()} if params else msgid
        self = super().__new__(cls, text)
        self.msgid = msgid
        self.params = params
        return self


def dutch(value) -> str:
    if isinstance(value, Decimal):
        return f"{value:f}".replace(".", ",")
    return str(value)


def to_decimal(value: Decimal | float | int) -> Decimal:
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        return Decimal(repr(value))  # 6.95 -> Decimal("6.95"), not the binary expansion
    return Decimal(value)


def score_decimal(score: Decimal | float | int) -> Decimal:
    """A score with the digits it is shown with: at least one decimal, 6.5, 7.0, 6.95.

    More decimals are kept when the score has them, so a failing score is never
    displayed as a passing one.
    """
    d = to_decimal(score)
    if d == d.to_integral_value() or d.as_tuple().exponent >= -1:
        return d.quantize(Decimal("0.1"))
    return d.normalize()


def format_score(score: Decimal | float | int | None) -> str:
    """Dutch decimal comma (6.5 -> "6,5", 7 -> "7,0", 6.95 -> "6,95"); ``None`` -> "geen"."""
    if score is None:
        return "geen"
    return dutch(score_decimal(score))


def pass_mark(score: Decimal) -> Decimal:
    """The pass mark the way the policy writes it: "minimaal een 7" (7.5 -> "7,5")."""
    return to_decimal(score).normalize()


def number(value: float) -> Decimal:
    """p75 and similar: at most two decimals, no trailing zeros."""
    return Decimal(repr(float(value))).quantize(Decimal("0.01")).normalize()


def join_names(names: Iterable[str]) -> str | Message:
    names = [n for n in names if n]
    if len(names) < 2:
        return "".join(names)
    return Message(N_("%(names)s of %(last)s"), names=", ".join(names[:-1]), last=names[-1])


def ask_admin(admin_names: Iterable[str], named: str, unnamed: str, **params) -> Message:
    """ "Vraag een klantportalbeheerder (Anna de Vries) om ...": ``named`` has %(names)s."""
    names = join_names(admin_names)
    if names:
        return Message(named, names=names, **params)
    return Message(unnamed, **params)
