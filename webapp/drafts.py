"""Keep what a person typed when their session ended mid-form (restored after sign-in)."""

from flask import request, session

NOT_KEPT = {"csrf_token"}


def keep() -> None:
    """Remember the posted form for the path it was posted to."""
    form = {k: v for k, v in request.form.to_dict(flat=True).items() if k not in NOT_KEPT}
    if form:
        session["draft"] = {"path": request.path, "form": form}


def restore(path: str | None = None) -> dict | None:
    """The form kept for ``path`` (default: this request's), removed from the session."""
    draft = session.get("draft")
    if not draft or draft.get("path") != (path or request.path):
        return None
    session.pop("draft")
    return draft["form"]
