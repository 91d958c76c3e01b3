"""HTMX request helpers."""

from flask import request


def is_htmx() -> bool:
    """Whether this request came from htmx and expects a fragment."""
    return request.headers.get("HX-Request") == "true" and not request.headers.get("HX-Boosted")
