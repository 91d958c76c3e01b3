"""Every rule of DESIGN.md §1 at its boundaries (pure functions, no database)."""

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from tests.rules.people import (
    ADMINS,
    ANNA,
    BRAM,
    CARLA,
    DAAN,
    DEMO_COUNTS,
    EVA,
    FEMKE,
    FIN,
    GIJS,
    OLD,
    ORG,
    OTHER_ORG,
    TODAY,
    contact,
    new_submitter,
)
from webapp import rules
from webapp.rules import (
    Decision,
    Reason,
    Settings,
)


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
