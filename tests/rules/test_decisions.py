"""Every rule of DESIGN.md §1 at its boundaries (pure functions, no database)."""

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from webapp import rules
from webapp.rules import (
    AMSTERDAM,
    Attempt,
    Contact,
    Decision,
    OrgCounts,
    Profile,
    Reason,
    Settings,
)

TODAY = date(2026, 5, 1)
YESTERDAY = TODAY - timedelta(days=1)
ORG = 1
OTHER_ORG = 2

FIN = Profile(1, "Financieel", "SC-FIN", "Startcursus Beheerder Financieel")
HRM = Profile(2, "HRM/Payroll", "SC-HRM", "Startcursus Beheerder HRM/Payroll")
DONE = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)

OLD = datetime(2025, 6, 15, 8, 0, tzinfo=UTC)  # exempt from the course requirement
NEW = datetime(2026, 3, 5, 8, 0, tzinfo=UTC)  # course required


def contact(**kw) -> Contact:
    defaults = {"id": 100, "organisation_id": ORG, "name": "Test Persoon", "created_at": NEW}
    defaults.update(kw)
    return Contact(**defaults)


def attempt(score, course=FIN.course_code, completed=DONE) -> Attempt:
    return Attempt(course, None if score is None else Decimal(str(score)), completed)


def new_submitter(*attempts, profiles=(FIN,), **kw) -> Contact:
    return contact(submitter=True, profiles=profiles, attempts=attempts, **kw)


# --- The demo people (DESIGN §4) -------------------------------------------------

ANNA = contact(id=1, name="Anna de Vries", created_at=datetime(2023, 5, 1, tzinfo=UTC), admin=True)
BRAM = contact(
    id=2,
    name="Bram Jansen",
    created_at=datetime(2025, 6, 15, tzinfo=UTC),
    submitter=True,
    profiles=(FIN,),
)
CARLA = contact(
    id=3,
    name="Carla Smit",
    created_at=datetime(2026, 2, 10, tzinfo=UTC),
    submitter=True,
    profiles=(FIN,),
    attempts=(attempt(8.0),),
)
DAAN = contact(
    id=4,
    name="Daan Bakker",
    created_at=datetime(2026, 3, 5, tzinfo=UTC),
    submitter=True,
    profiles=(HRM,),
    attempts=(attempt(6.5, HRM.course_code),),
)
EVA = contact(id=5, name="Eva Visser", created_at=datetime(2024, 9, 1, tzinfo=UTC), viewer=True)
FEMKE = contact(
    id=6,
    name="Femke Mulder",
    created_at=datetime(2026, 4, 1, tzinfo=UTC),
    submitter=True,
    expert_until=date(2027, 12, 31),
    profiles=(FIN,),
)
GIJS = contact(id=7, name="Gijs de Boer", created_at=datetime(2024, 2, 1, tzinfo=UTC))
ADMINS = ("Anna de Vries",)
DEMO_COUNTS = OrgCounts(max_submitters=3, in_use=3, experts=1, admins=1)


