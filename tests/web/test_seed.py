"""The demo data: idempotent, and the rules module predicts DESIGN §4's table for it."""

import pytest

from tests.conftest import contact_named
from webapp import access, clock, rules
from webapp.models import TABLES, Organisation, QuotaRun, WebSession
from webapp.seed import seed_demo

SKIP = {QuotaRun, WebSession}  # run log and sessions are not demo data


def snapshot() -> dict:
    return {
        model.__name__: sorted(map(repr, model.select().dicts()))
        for model in TABLES if model not in SKIP
    }


def test_seeding_twice_gives_identical_data(seeded):
    with seeded.app_context():
        first = snapshot()
        seed_demo()
        assert snapshot() == first


# username -> (may submit, may see all incidents, may manage contacts, counts towards maximum)
EXPECTED = {
    "anna.admin": (False, True, True, False),
    "bram.legacy": (True, False, False, True),
    "carla.cursus": (True, False, False, True),
    "daan.onvoldoende": (False, False, False, True),
    "eva.bekijker": (False, True, False, False),
    "femke.expert": (True, False, False, False),
    "gijs.geen": (False, False, False, False),
    "hugo.vandijk": (True, True, True, True),
}


@pytest.mark.parametrize("username", sorted(EXPECTED))
def test_seeded_people_match_the_design_table(seeded, username):
    with seeded.test_request_context():
        facts = contact_named(username).facts()
        today = clock.today()
        observed = (
            bool(rules.may_submit(facts, today, access.settings())),
            rules.may_view_all_incidents(facts),
            bool(rules.may_manage_contacts(facts)),
            rules.counts_towards_maximum(facts, today),
        )
    assert observed == EXPECTED[username]


def test_korenschoof_is_at_its_maximum_of_three(seeded):
    with seeded.app_context():
        counts = Organisation.get(customer_number=10001).counts()
    assert (counts.max_submitters, counts.in_use, counts.experts) == (3, 3, 1)


def test_daan_is_refused_for_his_course_score(seeded):
    with seeded.test_request_context():
        decision = rules.may_submit(contact_named("daan.onvoldoende").facts(), clock.today(),
                                     access.settings())
    assert decision.codes == ("course_not_passed",)
    assert "6,5" in decision.reasons[0].text
