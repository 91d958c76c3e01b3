"""Sign-in, sign-out and back-channel logout (DESIGN §2)."""

import logging

from authlib.integrations.base_client.errors import OAuthError
from flask import Blueprint, current_app, redirect, render_template, request, session, url_for
from flask_login import login_user
from joserfc.errors import JoseError
from requests.exceptions import RequestException

from webapp.access import public
from webapp.extensions import csrf, limiter
from webapp.i18n import gettext as _
from webapp.identity import binding, drafts, logout_tokens, oidc, sessions, tokens
from webapp.identity.redirects import safe_next
from webapp.models import WebSession

log = logging.getLogger(__name__)
bp = Blueprint("auth", __name__)

SIGN_IN_PROBLEMS = {
    "no_contact": lambda: _(
        "Er is geen contactpersoon bij dit account. Vraag de klantportalbeheerder van je "
        "organisatie om je als contactpersoon toe te voegen met dit e-mailadres."
    ),
    "inactive": lambda: _(
        "Je contactpersoon is niet meer actief. Vraag een klantportalbeheerder van je organisatie "
        "om hem weer te activeren."
    ),
    "email_unverified": lambda: _(
        "Je e-mailadres is nog niet bevestigd. Bevestig het bij je account en meld je opnieuw aan."
    ),
    "email_taken": lambda: _(
        "Dit e-mailadres hoort al bij een ander account. Neem contact op met de "
        "klantportalbeheerder van je organisatie."
    ),
    "ambiguous": lambda: _(
        "Dit e-mailadres hoort bij contactpersonen van meer dan één organisatie. Neem contact op "
        "met Support om dit recht te zetten."
    ),
}


@bp.get("/login")
@public
def login():
    session["next"] = safe_next(request.args.get("next"))
    provider = oidc.client()
    try:
        # Asked afresh: a provider that went away since discovery was read must not
        # get the browser sent to it.
        provider.load_server_metadata(force=True)
        # The registered redirect URI, never one built from the request's Host header.
        callback_url = current_app.config["BASE_URL"].rstrip("/") + url_for("auth.callback")
        return provider.authorize_redirect(callback_url)
    except (RequestException, ValueError) as error:
        provider.forget_metadata()
        return _failed(_("De aanmeldservice is niet bereikbaar. Probeer het over een paar minuten opnieuw."),
                       f"provider unreachable: {error}", 503)


@bp.get("/auth/callback")
@public
@limiter.limit("30 per minute")
def callback():
    error = request.args.get("error")
    if error:
        message = (
            _("Het aanmelden is afgebroken.")
            if error == "access_denied"
            else _("De aanmeldservice meldde een fout (%(error)s).", error=error[:60])
        )
        return _failed(message, f"provider error {error!r}")
    if not request.args.get("code") or not request.args.get("state"):
        return _failed(_("Deze aanmeldlink is onvolledig."), "callback without code or state")
    try:
        token = oidc.client().authorize_access_token(claims_options=oidc.claims_options())
        if not token.get("userinfo"):
            return _failed(_("Het aanmelden kon niet worden voltooid."), "no ID token in token response")
        claims = oidc.with_userinfo(dict(token["userinfo"]), token)
    except (OAuthError, JoseError, ValueError, KeyError) as error:  # state, code, ID token
        return _failed(_("Het aanmelden kon niet worden voltooid."), f"rejected callback: {error!r}")
    except RequestException as error:
        oidc.client().forget_metadata()
        return _failed(_("De aanmeldservice is niet bereikbaar."), f"provider unreachable: {error}", 503)
    match = binding.contact_for(
        claims, trust_unverified_email=current_app.config["OIDC_TRUST_UNVERIFIED_EMAIL"]
    )
    if match.contact is None:
        log.info("sign-in refused for subject %s: %s", claims["sub"], match.problem)
        session.clear()
        return render_template(
            "auth/no_contact.html", message=SIGN_IN_PROBLEMS[match.problem](), claims=claims
        ), 403
    target = session.pop("next", "/")
    session.regenerate()
    drafts.hand_over(claims["sub"])
    login_user(match.contact)
    session.bind(
        contact=match.contact.id,
        subject=claims["sub"],
        sid=claims.get("sid"),
        **tokens.token_fields(token),
    )
    return redirect(safe_next(target))


def _failed(message: str, detail: str, status: int = 400):
    log.warning("sign-in failed: %s", detail)
    return render_template("auth/failed.html", message=message), status


@bp.post("/logout")
@public
def logout():
    """End the portal session, then the provider's (RP-initiated logout)."""
    row = session.row
    id_token = row.id_token if row is not None else None
    session.end()
    try:
        end_session = oidc.logout_url(id_token)
    except (RequestException, ValueError) as error:
        # The portal session is over either way; the provider's ends when it expires.
        log.warning("provider unreachable at logout, signed out of the portal only: %s", error)
        oidc.client().forget_metadata()
        end_session = None
    return redirect(end_session or url_for("home.index"))


@bp.post("/auth/backchannel-logout")
@public
@csrf.exempt
def backchannel_logout():
    """The provider tells us an SSO session ended: end the matching portal sessions."""
    headers = {"Cache-Control": "no-store"}
    token = request.form.get("logout_token")
    if not token:
        return {"error": "invalid_request", "error_description": "logout_token missing"}, 400, headers
    try:
        claims = logout_tokens.verify(token)
    except logout_tokens.InvalidLogoutToken as error:
        log.warning("rejected logout token: %s", error)
        return {"error": "invalid_request", "error_description": "invalid logout token"}, 400, headers
    ended = _end_sessions(claims.get("sid"), claims.get("sub"))
    log.info("back-channel logout ended %d session(s) (sid=%s)", ended, claims.get("sid"))
    return "", 200, headers


def _end_sessions(sid: str | None, subject: str | None) -> int:
    """By ``sid``; when none has it, the subject's sessions that recorded no sid (a provider
    that puts sid in logout tokens but not in ID tokens). Another device's session, with a
    sid of its own, is left alone."""
    ended = sessions.end_sessions(sid=sid, subject=subject) if sid else 0
    if not ended and subject:
        ended = WebSession.delete().where(
            (WebSession.subject == subject) & WebSession.sid.is_null()
        ).execute()
    return ended