class TestDemoPeople:
    def test_who_may_submit(self):
        allowed = {
            c.name: bool(rules.may_submit(c, TODAY, admin_names=ADMINS))
            for c in (ANNA, BRAM, CARLA, DAAN, EVA, FEMKE, GIJS)
        }
        assert allowed == {
            "Anna de Vries": False,
            "Bram Jansen": True,
            "Carla Smit": True,
            "Daan Bakker": False,
            "Eva Visser": False,
            "Femke Mulder": True,
            "Gijs de Boer": False,
        }

    def test_counts_match_the_design(self):
        counted = [
            c.name
            for c in (ANNA, BRAM, CARLA, DAAN, EVA, FEMKE, GIJS)
            if rules.counts_towards_maximum(c, TODAY)
        ]
        assert counted == ["Bram Jansen", "Carla Smit", "Daan Bakker"]

    def test_daan_refused_with_score_and_required_score(self):
        decision = rules.may_submit(DAAN, TODAY, admin_names=ADMINS)
        assert decision.codes == ("course_not_passed",)
        reason = decision.reasons[0]
        assert "6,5" in reason.text
        assert "7" in reason.text
        assert "HRM/Payroll" in reason.text
        assert "Startcursus Beheerder HRM/Payroll" in reason.text
        assert reason.text == (
            "Voor het instuurprofiel HRM/Payroll moet je de Startcursus Beheerder HRM/Payroll "
            "met minimaal een 7 hebben afgerond. Je beste score is 6,5."
        )
        assert reason.remedy == (
            "Volg de Startcursus Beheerder HRM/Payroll en rond die af met minimaal een 7."
        )
        assert reason.params["best"] == Decimal("6.5")
        assert reason.params["required"] == Decimal("7.0")
        assert reason.params["course"] == "Startcursus Beheerder HRM/Payroll"

    def test_daan_may_not_contact_support_either(self):
        assert rules.may_contact_support(DAAN, TODAY).codes == ("course_not_passed",)

    def test_gijs_refused_remedy_names_the_admin(self):
        decision = rules.may_submit(GIJS, TODAY, admin_names=ADMINS)
        assert decision.codes == ("no_submitter_role",)
        reason = decision.reasons[0]
        assert "Incidenten insturen" in reason.text
        assert reason.remedy == (
            "Vraag een klantportalbeheerder (Anna de Vries) om je de rol Incidenten insturen te geven."
        )
        support = rules.may_contact_support(GIJS, TODAY, admin_names=ADMINS)
        assert support == decision

    def test_gijs_refused_everywhere(self):
        assert not rules.may_list_incidents(GIJS)
        assert rules.may_list_incidents(GIJS).codes == ("no_incident_role",)
        assert not rules.may_manage_contacts(GIJS)
        assert not rules.may_view_all_incidents(GIJS)

    def test_granting_submitter_to_gijs_refused_at_3_of_3(self):
        decision = rules.may_change_role(ANNA, GIJS, "submitter", True, DEMO_COUNTS, TODAY)
        assert decision.codes == ("maximum_reached",)
        assert "Maximum bereikt: 3 van 3" in decision.reasons[0].text

    def test_granting_submitter_to_an_expert_at_3_of_3_allowed(self):
        expert = replace(GIJS, expert_until=date(2026, 12, 31))
        assert rules.may_change_role(ANNA, expert, "submitter", True, DEMO_COUNTS, TODAY)

    def test_anna_and_eva_see_all_but_cannot_submit(self):
        for c in (ANNA, EVA):
            assert rules.may_view_all_incidents(c)
            assert rules.may_list_incidents(c)
            assert rules.may_submit(c, TODAY).codes == ("no_submitter_role",)

    def test_femke_expert_not_counted_and_may_submit(self):
        assert not rules.counts_towards_maximum(FEMKE, TODAY)
        assert rules.course_status(FEMKE, FIN, TODAY) == "expert"

    def test_single_admin_warning(self):
        warning = rules.single_admin_warning(DEMO_COUNTS)
        assert warning is not None
        assert "klantportalbeheerder" in warning
        assert "twee" in warning
        assert rules.single_admin_warning(replace(DEMO_COUNTS, admins=2)) is None


# --- Decision and Reason ---------------------------------------------------------


class TestDecision:
    def test_allow_is_truthy_without_reasons(self):
        d = Decision.allow()
        assert d and d.allowed and d.reasons == () and d.codes == ()

    def test_deny_is_falsy_and_lists_codes(self):
        d = Decision.deny(Reason("a", "x", "y"), Reason("b", "x", ""))
        assert not d
        assert d.codes == ("a", "b")

    def test_deny_needs_a_reason(self):
        with pytest.raises(ValueError):
            Decision.deny()

    def test_reason_hashable_params_not_compared(self):
        r1 = Reason("c", "t", "r", {"best": Decimal("6.5")})
        r2 = Reason("c", "t", "r", {"best": Decimal("9")})
        assert r1 == r2
        assert hash(r1) == hash(r2)
        assert hash(Decision.deny(r1)) == hash(Decision.deny(r2))

    def test_role_labels(self):
        assert rules.ROLES == ("submitter", "viewer", "admin")
        assert rules.ROLE_LABELS == {
            "submitter": "Incidenten insturen",
            "viewer": "Incidenten bekijken",
            "admin": "Klantportalbeheerder",
        }


