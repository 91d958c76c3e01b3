"""Keep what a person typed when their session ended mid-form; give it back after sign-in.

A draft is kept only from a same-origin POST that passed the CSRF check, for one of the
forms below, and only with the OIDC subject of the person who typed it: after sign-in it
goes back to that subject alone, within ``LIFETIME``. It lives in the signed session
cookie, so it must fit there; a form too large for it is shown back to copy instead.
"""

from datetime import timedelta

from flask import current_app, g, render_template, request, session
from jinja2_fragments.flask import render_block
from werkzeug.datastructures import MultiDict

from webapp import clock, same_origin
from webapp.htmx import request_is_partial
from webapp.identity.sessions import LAST_SUBJECT

# The forms whose page can show them again (a GET at the same path restores the draft).
FORMS = {
    "incidents.create",
    "incidents.react",
    "support.request_callback",
    "contacts.request_access",
    "contacts.new",
    "contacts.edit",
}
NOT_KEPT = {"csrf_token"}
LIFETIME = timedelta(minutes=30)
# Browsers keep cookies up to 4,096 bytes; the sign-in state is added after the draft.
COOKIE_BUDGET = 3000


def restorable() -> bool:
    """Whether this is a same-origin POST of a form that can be shown again."""
    return request.endpoint in FORMS and same_origin.source() == same_origin.SAME


def _typed() -> dict[str, list[str]]:
    return {k: v for k, v in request.form.to_dict(flat=False).items() if k not in NOT_KEPT}


def keep() -> bool:
    """Keep the posted form for after sign-in; False when it cannot be kept: its CSRF token
    failed, nobody known typed it, or it does not fit in the cookie."""
    subject = session.typist()
    if g.get("redisplayed") is not None or subject is None:
        return False
    draft = {"path": request.path, "form": _typed(), "subject": subject, "at": clock.now().timestamp()}
    interface = current_app.session_interface
    if interface.cookie_length(current_app, {**session, "draft": draft}) > COOKIE_BUDGET:
        return False
    session["draft"] = draft
    return True


def _fresh(draft: dict) -> bool:
    return clock.now().timestamp() - draft.get("at", 0) <= LIFETIME.total_seconds()


def hand_over(subject: str) -> None:
    """At sign-in: the draft stays only for the person who typed it, and only while fresh."""
    session.pop(LAST_SUBJECT, None)
    draft = session.pop("draft", None)
    if draft and draft.get("subject") == subject and _fresh(draft):
        session["draft"] = draft


def restore() -> MultiDict | None:
    """The form to show again on this page: the one just posted with an expired token, or
    the one kept for this path before sign-in (removed from the session: shown once)."""
    form = g.get("redisplayed")
    if form is None and request.method == "GET":
        draft = session.get("draft")
        if draft and draft.get("path") == request.path:
            session.pop("draft")
            form = draft["form"] if _fresh(draft) else None
    g.draft_restored = form is not None
    return MultiDict(form) if form is not None else None


def redisplay():
    """The form's page again with what was posted and a fresh token (the token had expired)."""
    g.redisplayed = _typed()
    endpoint, arguments = current_app.create_url_adapter(request).match(request.path, method="GET")
    return current_app.view_functions[endpoint](**arguments)


def unsaved(login_url: str):
    """What was typed, to copy, when it cannot be kept over the sign-in."""
    fields = [(name, value) for name, values in _typed().items() for value in values if value.strip()]
    context = {"fields": fields, "login_url": login_url}
    if request_is_partial():
        return render_block("unsaved.html", "content", **context)
    return render_template("unsaved.html", **context)
