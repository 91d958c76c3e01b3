"""Rules 1 and 2 at their boundaries: who manages contacts, grants and revokes roles,
(de)activates contacts, and where a refusal is shown (pure functions, no database)."""

from dataclasses import replace
from datetime import date

import pytest

from tests.rules.people import (
    ADMINS,
    ANNA,
    BRAM,
    EVA,
    FIN,
    GIJS,
    HRM,
    OLD,
    OTHER_ORG,
    TODAY,
    YESTERDAY,
    contact,
)
from webapp import rules
from webapp.rules import OrgCounts

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


# --- (De)activating a contact is a role change where it touches one (rules 1, 2) ----------


class TestChangeActive:
    def test_deactivating_the_last_admin_is_refused_like_revoking_her_role(self):
        d = rules.may_change_active(ANNA, ANNA, False, counts(admins=1), TODAY)
        assert d.codes == ("last_admin",)
        assert rules.may_change_active(ANNA, ANNA, False, counts(admins=2), TODAY)

    def test_reactivating_a_submitter_takes_a_place_under_the_maximum(self):
        gone = replace(TARGET, active=False, submitter=True)
        d = rules.may_change_active(ANNA, gone, True, counts(max_submitters=3, in_use=3), TODAY)
        assert d.codes == ("maximum_reached",)
        assert rules.may_change_active(ANNA, gone, True, counts(max_submitters=3, in_use=2), TODAY)
        expert = replace(gone, expert_until=TODAY)
        assert rules.may_change_active(ANNA, expert, True, counts(max_submitters=3, in_use=3), TODAY)

    def test_other_contacts_only_need_an_admin_of_the_same_organisation(self):
        assert rules.may_change_active(ANNA, TARGET, False, counts(in_use=9, admins=1), TODAY)
        assert rules.may_change_active(EVA, TARGET, False, counts(), TODAY).codes == ("not_admin",)
        other = replace(TARGET, organisation_id=OTHER_ORG)
        assert rules.may_change_active(ANNA, other, False, counts(), TODAY).codes == ("not_found",)


class TestRefusalAboutTarget:
    """Which toggle refusals are shown beside the toggled contact's checkbox."""

    @pytest.mark.parametrize(
        ("target", "role", "grant", "about_target"),
        [
            (TARGET, "submitter", True, True),  # maximum reached
            (ANNA, "admin", False, True),  # the last admin
            (replace(TARGET, active=False), "viewer", True, True),  # inactive contact
            (TARGET, "superuser", True, False),  # about the request itself
            (replace(TARGET, organisation_id=OTHER_ORG), "viewer", True, False),  # not found
        ],
    )
    def test_as_an_admin(self, target, role, grant, about_target):
        d = rules.may_change_role(ANNA, target, role, grant, counts(in_use=3, admins=1), TODAY)
        assert not d
        assert rules.refusal_about_target(d) is about_target

    def test_a_refused_actor_is_not_about_the_target(self):
        d = rules.may_change_role(EVA, TARGET, "viewer", True, counts(), TODAY)
        assert d.codes == ("not_admin",)
        assert not rules.refusal_about_target(d)

    def test_an_allowed_change_is_no_refusal(self):
        allowed = rules.may_change_role(ANNA, TARGET, "viewer", True, counts(), TODAY)
        assert allowed
        assert not rules.refusal_about_target(allowed)
