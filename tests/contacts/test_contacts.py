"""Mijn contactpersonen: the table, inline role toggles, the forms, the audit log (issue 5)."""

import re
from datetime import timedelta

import pytest
from markupsafe import escape

from tests.conftest import contact_named, sign_in
from webapp import clock
from webapp.db import db
from webapp.models import (
    AuditEntry,
    Contact,
    ContactProfile,
    CourseResult,
    Organisation,
    SubmissionProfile,
    WebSession,
)

HTMX = {"HX-Request": "true"}


@pytest.fixture
def anna(client, login):
    login(client, "anna.admin")
    return client


def toggle(client, username, role, grant, htmx=True):
    target = contact_named(username)
    data = {"grant": "1"} if grant else {}
    return client.post(f"/contacts/{target.id}/roles/{role}", data=data, headers=HTMX if htmx else {})


def counter(html: str) -> str:
    return re.sub(r"\s+", " ", re.search(r'data-testid="counter">(.*?)</p>', html, re.S).group(1)).strip()


def audit_count() -> int:
    return AuditEntry.select().count()


def form_data(contact=None, **changes):
    """The edit form as the browser would post it for ``contact`` (or empty), with changes."""
    data = {"name": "", "email": "", "phone": "", "function": "", "active": "y"}
    if contact is not None:
        data.update(name=contact.name, email=contact.email, phone=contact.phone, function=contact.function)
        data["profiles"] = [link.profile_id for link in contact.profile_links]
        data.update({role: "y" for role in contact.roles})
        if not contact.active:
            del data["active"]
    for key, value in changes.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    return data


# --- who may open the page -------------------------------------------------------------


@pytest.mark.parametrize("username", ["bram.legacy", "eva.bekijker", "gijs.geen"])
def test_non_admins_get_the_explained_refusal(client, login, username):
    login(client, username)
    for response in (client.get("/contacts"), client.get("/contacts/audit"), client.get("/contacts/new"),
                     toggle(client, "gijs.geen", "submitter", True, htmx=False)):
        page = response.get_data(as_text=True)
        assert response.status_code == 403
        assert "Niet geautoriseerd" in page
        assert "Alleen klantportalbeheerders" in page
        assert "Anna de Vries" in page  # who to ask
        page_refused = response.request.method == "GET"  # else an action
        assert ("Je hebt geen toegang tot deze pagina" if page_refused else "Dit mag je niet doen") in page
    assert not contact_named("gijs.geen").submitter


def test_another_organisations_contact_is_not_found(anna):
    hugo = contact_named("hugo.vandijk")
    assert anna.get(f"/contacts/{hugo.id}").status_code == 404
    assert anna.get(f"/contacts/{hugo.id}/edit").status_code == 404
    assert anna.post(f"/contacts/{hugo.id}/edit", data=form_data(hugo, name="Overgenomen")).status_code == 404
    response = anna.post(f"/contacts/{hugo.id}/roles/viewer", data={"grant": "1"}, headers=HTMX)
    assert response.status_code == 404
    assert anna.post("/contacts/999999/roles/viewer", data={"grant": "1"}, headers=HTMX).status_code == 404
    assert anna.get(f"/contacts/audit?contact={hugo.id}").status_code == 404
    hugo = Contact.get_by_id(hugo.id)
    assert (hugo.name, hugo.viewer) == ("Hugo van Dijk", False)
    assert audit_count() == 0


# --- the table -------------------------------------------------------------------------


