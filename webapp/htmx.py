"""HTMX idioms in one place: is this a request for a piece of a page, and answer it."""

from flask import render_template, request
from jinja2_fragments.flask import render_block


def request_is_partial(target: str | None = None) -> bool:
    """Whether htmx asks for a fragment (into ``target``, when given). A boosted link and a
    history restore (after the cache missed) want the whole page, though htmx sends them."""
    headers = request.headers
    partial = (
        headers.get("HX-Request") == "true"
        and not headers.get("HX-Boosted")
        and not headers.get("HX-History-Restore-Request")
    )
    return partial and (target is None or headers.get("HX-Target") == target)


def render_page_or_block(template: str, block: str, *, target: str | None = None, **context) -> str:
    """The page, or only its ``block`` when htmx asks for a fragment: one template serves both."""
    if request_is_partial(target):
        return render_block(template, block, **context)
    return render_template(template, **context)
