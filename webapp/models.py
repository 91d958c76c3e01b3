"""The portal's tables. Rules live in ``rules``; these models only store and fetch."""

from flask_login import UserMixin
from peewee import (
    SQL,
    BooleanField,
    CharField,
    DateField,
    DateTimeField,
    DecimalField,
    FloatField,
    ForeignKeyField,
    IntegerField,
    Model,
    TextField,
)

from webapp import clock, rules
from webapp.db import db, execute_named, is_sqlite

INCIDENT_STATUSES = ("nieuw", "in_behandeling", "wacht_op_klant", "opgelost", "gesloten")
PRIORITIES = ("laag", "normaal", "hoog", "kritiek")


class BaseModel(Model):
    class Meta:
        database = db
        legacy_table_names = False


# Rule 2's counts for one organisation (rules.COUNTS_TOWARDS_MAXIMUM_SQL, served by the
# partial index contact_quota_in_use). The experts are the active submitters who do not
# count: derived, not spelled out again.
COUNTS = f"""
SELECT o.max_submitters,
  (SELECT COUNT(*) FROM contact WHERE organisation_id = o.id AND {rules.COUNTS_TOWARDS_MAXIMUM_SQL}),
  (SELECT COUNT(*) FROM contact WHERE organisation_id = o.id AND active AND submitter),
  (SELECT COUNT(*) FROM contact WHERE organisation_id = o.id AND active AND admin)
FROM organisation o WHERE o.id = {{organisation}}
"""


class Organisation(BaseModel):
    customer_number = IntegerField(unique=True)
    name = CharField(max_length=200)
    employee_count = IntegerField(constraints=[SQL("CHECK (employee_count >= 0)")])
    segment = CharField(max_length=100, index=True)
    max_submitters = IntegerField(default=0)
    max_computed_at = DateTimeField(null=True)
    # The figures the maximum was computed from (rule 6); rules.explain_stored puts them
    # into words in the reader's language. None: not stored (yet).
    max_band_min = IntegerField(null=True)
    max_band_max = IntegerField(null=True)  # None also for the open top band
    max_base = IntegerField(null=True)
    max_peer_count = IntegerField(null=True)  # None: not yet compared (imported)
    max_p75 = FloatField(null=True)  # None: fewer than the minimum number of peers
    incident_sequence = IntegerField(default=0)
    # How many incidents and contacts it has, kept by the database (triggers, schema
    # migrations 6 and 7) for whoever writes them: the lists show the number on every page.
    # The portal only reads them.
    incident_count = IntegerField(default=0, constraints=[SQL("DEFAULT 0")])
    contact_count = IntegerField(default=0, constraints=[SQL("DEFAULT 0")])

    @staticmethod
    def counts_for(organisation_id: int, today=None) -> rules.OrgCounts:
        """The numbers rule 2 needs, with the maximum, in one query. Each count reads a small
        partial index (submitters, admins) instead of every contact of the organisation.
        """
        today = today or clock.today()
        params = {"organisation": organisation_id, "today": today.isoformat() if is_sqlite() else today}
        max_submitters, in_use, submitters, admins = execute_named(COUNTS, params).fetchone()
        return rules.OrgCounts(max_submitters, in_use, submitters - in_use, admins)

    def counts(self, today=None) -> rules.OrgCounts:
        return Organisation.counts_for(self.id, today)


class Course(BaseModel):
    code = CharField(max_length=40, unique=True)
    name = CharField(max_length=200)


class SubmissionProfile(BaseModel):
    """An *instuurprofiel*: a product area one submits for, with its required start course."""

    name = CharField(max_length=100, unique=True)
    course = ForeignKeyField(Course, on_delete="RESTRICT")

    def facts(self) -> rules.Profile:
        return rules.Profile(
            id=self.id, name=self.name, course_code=self.course.code, course_name=self.course.name
        )