def test_table_shows_roles_courses_experts_and_the_counter(anna):
    page = anna.get("/contacts").get_data(as_text=True)
    for name in ("Anna de Vries", "Bram Jansen", "Carla Smit", "Daan Bakker", "Eva Visser", "Femke Mulder",
                 "Gijs de Boer"):
        assert name in page
    assert "Hugo van Dijk" not in page
    assert counter(page) == "<strong>Incidenten insturen:</strong> in gebruik 3 van 3"
    assert "1 gecertificeerde Expert telt niet mee" in page
    assert "maar één klantportalbeheerder" in page  # the single-admin warning
    gijs = contact_named("gijs.geen")
    for role, label in (("submitter", "Incidenten insturen"), ("viewer", "Incidenten bekijken"),
                        ("admin", "Klantportalbeheerder")):
        assert f'<label for="role-{gijs.id}-{role}">{label}' in page
    daan = row_of(page, "daan.onvoldoende")
    assert "cursusplicht" in daan and "HRM/Payroll:" in daan and "nog niet gehaald" in daan and "6,5" in daan
    carla = row_of(page, "carla.cursus")
    assert "gehaald" in carla and "8,0" in carla
    assert "Gecertificeerde Expert" in row_of(page, "femke.expert")
    assert "niet vereist" in row_of(page, "bram.legacy") and "cursusplicht" not in row_of(page, "bram.legacy")
    assert re.search(r'id="role-\d+-submitter"[^>]*checked', row_of(page, "bram.legacy"))


def test_a_row_shows_each_change_at_once_whoever_made_it(anna, monkeypatch):
    """A change made outside the portal, here plain SQL as an import or a script would make it,
    shows on the next view, in the reader's language; so does a day passing."""
    def daan():
        return row_of(anna.get("/contacts").get_data(as_text=True), "daan.onvoldoende")

    assert "nog niet gehaald" in daan() and "6,5" in daan()
    course = SubmissionProfile.get(name="HRM/Payroll").course
    CourseResult.insert(contact=contact_named("daan.onvoldoende").id, course=course.id, score=8,
                        completed_at=clock.now()).execute()
    Contact.update(name="Daan de Wit", viewer=True).where(Contact.email.startswith("daan.")).execute()
    row = daan()
    assert "HRM/Payroll:" in row and "gehaald" in row and "nog niet" not in row and "8,0" in row
    assert "Daan de Wit" in row and re.search(r'id="role-\d+-viewer"[^>]*checked', row)
    english = row_of(anna.get("/contacts", headers={"Accept-Language": "en"}).get_data(as_text=True),
                     "daan.onvoldoende")
    assert "passed" in english and "best score 8.0" in english and "gehaald" not in english
    assert "gehaald" in daan()

    today = clock.today()
    Contact.update(expert_until=today).where(Contact.email.startswith("daan.")).execute()
    assert "Gecertificeerde Expert" in daan()
    monkeypatch.setattr(clock, "today", lambda: today + timedelta(days=1))
    assert "Gecertificeerde Expert" not in daan()  # an expert through yesterday


def row_of(page: str, username: str) -> str:
    contact = contact_named(username)
    return re.search(rf'<tr id="contact-{contact.id}".*?</tr>', page, re.S).group(0)


def test_search_and_pagination_stay_within_constant_queries(anna, monkeypatch, rendered):
    korenschoof = Organisation.get(customer_number=10001)
    now = clock.now()
    with db.atomic():
        Contact.insert_many(
            [{"organisation": korenschoof.id, "name": f"Medewerker {n:04d}",
              "email": f"m{n:04d}@korenschoof.example", "created_at": now} for n in range(60)]
        ).execute()
        financieel = SubmissionProfile.get(name="Financieel")
        ContactProfile.insert_many(
            [{"contact": c.id, "profile": financieel.id}
             for c in Contact.select().where(Contact.name.startswith("Medewerker"))]
        ).execute()

    def queries(url):
        executed = []
        original = db.obj.execute_sql

        def counting(sql, *args, **kwargs):
            if not sql.startswith("PREPARE "):  # PostgreSQL: once per connection, not per page
                executed.append(sql)
            return original(sql, *args, **kwargs)

        monkeypatch.setattr(db.obj, "execute_sql", counting)
        response = anna.get(url, headers=HTMX)
        monkeypatch.undo()
        assert response.status_code == 200
        return len(executed), response.get_data(as_text=True)

    queries("/contacts")  # the first request of a session may touch it
    small, page = queries("/contacts?q=Gijs")
    assert "Gijs de Boer" in page and "Medewerker" not in page and "1 contactpersoon" in page
    full, page = queries("/contacts?page=2")
    assert page.count('<tr id="contact-') == 25
    assert "Pagina 2 van 3" in page
    # By name: the seven demo contacts and Medewerker 0000-0017 fill page 1.
    assert "Medewerker 0017" not in page and "Medewerker 0018" in page
    assert "Medewerker 0042" in page and "Medewerker 0043" not in page
    assert "67 contactpersonen" in page
    # Contacts, profiles and course results in bulk, never per row. A search counts what it
    # found; the whole list's number comes with the signed-in contact's organisation.
    assert full == small - 1
    # Session, signed-in contact with organisation, the page, the page's profiles and
    # results, the organisation's counts. Not the admin's own profiles and results, nor the
    # admins' names: no rule for this page reads them.
    assert full == 6
    _, page = queries("/contacts?q=medewerker 005")
    assert page.count('<tr id="contact-') == 10
    assert rendered[-1] == ("contacts/index.html", "list")  # the list fragment only


