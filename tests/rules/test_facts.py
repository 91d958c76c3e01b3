"""Rules 2–4 on the facts alone: creation dates, scores, profiles, experts (pure functions)."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from tests.rules.people import (
    ADMINS,
    DONE,
    FIN,
    HRM,
    OLD,
    TODAY,
    YESTERDAY,
    attempt,
    contact,
    new_submitter,
)
from webapp import rules
from webapp.clock import AMSTERDAM
from webapp.rules import Attempt, Profile, Settings

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