class Contact(UserMixin, BaseModel):
    organisation = ForeignKeyField(Organisation, backref="contacts", on_delete="RESTRICT")
    name = CharField(max_length=200)
    email = CharField(max_length=254)  # stored lower-case; unique per organisation
    phone = CharField(max_length=40, default="")
    function = CharField(max_length=100, default="")
    created_at = DateTimeField(default=clock.now)
    active = BooleanField(default=True)
    submitter = BooleanField(default=False)
    viewer = BooleanField(default=False)
    admin = BooleanField(default=False)
    expert_until = DateField(null=True)
    oidc_subject = CharField(max_length=255, null=True, unique=True)
    # The language the contact last chose in the portal: their mails are written in it.
    language = CharField(max_length=2, default="nl", constraints=[SQL("DEFAULT 'nl'")])
    # False: no informational mails (role changes); mails about their own requests still go.
    mail_informational = BooleanField(default=True, constraints=[SQL("DEFAULT TRUE")])

    class Meta:
        indexes = ((("organisation", "email"), True), (("organisation", "name"), False))

    def facts(self, profiles=None, attempts=None) -> rules.Contact:
        """This contact as the rules module sees it (``webapp.facts.of_contact``)."""
        from webapp import facts  # it reads these models

        return facts.of_contact(self, profiles, attempts)

    @staticmethod
    def by_id(contact_id: int) -> "Contact | None":
        return Contact.get_or_none(Contact.id == contact_id)

    @staticmethod
    def signed_in(contact_id: int) -> "Contact | None":
        """The active contact with this id, with its organisation: most pages name it or
        read its maximum."""
        return (
            Contact.select(Contact, Organisation)
            .join(Organisation)
            .where((Contact.id == contact_id) & Contact.active)
            .get_or_none()
        )

    @property
    def roles(self) -> tuple[str, ...]:
        return rules.roles_held(self)


class ContactProfile(BaseModel):
    contact = ForeignKeyField(Contact, backref="profile_links", on_delete="CASCADE")
    profile = ForeignKeyField(SubmissionProfile, on_delete="RESTRICT")

    class Meta:
        indexes = ((("contact", "profile"), True),)


class CourseResult(BaseModel):
    """One attempt at a course; the best completed attempt counts."""

    contact = ForeignKeyField(Contact, backref="course_results", on_delete="CASCADE")
    course = ForeignKeyField(Course, on_delete="RESTRICT")
    score = DecimalField(max_digits=4, decimal_places=2, null=True, auto_round=True)
    completed_at = DateTimeField(null=True)

    class Meta:
        indexes = ((("contact", "course", "completed_at"), True),)


class Incident(BaseModel):
    organisation = ForeignKeyField(Organisation, on_delete="RESTRICT")
    number = CharField(max_length=20)  # readable, unique within the organisation: 2026-000042
    reporter = ForeignKeyField(Contact, backref="incidents", on_delete="RESTRICT")
    profile = ForeignKeyField(SubmissionProfile, on_delete="RESTRICT")
    subject = CharField(max_length=200)
    description = TextField()
    priority = CharField(max_length=20, default="normaal")
    reference = CharField(max_length=100, default="")
    status = CharField(max_length=20, default="nieuw")
    created_at = DateTimeField(default=clock.now)
    updated_at = DateTimeField(default=clock.now)

    class Meta:
        indexes = (
            (("organisation", "number"), True),
            (("organisation", "created_at"), False),
            (("reporter", "created_at"), False),
        )


class IncidentStatusChange(BaseModel):
    incident = ForeignKeyField(Incident, backref="status_changes", on_delete="CASCADE")
    status = CharField(max_length=20)
    changed_at = DateTimeField(default=clock.now)


class Reaction(BaseModel):
    incident = ForeignKeyField(Incident, backref="reactions", on_delete="CASCADE")
    author = ForeignKeyField(Contact, null=True, on_delete="RESTRICT")  # None: Support
    body = TextField()
    created_at = DateTimeField(default=clock.now)


class CallbackRequest(BaseModel):
    contact = ForeignKeyField(Contact, on_delete="RESTRICT")
    phone = CharField(max_length=40)
    topic = CharField(max_length=200)
    preferred_moment = CharField(max_length=40)
    created_at = DateTimeField(default=clock.now)


class QuotaRun(BaseModel):
    started_at = DateTimeField(default=clock.now)
    finished_at = DateTimeField(null=True)
    organisations_changed = IntegerField(default=0)
    outcome = CharField(max_length=20, default="running")  # running | ok | failed
    message = TextField(default="")