def test_a_history_restore_gets_the_whole_page(anna, rendered):
    """htmx asks again for a page its history cache lost: it shows the response whole."""
    response = anna.get("/contacts?q=Gijs", headers={**HTMX, "HX-History-Restore-Request": "true"})
    assert response.status_code == 200 and rendered == [("contacts/index.html", None)]
    assert '<html lang="nl">' in response.get_data(as_text=True)
    assert "Vary" in response.headers and "HX-Request" in response.headers["Vary"]


# --- inline toggles --------------------------------------------------------------------


def test_the_row_links_to_the_contact_and_its_checkboxes_post_where_they_say(anna):
    gijs = contact_named("gijs.geen")
    row = row_of(anna.get("/contacts").get_data(as_text=True), "gijs.geen")
    link = re.search(r'<a href="([^"]+)">Gijs de Boer</a>', row).group(1)
    assert "gijs.geen@" in anna.get(link).get_data(as_text=True)
    target = re.search(r'id="role-\d+-viewer"[^>]*hx-post="([^"]+)"', row).group(1)
    assert target == f"/contacts/{gijs.id}/roles/viewer"
    assert anna.post(target, data={"grant": "1"}, headers=HTMX).status_code == 200
    assert Contact.get_by_id(gijs.id).viewer


def test_granting_over_the_maximum_is_refused_next_to_the_checkbox(anna, rendered):
    response = toggle(anna, "gijs.geen", "submitter", True)
    row = response.get_data(as_text=True)
    assert response.status_code == 403
    # The row swapped in place (not in the problem box), the counter out of band, in one render.
    gijs = contact_named("gijs.geen")
    headers = response.headers
    assert (headers["HX-Retarget"], headers["HX-Reswap"]) == (f"#contact-{gijs.id}", "outerHTML")
    assert rendered == [("contacts/_changed.html", ("row", "summary_oob"))]
    assert row.lstrip().startswith('<tr id="contact-')
    assert "Maximum bereikt: 3 van 3" in row
    assert 'role="status"' in row and 'aria-live="polite"' in row
    assert not re.search(r'id="role-\d+-submitter"[^>]*checked', row)  # left as it was
    assert 'hx-swap-oob="true"' in row and "in gebruik 3 van 3" in row
    assert not contact_named("gijs.geen").submitter
    assert audit_count() == 0


def test_revoke_then_grant_moves_the_counter_and_audits_each_change(anna):
    response = toggle(anna, "bram.legacy", "submitter", False)
    assert "in gebruik 2 van 3" in response.get_data(as_text=True)
    response = toggle(anna, "gijs.geen", "submitter", True)
    html = response.get_data(as_text=True)
    assert "in gebruik 3 van 3" in html and "Maximum bereikt" not in html
    assert re.search(r'id="role-\d+-submitter"[^>]*checked', html)
    assert contact_named("gijs.geen").submitter and not contact_named("bram.legacy").submitter
    entries = list(AuditEntry.select().order_by(AuditEntry.id))
    assert [(e.contact.name, e.field, e.before, e.after, e.actor.name) for e in entries] == [
        ("Bram Jansen", "submitter", "ja", "nee", "Anna de Vries"),
        ("Gijs de Boer", "submitter", "nee", "ja", "Anna de Vries"),
    ]


