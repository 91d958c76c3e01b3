"""The support page: your authorization, the organisation's maximum, contacting Support."""

from flask import Blueprint

bp = Blueprint("support", __name__, url_prefix="/support")