class JobLock(BaseModel):
    """A named job's guard: claimed with one atomic UPDATE so two schedulers never overlap.

    ``slot`` is the last scheduled time (UTC ISO text) a process claimed; ``locked_until``
    lets a crashed holder's lock expire.
    """

    name = CharField(max_length=50, primary_key=True)
    slot = CharField(max_length=40, default="")
    owner = CharField(max_length=100, default="")
    locked_until = DateTimeField()


class AuditEntry(BaseModel):
    """Who changed what of which contact, before → after. ``actor`` None: the system."""

    organisation = ForeignKeyField(Organisation, on_delete="RESTRICT")
    actor = ForeignKeyField(Contact, null=True, on_delete="RESTRICT", backref="+")
    contact = ForeignKeyField(Contact, null=True, on_delete="RESTRICT", backref="audit_entries")
    kind = CharField(max_length=30)  # role, profile, expert, active, email, name, phone, function, contact
    field = CharField(max_length=50, default="")
    before = TextField(default="")
    after = TextField(default="")
    at = DateTimeField(default=clock.now)

    class Meta:
        indexes = ((("organisation", "at"), False),)


class AccessRequest(BaseModel):
    contact = ForeignKeyField(Contact, backref="access_requests", on_delete="CASCADE")
    role = CharField(max_length=20)
    reason = TextField(default="")
    status = CharField(max_length=20, default="pending")  # pending | approved | denied
    created_at = DateTimeField(default=clock.now)
    decided_by = ForeignKeyField(Contact, null=True, on_delete="RESTRICT", backref="+")
    decided_at = DateTimeField(null=True)
    decision_note = TextField(default="")


class OutboxMail(BaseModel):
    """A mail to send, written in the transaction of the change it tells about (webapp.mail).

    ``payload`` holds that change's facts (JSON); the worker writes the mail from them in
    ``language`` when it sends it. ``status``: pending (due at ``next_attempt_at``), sending
    (claimed by ``claimed_by`` until ``claimed_until``), delivered, failed (gave up).
    """

    kind = CharField(max_length=40)
    recipient = CharField(max_length=254)
    contact = ForeignKeyField(Contact, null=True, on_delete="SET NULL", backref="+")
    language = CharField(max_length=2, default="nl")
    payload = TextField(default="{}")
    status = CharField(max_length=20, default="pending")
    attempts = IntegerField(default=0)
    next_attempt_at = DateTimeField(default=clock.now)
    claimed_by = CharField(max_length=100, default="")
    claimed_until = DateTimeField(null=True)
    last_error = TextField(default="")
    created_at = DateTimeField(default=clock.now)
    delivered_at = DateTimeField(null=True)

    class Meta:
        table_name = "outbox"
        indexes = ((("status", "next_attempt_at"), False),)


class WebSession(BaseModel):
    """A server-side session: the cookie holds a random key, the row holds the rest.

    Only the SHA-256 of the key is stored, so a copy of this table opens no session.
    """

    key_hash = CharField(max_length=64, primary_key=True)
    data = TextField(default="{}")
    contact = ForeignKeyField(Contact, null=True, on_delete="CASCADE", backref="sessions")
    subject = CharField(max_length=255, null=True, index=True)
    sid = CharField(max_length=255, null=True, index=True)
    id_token = TextField(null=True)
    access_token = TextField(null=True)
    refresh_token = TextField(null=True)
    access_expires_at = DateTimeField(null=True)
    refresh_failing_since = DateTimeField(null=True)
    # Until when one request holds the right to redeem the refresh token (single-flight).
    refreshing_until = DateTimeField(null=True)
    created_at = DateTimeField(default=clock.now)
    last_seen_at = DateTimeField(default=clock.now)
    expires_at = DateTimeField(index=True)


class SchemaVersion(BaseModel):
    version = IntegerField(primary_key=True)
    applied_at = DateTimeField(default=clock.now)


TABLES = [
    Organisation,
    Course,
    SubmissionProfile,
    Contact,
    ContactProfile,
    CourseResult,
    Incident,
    IncidentStatusChange,
    Reaction,
    CallbackRequest,
    QuotaRun,
    AuditEntry,
    AccessRequest,
    WebSession,
    OutboxMail,
]
