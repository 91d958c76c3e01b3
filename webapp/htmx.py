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


def refused_in_place(html: str, element_id: str):
    """A refusal that explains itself where the person acted: 403, swapped over the element
    ``element_id``. base.html's responseHandling sends a 4xx to the problem box; HX-Retarget
    and HX-Reswap send this one back where it was aimed, and portal.js counts only what
    lands in the box as a problem."""
    return html, 403, {"HX-Retarget": f"#{element_id}", "HX-Reswap": "outerHTML"}