def test_no_op_changes_write_no_audit(anna):
    assert toggle(anna, "bram.legacy", "submitter", True).status_code == 200
    assert toggle(anna, "gijs.geen", "viewer", False).status_code == 200
    assert audit_count() == 0


def test_experts_are_granted_at_the_maximum_and_not_counted(anna):
    Contact.update(expert_until="2099-12-31").where(Contact.id == contact_named("gijs.geen").id).execute()
    html = toggle(anna, "gijs.geen", "submitter", True).get_data(as_text=True)
    assert "Maximum bereikt" not in html
    assert "in gebruik 3 van 3" in html and "2 gecertificeerde Experts tellen niet mee" in html


def test_the_last_admin_keeps_the_role(anna):
    response = toggle(anna, "anna.admin", "admin", False)
    html = response.get_data(as_text=True)
    assert response.status_code == 403 and "HX-Retarget" in response.headers
    assert "laatste klantportalbeheerder" in html
    assert re.search(r'id="role-\d+-admin"[^>]*checked', html)
    assert contact_named("anna.admin").admin
    # With a second admin the warning goes and the first may step down.
    html = toggle(anna, "eva.bekijker", "admin", True).get_data(as_text=True)
    assert "maar één klantportalbeheerder" not in html
    assert "laatste" not in toggle(anna, "anna.admin", "admin", False).get_data(as_text=True)
    assert not contact_named("anna.admin").admin
    assert audit_count() == 2


def test_a_forged_role_name_is_refused_and_changes_nothing(anna):
    for htmx in (True, False):
        response = toggle(anna, "gijs.geen", "superuser", True, htmx=htmx)
        page = response.get_data(as_text=True)
        assert response.status_code == 403
        assert "Onbekende rol: superuser" in page
    gijs = contact_named("gijs.geen")
    assert gijs.roles == ()
    assert audit_count() == 0


def test_over_the_maximum_the_page_says_by_how_many(anna):
    Organisation.update(max_submitters=1).where(Organisation.customer_number == 10001).execute()
    page = anna.get("/contacts").get_data(as_text=True)
    assert "in gebruik 3 van 1" in page
    assert "Er zijn 2 contactpersonen meer met de rol Incidenten insturen dan het maximum" in page
    assert contact_named("bram.legacy").submitter  # nobody loses the role


def test_without_htmx_a_toggle_redirects_back(anna):
    response = toggle(anna, "eva.bekijker", "submitter", False, htmx=False)
    assert response.status_code == 303 and response.headers["Location"].endswith("/contacts")


def test_without_htmx_a_refused_toggle_answers_the_explained_page(anna, rendered):
    response = toggle(anna, "gijs.geen", "submitter", True, htmx=False)
    page = response.get_data(as_text=True)
    assert response.status_code == 403 and rendered == [("refused.html", None)]
    assert '<html lang="nl">' in page and "Maximum bereikt: 3 van 3" in page
    assert "HX-Retarget" not in response.headers
    assert not contact_named("gijs.geen").submitter and audit_count() == 0


def test_a_refusal_not_about_the_row_is_not_sent_back_to_it(anna):
    # An unknown role is not about Gijs: explained in full (the problem box), not retargeted.
    response = toggle(anna, "gijs.geen", "superuser", True)
    assert response.status_code == 403 and "HX-Retarget" not in response.headers


# --- detail, edit and add --------------------------------------------------------------


def test_detail_shows_the_properties(anna):
    daan = contact_named("daan.onvoldoende")
    page = anna.get(f"/contacts/{daan.id}").get_data(as_text=True)
    for text in ("Daan Bakker", daan.email, "Startcursus Beheerder HRM/Payroll", "6,5", "nog niet gehaald",
                 "Aanpassen", f"/contacts/{daan.id}/edit"):
        assert text in page


