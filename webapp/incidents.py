"""Incidents: the list, the form, the detail page (DESIGN §5)."""

from flask import Blueprint

bp = Blueprint("incidents", __name__, url_prefix="/incidents")
