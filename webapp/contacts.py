"""Mijn contactpersonen: admins manage contacts and toggle roles inline (DESIGN §5)."""

from flask import Blueprint

bp = Blueprint("contacts", __name__, url_prefix="/contacts")