def test_edit_saves_and_audits_each_changed_field(anna):
    eva = contact_named("eva.bekijker")
    financieel = SubmissionProfile.get(name="Financieel")
    response = anna.post(f"/contacts/{eva.id}/edit", data=form_data(
        eva, name="Eva Visser-de Wit", phone="+31 6 1234 5678", profiles=[financieel.id], admin="y"))
    assert response.status_code == 303
    eva = Contact.get_by_id(eva.id)
    assert (eva.name, eva.phone) == ("Eva Visser-de Wit", "+31 6 1234 5678")
    assert (eva.admin, eva.viewer) == (True, True)
    assert [link.profile.name for link in eva.profile_links] == ["Financieel"]
    kinds = sorted((e.kind, e.field, e.before, e.after) for e in AuditEntry.select())
    assert kinds == [
        ("name", "name", "Eva Visser", "Eva Visser-de Wit"),
        ("phone", "phone", "", "+31 6 1234 5678"),
        ("profile", "profile", "", "Financieel"),
        ("role", "admin", "nee", "ja"),
    ]
    assert "Opgeslagen." in anna.get(f"/contacts/{eva.id}").get_data(as_text=True)


def test_edit_obeys_the_role_rules_and_stores_nothing_when_refused(anna):
    gijs = contact_named("gijs.geen")
    response = anna.post(f"/contacts/{gijs.id}/edit", data=form_data(gijs, name="Gijs B.", submitter="y"))
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Maximum bereikt: 3 van 3" in page
    assert 'id="submitter-error"' in page
    assert 'value="Gijs B."' in page  # typed value kept
    assert Contact.get_by_id(gijs.id).name == "Gijs de Boer"
    assert audit_count() == 0


BAD_INPUT = [
    ("email", "geen-adres", "Vul een geldig e-mailadres in"),
    ("email", "bram.legacy@korenschoof.example", "Er is al een contactpersoon met dit e-mailadres"),
    ("email", "BRAM.Legacy@Korenschoof.example", "Er is al een contactpersoon met dit e-mailadres"),
    ("name", "x" * 201, "Maximaal 200 tekens"),
    ("function", "f" * 101, "Maximaal 100 tekens"),
    ("phone", "0" * 41, "Maximaal 40 tekens"),
    ("name", "<script>alert(1)</script>", "Gebruik geen &lt; of &gt; in dit veld"),
    ("name", "", "Vul een naam in"),
]