# --- Rule 4: course requirement ------------------------------------------------


class TestCourseRequirementDate:
    def test_last_minute_of_2025_in_amsterdam_is_exempt(self):
        created = datetime(2025, 12, 31, 23, 59, tzinfo=AMSTERDAM)
        assert created.astimezone(UTC) == datetime(2025, 12, 31, 22, 59, tzinfo=UTC)
        c = new_submitter(created_at=created.astimezone(UTC))
        assert not rules.course_requirement_applies(c)
        assert rules.course_status(c, FIN, TODAY) == "not_required"
        assert rules.may_submit(c, TODAY)

    def test_first_minute_of_2026_in_amsterdam_is_required_though_2025_in_utc(self):
        created_utc = datetime(2025, 12, 31, 23, 0, tzinfo=UTC)
        assert created_utc.astimezone(AMSTERDAM) == datetime(2026, 1, 1, 0, 0, tzinfo=AMSTERDAM)
        c = new_submitter(created_at=created_utc)
        assert rules.course_requirement_applies(c)
        assert rules.may_submit(c, TODAY).codes == ("course_not_passed",)

    def test_naive_datetime_is_taken_as_utc(self):
        c = new_submitter(created_at=datetime(2025, 12, 31, 23, 0))
        assert rules.course_requirement_applies(c)
        c = new_submitter(created_at=datetime(2025, 12, 31, 22, 59))
        assert not rules.course_requirement_applies(c)

    def test_setting_moves_the_date(self):
        c = new_submitter(created_at=datetime(2026, 3, 5, tzinfo=UTC))
        later = Settings(course_required_from=date(2026, 6, 1))
        assert not rules.course_requirement_applies(c, later)
        assert rules.may_submit(c, TODAY, later)


class TestScores:
    @pytest.mark.parametrize(
        ("score", "passed"),
        [
            ("6.99", False),
            ("6.95", False),
            ("6.9", False),
            ("7.0", True),
            ("7", True),
            ("7.01", True),
            ("10", True),
            ("1", False),
        ],
    )
    def test_pass_score_boundary(self, score, passed):
        c = new_submitter(attempt(score))
        status = rules.course_status(c, FIN, TODAY)
        assert status == ("passed" if passed else "not_passed")
        assert bool(rules.may_submit(c, TODAY)) is passed

    def test_float_scores_compare_exactly(self):
        c = new_submitter(Attempt("SC-FIN", 6.95, DONE))
        assert rules.course_status(c, FIN, TODAY) == "not_passed"
        c = new_submitter(Attempt("SC-FIN", 7.0, DONE))
        assert rules.course_status(c, FIN, TODAY) == "passed"

    def test_best_of_several_attempts_counts(self):
        c = new_submitter(attempt(5), attempt(7.5), attempt(6.5))
        assert rules.best_score(c, "SC-FIN") == Decimal("7.5")
        assert rules.may_submit(c, TODAY)

    def test_incomplete_attempt_does_not_count(self):
        c = new_submitter(attempt(9, completed=None), attempt(6))
        assert rules.best_score(c, "SC-FIN") == Decimal("6")
        assert rules.may_submit(c, TODAY).codes == ("course_not_passed",)

    def test_ungraded_attempt_does_not_count(self):
        c = new_submitter(attempt(None))
        assert rules.best_score(c, "SC-FIN") is None
        reason = rules.may_submit(c, TODAY).reasons[0]
        assert reason.text.endswith("Je hebt deze cursus nog niet afgerond.")
        assert reason.params["best"] is None

    def test_attempt_for_another_course_does_not_count(self):
        c = new_submitter(attempt(9, course="SC-HRM"))
        assert rules.best_score(c, "SC-FIN") is None
        assert rules.may_submit(c, TODAY).codes == ("course_not_passed",)

    def test_no_attempts_text(self):
        decision = rules.may_submit(new_submitter(), TODAY)
        assert decision.reasons[0].text == (
            "Voor het instuurprofiel Financieel moet je de Startcursus Beheerder Financieel met "
            "minimaal een 7 hebben afgerond. Je hebt deze cursus nog niet afgerond."
        )

    def test_pass_score_setting_is_used_and_shown(self):
        strict = Settings(pass_score=Decimal("7.5"))
        c = new_submitter(attempt("7.4"))
        decision = rules.may_submit(c, TODAY, strict)
        assert "minimaal een 7,5" in decision.reasons[0].text
        assert "7,4" in decision.reasons[0].text
        assert decision.reasons[0].params["required"] == Decimal("7.5")
        assert rules.may_submit(new_submitter(attempt("7.5")), TODAY, strict)

    def test_failing_score_never_displayed_as_passing(self):
        decision = rules.may_submit(new_submitter(attempt("6.95")), TODAY)
        assert "Je beste score is 6,95." in decision.reasons[0].text


