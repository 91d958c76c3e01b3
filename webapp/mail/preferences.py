"""What a person chose about their mails: the language (from the portal's language switch)
and whether informational mails (role changes) come at all."""

from flask import Blueprint, g, redirect, render_template, request, url_for

from webapp.access import gate
from webapp.htmx import request_is_partial
from webapp.models import Contact

bp = Blueprint("mail", __name__, url_prefix="/mail")


def remember_language(contact: Contact, language: str) -> None:
    """The signed-in person chose ``language`` in the portal: their mails follow it."""
    if contact.language != language:
        Contact.update(language=language).where(Contact.id == contact.id).execute()


@bp.post("/preferences")
@gate("signed_in")
def save_preferences():
    """The start page's checkbox: informational mails on (``informational=1``) or off."""
    contact = g.actor.contact
    contact.mail_informational = request.form.get("informational") == "1"
    Contact.update(mail_informational=contact.mail_informational).where(Contact.id == contact.id).execute()
    if request_is_partial():
        return render_template("home/_mail_preferences.html", contact=contact, saved=True)
    return redirect(url_for("home.index"), 303)
