"""Reading an import file (``webapp.quota.imports``): its rows, their values, duplicate keys
and the organisations and contacts they name. Problems are collected, never raised."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation

from webapp import clock, text_input
from webapp.models import Contact, Organisation

CHUNK = 500  # keys per IN (...) lookup


@dataclass(frozen=True)
class Problem:
    line: int
    reason: str

    def __str__(self) -> str:
        return f"regel {self.line}: {self.reason}"


@dataclass
class Row:
    """One data line: its number, raw values and, once validated, the parsed ones."""

    line: int
    raw: dict[str, str]
    value: dict = field(default_factory=dict)


# ---------------------------------------------------------------------------
# Reading and parsing
# ---------------------------------------------------------------------------


def read(text: str, header: tuple[str, ...]) -> tuple[list[Row], list[Problem]]:
    reader = csv.reader(io.StringIO(text))
    first = next(reader, None)
    if first is None or tuple(h.strip() for h in first) != header:
        return [], [Problem(1, f"de kopregel moet zijn: {','.join(header)}")]
    rows, problems = [], []
    for values in reader:
        if not any(v.strip() for v in values):
            continue
        if len(values) != len(header):
            problems.append(
                Problem(reader.line_num, f"{len(header)} velden verwacht, {len(values)} gevonden")
            )
            continue
        rows.append(Row(reader.line_num, {h: v.strip() for h, v in zip(header, values, strict=True)}))
    return rows, problems


class Invalid(ValueError):
    pass


def parse(rows: list[Row], parsers: dict[str, Callable[[str], object]]) -> list[Problem]:
    """Fill ``row.value`` for every column; a problem per bad value."""
    problems = []
    for row in rows:
        for name, parse in parsers.items():
            try:
                row.value[name] = parse(row.raw[name])
            except Invalid as error:
                problems.append(Problem(row.line, f"{name}: {error}"))
    return problems


def text(limit: int, name_like: bool = False):
    def parse(value: str) -> str:
        if not value:
            raise Invalid("mag niet leeg zijn")
        clean(value, name_like)
        if len(value) > limit:
            raise Invalid(f"langer dan {limit} tekens")
        return value

    return parse


def whole(minimum: int):
    def parse(value: str) -> int:
        if not re.fullmatch(r"\d+", value) or int(value) < minimum:
            raise Invalid(f"geen geheel getal van minimaal {minimum}: {value!r}")
        return int(value)

    return parse


def clean(value: str, name_like: bool = True) -> None:
    """The forms' rule for text (``text_input.problem``), for a row."""
    problem = text_input.problem(value, name_like=name_like)
    if problem:
        raise Invalid(problem)


def email(value: str) -> str:
    clean(value)
    if not text_input.is_email(value):
        raise Invalid(f"geen geldig e-mailadres: {value!r}")
    return value.lower()


def moment(value: str) -> datetime:
    """A date (midnight) or date-time, Europe/Amsterdam unless it has an offset, as naive UTC."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise Invalid(f"geen datum (JJJJ-MM-DD) of datum-tijd (JJJJ-MM-DDTUU:MM): {value!r}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=clock.AMSTERDAM)
    return moment.astimezone(UTC).replace(tzinfo=None)


def day_or_empty(value: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise Invalid(f"geen datum (JJJJ-MM-DD): {value!r}") from None


def score(value: str) -> Decimal:
    try:
        score = Decimal(value.replace(",", "."))
    except InvalidOperation:
        raise Invalid(f"geen getal: {value!r}") from None
    if not score.is_finite() or not Decimal(1) <= score <= Decimal(10):
        raise Invalid(f"moet tussen 1 en 10 liggen: {value}")
    if score.as_tuple().exponent < -2:
        raise Invalid(f"hoogstens twee decimalen: {value}")
    return score


def profile_names(value: str) -> tuple[str, ...]:
    return tuple(sorted({name.strip() for name in value.split(";") if name.strip()}))


def duplicates(rows: list[Row], key: tuple[str, ...]) -> list[Problem]:
    first: dict[tuple, int] = {}
    problems = []
    for row in rows:
        if not all(name in row.value for name in key):
            continue  # already reported as unparseable
        identity = tuple(row.value[name] for name in key)
        if identity in first:
            problems.append(
                Problem(row.line, f"dubbele regel: zelfde {' + '.join(key)} als regel {first[identity]}")
            )
        else:
            first[identity] = row.line
    return problems


def chunks(values: Iterable) -> Iterable[list]:
    values = list(values)
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


def organisations_by_number(numbers: Iterable[int]) -> dict[int, Organisation]:
    found = {}
    for chunk in chunks(set(numbers)):
        found |= {
            o.customer_number: o for o in Organisation.select().where(Organisation.customer_number.in_(chunk))
        }
    return found


def contacts_by_email(emails: Iterable[str]) -> dict[str, list[Contact]]:
    found: dict[str, list[Contact]] = {}
    for chunk in chunks(set(emails)):
        for contact in Contact.select().where(Contact.email.in_(chunk)):
            found.setdefault(contact.email, []).append(contact)
    return found


def resolve(rows: list[Row], key: str, known: dict, into: str, unknown: str) -> list[Problem]:
    """``row.value[into]``: the object ``known`` holds for the row's ``key``; a problem
    (``unknown``, naming the value) for a value it does not hold."""
    problems = []
    for row in rows:
        value = row.value.get(key)
        if value is None:
            continue
        if value in known:
            row.value[into] = known[value]
        else:
            problems.append(Problem(row.line, f"{unknown}: {value}"))
    return problems


def resolve_contacts(rows: list[Row]) -> list[Problem]:
    """``row.value["contact"]``: the one contact with the row's e-mail address."""
    contacts = contacts_by_email(row.value["email"] for row in rows if "email" in row.value)
    problems = []
    for row in rows:
        if "email" not in row.value:
            continue
        matches = contacts.get(row.value["email"], [])
        if len(matches) == 1:
            row.value["contact"] = matches[0]
        elif not matches:
            problems.append(Problem(row.line, f"onbekend e-mailadres: {row.value['email']}"))
        else:
            problems.append(
                Problem(row.line, f"e-mailadres hoort bij meer contactpersonen: {row.value['email']}")
            )
    return problems