class TestFormatScore:
    @pytest.mark.parametrize(
        ("value", "text"),
        [
            (Decimal("6.5"), "6,5"),
            (7, "7,0"),
            (Decimal("7.0"), "7,0"),
            (Decimal("7.00"), "7,0"),
            (Decimal("8.50"), "8,5"),
            (6.5, "6,5"),
            (10, "10,0"),
            (Decimal("6.95"), "6,95"),
            (None, "geen"),
        ],
    )
    def test_format(self, value, text):
        assert rules.format_score(value) == text


class TestProfiles:
    def test_one_reason_per_held_profile_lacking_the_course(self):
        c = new_submitter(attempt(6, "SC-FIN"), profiles=(FIN, HRM))
        decision = rules.may_submit(c, TODAY)
        assert decision.codes == ("course_not_passed", "course_not_passed")
        assert [r.params["profile"] for r in decision.reasons] == ["Financieel", "HRM/Payroll"]
        assert "6,0" in decision.reasons[0].text
        assert "nog niet afgerond" in decision.reasons[1].text

    def test_allowed_when_one_of_several_profiles_qualifies(self):
        c = new_submitter(attempt(8, "SC-HRM"), profiles=(FIN, HRM))
        assert rules.may_submit(c, TODAY)
        assert rules.qualifying_profiles(c, TODAY) == (HRM,)
        assert rules.may_submit(c, TODAY, profile=HRM)
        assert rules.may_submit(c, TODAY, profile=FIN).codes == ("course_not_passed",)

    def test_exempt_contact_qualifies_for_every_profile(self):
        c = new_submitter(profiles=(FIN, HRM), created_at=OLD)
        assert rules.qualifying_profiles(c, TODAY) == (FIN, HRM)

    def test_profile_not_held(self):
        c = new_submitter(attempt(8), profiles=(FIN,))
        decision = rules.may_submit(c, TODAY, profile=HRM)
        assert decision.codes == ("profile_not_held",)
        assert "HRM/Payroll" in decision.reasons[0].text

    def test_submitter_without_any_profile(self):
        c = new_submitter(profiles=(), created_at=OLD)
        decision = rules.may_submit(c, TODAY, admin_names=ADMINS)
        assert decision.codes == ("no_profile",)
        assert "instuurprofiel" in decision.reasons[0].remedy
        assert "Anna de Vries" in decision.reasons[0].remedy
        assert rules.may_submit(c, TODAY, profile=FIN).codes == ("no_profile",)

    def test_profile_held_compares_by_id(self):
        c = new_submitter(created_at=OLD)
        same = Profile(FIN.id, "Financieel", "SC-FIN", "Startcursus Beheerder Financieel")
        assert rules.may_submit(c, TODAY, profile=same)


