"""One page of a list: the lists of contacts, incidents and the audit log page alike."""

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Page:
    rows: list
    number: int  # 1-based, within 1..pages
    pages: int
    total: int


def paginate(query, number: int, per_page: int, total: int) -> Page:
    """Page ``number`` of ``query`` (ordered), clamped to the pages there are. ``total`` is
    given, not counted here: a list counts it the cheapest way it has (a count kept by the
    database, or a count without the list's joins)."""
    pages = max(1, math.ceil(total / per_page))
    number = min(max(1, number), pages)
    return Page(list(query.paginate(number, per_page)), number, pages, total)


def page_number(value: str | None) -> int:
    """The ``page`` argument of a request; anything but a plain number is the first page."""
    return int(value) if value and value.isascii() and value.isdigit() and len(value) < 7 else 1
