"""Liveness and readiness probes."""

from flask import Blueprint

from webapp.access import public
from webapp.db import db

bp = Blueprint("health", __name__)


@bp.get("/healthz")
@public
def healthz():
    return {"status": "ok"}


@bp.get("/readyz")
@public
def readyz():
    try:
        db.execute_sql("SELECT 1").fetchone()
    except Exception as error:  # any database failure means "not ready"
        return {"status": "unavailable", "database": type(error).__name__}, 503
    return {"status": "ok", "database": "ok"}