class TestExperts:
    def test_expert_not_counted_and_satisfies_course(self):
        c = new_submitter(expert_until=TODAY + timedelta(days=30))
        assert rules.is_expert(c, TODAY)
        assert not rules.counts_towards_maximum(c, TODAY)
        assert rules.course_status(c, FIN, TODAY) == "expert"
        assert rules.may_submit(c, TODAY)

    def test_setting_turns_course_satisfaction_off(self):
        c = new_submitter(expert_until=TODAY + timedelta(days=30))
        off = Settings(expert_satisfies_course=False)
        assert rules.course_status(c, FIN, TODAY, off) == "not_passed"
        assert rules.may_submit(c, TODAY, off).codes == ("course_not_passed",)
        assert not rules.counts_towards_maximum(c, TODAY)  # still not counted
        passed = new_submitter(attempt(7), expert_until=TODAY)
        assert rules.may_submit(passed, TODAY, off)

    def test_expert_until_today_is_still_expert(self):
        c = new_submitter(expert_until=TODAY)
        assert rules.is_expert(c, TODAY)
        assert not rules.counts_towards_maximum(c, TODAY)
        assert rules.may_submit(c, TODAY)

    def test_expired_certification_counts_again_and_needs_the_course(self):
        c = new_submitter(expert_until=YESTERDAY)
        assert not rules.is_expert(c, TODAY)
        assert rules.counts_towards_maximum(c, TODAY)
        assert rules.course_status(c, FIN, TODAY) == "not_passed"
        assert rules.may_submit(c, TODAY).codes == ("course_not_passed",)

    def test_exempt_contact_status_is_not_required_even_if_expert(self):
        c = new_submitter(created_at=OLD, expert_until=TODAY)
        assert rules.course_status(c, FIN, TODAY) == "not_required"

    def test_counts_towards_maximum_needs_active_submitter(self):
        assert rules.counts_towards_maximum(new_submitter(), TODAY)
        assert not rules.counts_towards_maximum(new_submitter(active=False), TODAY)
        assert not rules.counts_towards_maximum(contact(viewer=True), TODAY)


# --- Inactive contacts -----------------------------------------------------------


class TestInactive:
    def test_inactive_refused_everywhere(self):
        c = replace(ANNA, active=False, submitter=True, viewer=True, profiles=(FIN,))
        c = replace(c, created_at=OLD)
        assert rules.may_submit(c, TODAY).codes == ("inactive",)
        assert rules.may_submit(c, TODAY, profile=FIN).codes == ("inactive",)
        assert rules.may_contact_support(c, TODAY).codes == ("inactive",)
        assert not rules.may_view_all_incidents(c)
        assert rules.may_list_incidents(c).codes == ("inactive",)
        assert rules.may_view_incident(c, ORG, c.id).codes == ("inactive",)
        assert rules.may_react(c, ORG, c.id).codes == ("inactive",)
        assert rules.may_manage_contacts(c).codes == ("inactive",)
        assert not rules.may_change_role(c, GIJS, "viewer", True, DEMO_COUNTS, TODAY)

    def test_all_reasons_in_order(self):
        c = contact(active=False, profiles=(FIN,))
        decision = rules.may_submit(c, TODAY, admin_names=ADMINS)
        assert decision.codes == ("inactive", "no_submitter_role", "course_not_passed")
        c = contact(active=False, submitter=True)
        assert rules.may_submit(c, TODAY).codes == ("inactive", "no_profile")


# --- Rule 5: contacting Support ------------------------------------------------


class TestSupport:
    @pytest.mark.parametrize("person", [ANNA, BRAM, CARLA, DAAN, EVA, FEMKE, GIJS])
    def test_support_gate_equals_submit_gate(self, person):
        assert rules.may_contact_support(person, TODAY, admin_names=ADMINS) == rules.may_submit(
            person, TODAY, admin_names=ADMINS
        )

    def test_settings_pass_through(self):
        c = new_submitter(expert_until=TODAY)
        off = Settings(expert_satisfies_course=False)
        assert rules.may_contact_support(c, TODAY)
        assert not rules.may_contact_support(c, TODAY, off)


# --- Incidents ------------------------------------------------------------------


REPORTER = new_submitter(id=50, created_at=OLD)
COLLEAGUE = new_submitter(id=51, created_at=OLD)
VIEWER = contact(id=52, viewer=True)
ADMIN = contact(id=53, admin=True)
FORMER = contact(id=50)  # the reporter after losing the submitter role
OUTSIDER_ADMIN = contact(id=54, organisation_id=OTHER_ORG, admin=True, viewer=True)