@pytest.mark.parametrize(("field", "value", "message"), BAD_INPUT)
@pytest.mark.parametrize("form", ["edit", "new"])
def test_bad_input_is_explained_beside_the_field(anna, field, value, message, form):
    gijs = contact_named("gijs.geen")
    contacts_before = Contact.select().count()
    if form == "edit":
        url, data = f"/contacts/{gijs.id}/edit", form_data(gijs, **{field: value})
    else:
        url, data = "/contacts/new", form_data(
            **{"name": "Nieuwe Collega", "email": "nieuw@korenschoof.example", field: value})
    response = anna.post(url, data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    error = re.search(rf'<p class="error" id="{field}-error">(.*?)</p>', page, re.S)
    assert error and message in error.group(1)
    assert f'aria-describedby="{field}-error"' in page
    assert str(escape(value)) in page  # kept, and escaped
    assert "<script>alert" not in page
    assert Contact.select().count() == contacts_before
    assert Contact.get_by_id(gijs.id).name == "Gijs de Boer"
    assert audit_count() == 0


def test_a_new_contact_falls_under_the_course_requirement(anna):
    form = anna.get("/contacts/new").get_data(as_text=True)
    assert "cursusplicht" in form
    crm = SubmissionProfile.get(name="CRM")
    response = anna.post("/contacts/new", data=form_data(
        name="Ilse Nieuw", email=" Ilse.Nieuw@Korenschoof.example ", function="Controller", profiles=[crm.id],
        viewer="y"))
    assert response.status_code == 303
    ilse = Contact.get(Contact.email == "ilse.nieuw@korenschoof.example")
    assert (ilse.name, ilse.viewer, ilse.submitter, ilse.organisation.customer_number) == (
        "Ilse Nieuw", True, False, 10001)
    page = anna.get(response.headers["Location"]).get_data(as_text=True)
    assert "Contactpersoon toegevoegd." in page and "cursusplicht" in page and "nog niet gehaald" in page
    assert sorted(e.kind for e in AuditEntry.select().where(AuditEntry.contact == ilse)) == [
        "contact", "profile", "role"]


def test_deactivating_frees_the_slot_and_ends_sessions(client, login, app):
    bram_client = app.test_client()
    sign_in(bram_client, "bram.legacy")
    assert "Bram Jansen" in bram_client.get("/").get_data(as_text=True)
    login(client, "anna.admin")
    bram = contact_named("bram.legacy")
    response = client.post(f"/contacts/{bram.id}/edit", data=form_data(bram, active=None))
    assert response.status_code == 303
    assert not Contact.get_by_id(bram.id).active
    assert WebSession.select().where(WebSession.contact == bram.id).count() == 0
    assert "Bram Jansen" not in bram_client.get("/").get_data(as_text=True)  # signed out
    assert "in gebruik 2 van 3" in client.get("/contacts").get_data(as_text=True)
    assert "Maximum bereikt" not in toggle(client, "gijs.geen", "submitter", True).get_data(as_text=True)
    # Reactivating Bram would be a fourth submitter: refused, like any grant over the maximum.
    bram = Contact.get_by_id(bram.id)
    response = client.post(f"/contacts/{bram.id}/edit", data=form_data(bram, active="y"))
    assert response.status_code == 422
    assert re.search(r'id="active-error">[^<]*Maximum bereikt: 3 van 3', response.get_data(as_text=True))
    assert not Contact.get_by_id(bram.id).active


def test_the_last_admin_cannot_be_deactivated(anna):
    me = contact_named("anna.admin")
    response = anna.post(f"/contacts/{me.id}/edit", data=form_data(me, active=None))
    assert response.status_code == 422
    assert "laatste klantportalbeheerder" in response.get_data(as_text=True)
    assert Contact.get_by_id(me.id).active


# --- the audit log ---------------------------------------------------------------------


def test_audit_log_lists_and_filters_changes(anna):
    toggle(anna, "bram.legacy", "submitter", False)
    toggle(anna, "gijs.geen", "submitter", True)
    toggle(anna, "gijs.geen", "viewer", True)
    gijs = contact_named("gijs.geen")
    anna.post(f"/contacts/{gijs.id}/edit", data=form_data(gijs, function="Magazijn"))
    page = anna.get("/contacts/audit").get_data(as_text=True)
    assert page.count("<tr data-kind=") == 4
    assert "Anna de Vries" in page and "Incidenten insturen" in page and "Magazijn" in page
    page = anna.get(f"/contacts/audit?contact={gijs.id}").get_data(as_text=True)
    assert page.count("<tr data-kind=") == 3 and "Bram Jansen</a>" not in page
    page = anna.get(f"/contacts/audit?contact={gijs.id}&kind=role").get_data(as_text=True)
    assert page.count('<tr data-kind="role"') == 2 and page.count("<tr data-kind=") == 2
    page = anna.get("/contacts/audit?kind=function").get_data(as_text=True)
    assert page.count("<tr data-kind=") == 1


def test_audit_log_pages(anna):
    gijs = contact_named("gijs.geen")
    with db.atomic():
        AuditEntry.insert_many(
            [{"organisation": gijs.organisation_id, "contact": gijs.id, "kind": "phone", "field": "phone",
              "before": str(n), "after": str(n + 1), "at": clock.now()} for n in range(60)]
        ).execute()
    page = anna.get("/contacts/audit").get_data(as_text=True)
    assert page.count("<tr data-kind=") == 50 and "Pagina 1 van 2" in page
    assert anna.get("/contacts/audit?page=2").get_data(as_text=True).count("<tr data-kind=") == 10