class TestIncidents:
    @pytest.mark.parametrize(
        ("who", "org", "view", "react"),
        [
            (REPORTER, ORG, (), ()),
            (COLLEAGUE, ORG, ("not_found",), ("not_found",)),
            (VIEWER, ORG, (), ("read_only",)),
            (ADMIN, ORG, (), ("read_only",)),
            (FORMER, ORG, ("no_incident_role",), ("no_incident_role",)),
            (GIJS, ORG, ("no_incident_role",), ("no_incident_role",)),
            (OUTSIDER_ADMIN, ORG, ("not_found",), ("not_found",)),
            (REPORTER, OTHER_ORG, ("not_found",), ("not_found",)),
            (VIEWER, OTHER_ORG, ("not_found",), ("not_found",)),
            (ADMIN, OTHER_ORG, ("not_found",), ("not_found",)),
        ],
    )
    def test_view_and_react_matrix(self, who, org, view, react):
        assert rules.may_view_incident(who, org, REPORTER.id).codes == view
        assert rules.may_react(who, org, REPORTER.id).codes == react
        assert bool(rules.may_view_incident(who, org, REPORTER.id)) is (view == ())
        assert bool(rules.may_react(who, org, REPORTER.id)) is (react == ())

    def test_admin_who_reported_and_is_submitter_may_react(self):
        hugo = contact(id=60, admin=True, submitter=True, profiles=(FIN,), created_at=OLD)
        assert rules.may_react(hugo, ORG, hugo.id)
        assert rules.may_react(hugo, ORG, REPORTER.id).codes == ("read_only",)

    def test_admin_reporter_without_submitter_role_reads_only(self):
        a = contact(id=61, admin=True)
        assert rules.may_view_incident(a, ORG, a.id)
        assert rules.may_react(a, ORG, a.id).codes == ("read_only",)

    def test_list_incidents(self):
        assert rules.may_list_incidents(REPORTER)
        assert rules.may_list_incidents(VIEWER)
        assert rules.may_list_incidents(ADMIN)
        decision = rules.may_list_incidents(FORMER, admin_names=ADMINS)
        assert decision.codes == ("no_incident_role",)
        assert "Anna de Vries" in decision.reasons[0].remedy
        assert "Incidenten bekijken" in decision.reasons[0].remedy

    def test_view_all(self):
        assert rules.may_view_all_incidents(VIEWER)
        assert rules.may_view_all_incidents(ADMIN)
        assert not rules.may_view_all_incidents(REPORTER)


# --- Rules 1 and 2: managing contacts and roles -----------------------------------


def counts(max_submitters=3, in_use=2, experts=0, admins=2) -> OrgCounts:
    return OrgCounts(max_submitters, in_use, experts, admins)


TARGET = contact(id=70, created_at=OLD)


class TestManageContacts:
    def test_only_active_admin(self):
        assert rules.may_manage_contacts(ANNA)
        decision = rules.may_manage_contacts(EVA, admin_names=ADMINS)
        assert decision.codes == ("not_admin",)
        assert "Anna de Vries" in decision.reasons[0].remedy
        assert rules.may_manage_contacts(BRAM).codes == ("not_admin",)

    def test_non_admin_cannot_change_roles(self):
        d = rules.may_change_role(EVA, TARGET, "viewer", True, counts(), TODAY)
        assert d.codes == ("not_admin",)

    def test_target_in_other_organisation_is_not_found(self):
        other = replace(TARGET, organisation_id=OTHER_ORG)
        d = rules.may_change_role(ANNA, other, "viewer", True, counts(), TODAY)
        assert d.codes == ("not_found",)
        # not_admin comes first
        d = rules.may_change_role(EVA, other, "viewer", True, counts(), TODAY)
        assert d.codes == ("not_admin",)

    def test_unknown_role(self):
        for role in ("superuser", "Submitter", ""):
            d = rules.may_change_role(ANNA, TARGET, role, True, counts(), TODAY)
            assert d.codes == ("unknown_role",)
            assert not rules.may_change_role(ANNA, TARGET, role, False, counts(), TODAY)

    def test_grant_to_inactive_target_refused_revoke_allowed(self):
        gone = replace(TARGET, active=False, viewer=True)
        assert rules.may_change_role(ANNA, gone, "admin", True, counts(), TODAY).codes == (
            "target_inactive",
        )
        assert rules.may_change_role(ANNA, gone, "viewer", False, counts(), TODAY)

    @pytest.mark.parametrize("role", rules.ROLES)
    def test_plain_grant_and_revoke(self, role):
        assert rules.may_change_role(ANNA, TARGET, role, True, counts(), TODAY)
        held = replace(TARGET, **{role: True})
        assert rules.may_change_role(ANNA, held, role, False, counts(), TODAY)


class TestMaximum:
    def test_grant_at_max_minus_one_allowed(self):
        assert rules.may_change_role(
            ANNA, TARGET, "submitter", True, counts(max_submitters=3, in_use=2), TODAY
        )

    def test_grant_at_max_refused(self):
        d = rules.may_change_role(ANNA, TARGET, "submitter", True, counts(max_submitters=3, in_use=3), TODAY)
        assert d.codes == ("maximum_reached",)
        reason = d.reasons[0]
        assert "aximum bereikt: 3 van 3" in reason.text
        assert reason.text == ("Maximum bereikt: 3 van 3 contactpersonen met de rol Incidenten insturen.")
        assert reason.remedy == (
            "Trek de rol bij een andere contactpersoon in, of wijs een gecertificeerde Expert "
            "aan (die telt niet mee)."
        )
        assert reason.params == {"in_use": 3, "max": 3, "over_by": 0}

    def test_expert_granted_at_max(self):
        expert = replace(TARGET, expert_until=TODAY)
        assert rules.may_change_role(
            ANNA, expert, "submitter", True, counts(max_submitters=3, in_use=3), TODAY
        )

    def test_expired_expert_refused_at_max(self):
        expired = replace(TARGET, expert_until=YESTERDAY)
        d = rules.may_change_role(
            ANNA, expired, "submitter", True, counts(max_submitters=3, in_use=3), TODAY
        )
        assert d.codes == ("maximum_reached",)

    def test_other_roles_not_limited(self):
        full = counts(max_submitters=3, in_use=3)
        assert rules.may_change_role(ANNA, TARGET, "viewer", True, full, TODAY)
        assert rules.may_change_role(ANNA, TARGET, "admin", True, full, TODAY)

    def test_maximum_lowered_below_in_use(self):
        over = counts(max_submitters=3, in_use=5)
        assert over.over_by == 2
        assert over.free == 0
        d = rules.may_change_role(ANNA, TARGET, "submitter", True, over, TODAY)
        assert d.codes == ("maximum_reached",)
        assert "Maximum bereikt: 5 van 3" in d.reasons[0].text
        assert d.reasons[0].params["over_by"] == 2
        holder = replace(TARGET, submitter=True)
        assert rules.may_change_role(ANNA, holder, "submitter", False, over, TODAY)
        # already held: allowed (a no-op), nobody loses the role
        assert rules.may_change_role(ANNA, holder, "submitter", True, over, TODAY)

    def test_counts_properties(self):
        c = counts(max_submitters=3, in_use=1)
        assert c.over_by == 0
        assert c.free == 2
        assert counts(max_submitters=0, in_use=0).free == 0

    def test_revoke_always_allowed_even_when_full(self):
        holder = replace(TARGET, submitter=True)
        full = counts(max_submitters=0, in_use=7, admins=1)
        assert rules.may_change_role(ANNA, holder, "submitter", False, full, TODAY)
        assert rules.may_change_role(ANNA, TARGET, "submitter", False, full, TODAY)


class TestLastAdmin:
    def test_last_admin_cannot_be_removed(self):
        d = rules.may_change_role(ANNA, ANNA, "admin", False, counts(admins=1), TODAY)
        assert d.codes == ("last_admin",)
        reason = d.reasons[0]
        assert reason.text.startswith("Er moet minstens één klantportalbeheerder overblijven")
        assert "twee" in reason.remedy
        assert "andere" in reason.remedy

    def test_with_two_admins_one_can_be_removed(self):
        other_admin = replace(TARGET, admin=True)
        assert rules.may_change_role(ANNA, other_admin, "admin", False, counts(admins=2), TODAY)
        assert rules.may_change_role(ANNA, ANNA, "admin", False, counts(admins=2), TODAY)

    def test_revoking_admin_from_non_admin_is_a_noop(self):
        assert rules.may_change_role(ANNA, TARGET, "admin", False, counts(admins=1), TODAY)

    def test_last_admin_may_lose_other_roles(self):
        anna = replace(ANNA, viewer=True)
        assert rules.may_change_role(anna, anna, "viewer", False, counts(admins=1), TODAY)


# --- An admin lacking a role grants it herself (rules 1, 2) ------------------------


class TestSelfGrant:
    def test_anna_is_told_to_grant_herself_the_role_not_to_ask_herself(self):
        reason = rules.may_submit(ANNA, TODAY, admin_names=ADMINS).reasons[0]
        assert reason.code == "no_submitter_role"
        assert "Anna de Vries" not in reason.remedy and "Vraag" not in reason.remedy
        assert reason.remedy == (
            "Je bent klantportalbeheerder: je kunt jezelf de rol Incidenten insturen geven op Mijn "
            "contactpersonen, binnen het maximum."
        )
        assert reason.params["self_grant"] is True and reason.params["contact_id"] == ANNA.id

    def test_also_when_other_admins_exist(self):
        colleagues = ("Anna de Vries", "Piet Admin")
        remedy = rules.may_submit(ANNA, TODAY, admin_names=colleagues).reasons[0].remedy
        assert "Piet Admin" not in remedy and "jezelf" in remedy

    def test_with_room_under_the_maximum_the_figures_are_given(self):
        decision = rules.may_contact_support(ANNA, TODAY, counts=counts(in_use=2, max_submitters=3))
        assert decision.reasons[0].remedy == (
            "Je bent klantportalbeheerder: je kunt jezelf de rol Incidenten insturen geven op Mijn "
            "contactpersonen (2 van 3 in gebruik)."
        )

    @pytest.mark.parametrize("in_use", [3, 4])
    def test_at_or_over_the_maximum_she_is_told_to_revoke_first(self, in_use):
        remedy = rules.may_submit(ANNA, TODAY, counts=counts(in_use=in_use)).reasons[0].remedy
        assert f"maximum is bereikt ({in_use} van 3 in gebruik)" in remedy
        assert "Trek de rol eerst bij een andere contactpersoon in" in remedy

    def test_an_expert_admin_is_not_held_back_by_the_maximum(self):
        expert = replace(ANNA, expert_until=date(2027, 1, 1))
        remedy = rules.may_submit(expert, TODAY, counts=counts(in_use=3)).reasons[0].remedy
        assert "bereikt" not in remedy and "(3 van 3 in gebruik)" in remedy

    def test_an_admin_without_a_profile_assigns_it_herself(self):
        anna = replace(ANNA, submitter=True, created_at=OLD)
        decision = rules.may_submit(anna, TODAY, admin_names=ADMINS)
        assert decision.codes == ("no_profile",)
        assert "Anna de Vries" not in decision.reasons[0].remedy
        assert "jezelf een instuurprofiel toewijzen" in decision.reasons[0].remedy
        assert decision.reasons[0].params["self_edit"] == ANNA.id
        held = replace(anna, profiles=(FIN,))
        reason = rules.may_submit(held, TODAY, admin_names=ADMINS, profile=HRM).reasons[0]
        assert reason.code == "profile_not_held" and "jezelf het instuurprofiel HRM/Payroll" in reason.remedy

    def test_non_admins_and_inactive_admins_still_ask_an_admin(self):
        assert "Anna de Vries" in rules.may_submit(GIJS, TODAY, admin_names=ADMINS).reasons[0].remedy
        former = replace(ANNA, active=False)
        remedies = [r.remedy for r in rules.may_submit(former, TODAY, admin_names=ADMINS).reasons]
        assert all("jezelf" not in remedy for remedy in remedies)

    def test_an_admin_may_not_request_a_role(self):
        decision = rules.may_request_role(ANNA, "submitter")
        assert decision.codes == ("self_grant",)
        assert decision.reasons[0].text == (
            "Je bent klantportalbeheerder: je hoeft de rol Incidenten insturen niet aan te vragen."
        )
        assert "Mijn contactpersonen" in decision.reasons[0].remedy
        assert rules.may_request_role(ANNA, "viewer").codes == ("self_grant",)
        assert rules.may_request_role(GIJS, "submitter")
        assert rules.may_request_role(EVA, "submitter")
        assert rules.may_request_role(replace(ANNA, active=False), "submitter")
