"""Rule 6: the per-organisation maximum from band, peers and their 75th percentile."""

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from webapp import rules
from webapp.rules import DEFAULT_BANDS, MIN_PEERS, Band


def reference_p75(values):
    """Textbook linear interpolation (PostgreSQL percentile_cont, numpy 'linear')."""
    v = sorted(values)
    h = (len(v) - 1) * 0.75
    lo = int(h)
    hi = min(lo + 1, len(v) - 1)
    return v[lo] + (h - lo) * (v[hi] - v[lo])


class TestPercentile:
    @pytest.mark.parametrize(
        ("values", "expected"),
        [
            ([1, 2, 3, 4, 5], 4.0),
            ([1, 2, 3, 4, 5, 6], 4.75),
            ([5, 4, 3, 2, 1], 4.0),
            ([7], 7.0),
            ([1, 2], 1.75),
            ([0, 0, 0, 0, 10], 0.0),
            ([1, 1, 2, 3, 3, 4, 6], 3.5),
            ([2, 3, 3, 4, 5, 5, 6, 9], 5.25),
            ([1.5, 2.5, 3.5, 4.5, 5.5], 4.5),
        ],
    )
    def test_hand_computed(self, values, expected):
        assert rules.percentile_75(values) == pytest.approx(expected)
        assert isinstance(rules.percentile_75(values), float)

    def test_empty_raises(self):
        with pytest.raises(ValueError):
            rules.percentile_75([])

    def test_does_not_mutate_input(self):
        values = [3, 1, 2]
        rules.percentile_75(values)
        assert values == [3, 1, 2]


class TestBands:
    @pytest.mark.parametrize(
        ("employees", "base"),
        [
            (-5, 1),
            (0, 1),
            (1, 1),
            (10, 1),
            (11, 2),
            (50, 2),
            (51, 3),
            (180, 3),
            (250, 3),
            (251, 5),
            (1000, 5),
            (1001, 8),
            (5000, 8),
            (5001, 12),
            (10**7, 12),
        ],
    )
    def test_boundaries(self, employees, base):
        assert rules.band_for(employees).base == base

    def test_default_table(self):
        assert (
            Band(1, 10, 1),
            Band(11, 50, 2),
            Band(51, 250, 3),
            Band(251, 1000, 5),
            Band(1001, 5000, 8),
            Band(5001, None, 12),
        ) == DEFAULT_BANDS
        assert MIN_PEERS == 5

    def test_table_is_configuration(self):
        bands = (Band(1, 100, 4), Band(101, None, 9))
        assert rules.band_for(100, bands).base == 4
        assert rules.band_for(101, bands).base == 9
        assert rules.quota(150, [], bands).max_submitters == 9


class TestQuota:
    def test_fewer_than_five_peers_gives_base(self):
        r = rules.quota(180, [9, 9, 9, 9])
        assert r.base == 3
        assert r.peer_count == 4
        assert r.p75 is None
        assert r.max_submitters == 3
        assert "minder dan 5 vergelijkbare klanten, dus het maximum is de basis: 3." in (r.explanation)
        assert r.explanation.startswith("51–250 medewerkers: basis 3.")

    def test_no_peers(self):
        r = rules.quota(5, [])
        assert (r.base, r.peer_count, r.max_submitters) == (1, 0, 1)

    def test_exactly_five_peers_used(self):
        r = rules.quota(180, [1, 2, 3, 4, 5])
        assert r.peer_count == 5
        assert r.p75 == 4.0
        assert r.max_submitters == 4

    def test_peers_below_base_give_base(self):
        r = rules.quota(180, [0, 1, 1, 1, 2])
        assert r.p75 == 1.0
        assert r.max_submitters == 3
        assert "niet lager dan de basis" in r.explanation

    def test_above_base_gives_ceil_p75(self):
        r = rules.quota(180, [1, 2, 3, 4, 5, 6])  # p75 4.75
        assert r.max_submitters == 5
        r = rules.quota(180, [2, 3, 3, 4, 4, 5, 9])  # p75 4.5
        assert r.max_submitters == 5

    def test_whole_p75_not_rounded_up(self):
        r = rules.quota(180, [4, 4, 4, 4, 4])
        assert r.max_submitters == 4

    def test_float_noise_does_not_round_up(self):
        # (0.1 + 0.2) * 20 == 6.000000000000001: a p75 of 6 within float error stays 6
        noisy = (0.1 + 0.2) * 20
        assert noisy > 6
        assert math.ceil(noisy) == 7
        r = rules.quota(500, [noisy] * 5)  # base 5, cap 10
        assert r.max_submitters == 6

    def test_capped_at_twice_base(self):
        r = rules.quota(180, [10, 20, 30, 40, 50])
        assert r.max_submitters == 6
        assert "niet hoger dan 2 × de basis: 6" in r.explanation

    def test_explanation_matches_design_example(self):
        r = rules.quota(180, [2, 3, 3, 4, 4, 5, 5])  # 7 peers; p75 = 4.5
        assert r.explanation == (
            "51–250 medewerkers: basis 3. 7 vergelijkbare klanten (zelfde grootte en segment), "
            "75e percentiel 4,5 → maximum 5."
        )
        r = rules.quota(180, [1, 2, 3, 4, 4, 5, 6, 7, 8])  # p75 = 6
        assert "75e percentiel 6 → maximum 6." in r.explanation

    def test_decimal_p75_in_explanation(self):
        r = rules.quota(180, [1, 2, 3, 4, 5, 6])
        assert "75e percentiel 4,75 → maximum 5." in r.explanation

    def test_open_band_label(self):
        r = rules.quota(6000, [])
        assert r.explanation.startswith("5001 of meer medewerkers: basis 12.")

    def test_min_peers_configurable(self):
        assert rules.quota(180, [6, 6, 6], min_peers=3).max_submitters == 6
        assert rules.quota(180, [6, 6, 6], min_peers=4).max_submitters == 3


peers = st.lists(st.integers(min_value=0, max_value=200), max_size=40)
employee_counts = st.integers(min_value=-10, max_value=20_000)


# Pure arithmetic; no deadline, so a busy machine cannot make these flaky.
relaxed = settings(deadline=None)


class TestProperties:
    @relaxed
    @given(employee_counts, peers)
    def test_within_base_and_twice_base(self, employees, peer_in_use):
        r = rules.quota(employees, peer_in_use)
        assert r.base == rules.band_for(employees).base
        assert r.base <= r.max_submitters <= 2 * r.base
        if len(peer_in_use) < MIN_PEERS:
            assert r.max_submitters == r.base

    @relaxed
    @given(employee_counts, peers, st.data())
    def test_monotone_in_peers(self, employees, peer_in_use, data):
        if not peer_in_use:
            return
        i = data.draw(st.integers(min_value=0, max_value=len(peer_in_use) - 1))
        raise_by = data.draw(st.integers(min_value=0, max_value=50))
        raised = list(peer_in_use)
        raised[i] += raise_by
        before = rules.quota(employees, peer_in_use).max_submitters
        after = rules.quota(employees, raised).max_submitters
        assert after >= before

    @relaxed
    @given(employee_counts, peers)
    def test_adding_a_peer_never_matters_below_min_peers(self, employees, peer_in_use):
        r = rules.quota(employees, peer_in_use[: MIN_PEERS - 1])
        assert r.max_submitters == r.base

    @relaxed
    @given(st.lists(st.integers(min_value=0, max_value=10_000), min_size=1, max_size=60))
    def test_p75_equals_reference(self, values):
        assert rules.percentile_75(values) == pytest.approx(reference_p75(values), abs=1e-9)

    @relaxed
    @given(st.lists(st.floats(min_value=0, max_value=1000, allow_nan=False), min_size=1, max_size=30))
    def test_p75_between_min_and_max(self, values):
        p = rules.percentile_75(values)
        assert min(values) - 1e-9 <= p <= max(values) + 1e-9

    @relaxed
    @given(employee_counts, st.lists(st.integers(0, 200), min_size=MIN_PEERS, max_size=40))
    def test_max_is_clamped_ceil_of_p75(self, employees, peer_in_use):
        r = rules.quota(employees, peer_in_use)
        expected = min(max(math.ceil(reference_p75(peer_in_use)), r.base), 2 * r.base)
        assert r.max_submitters == expected
        assert r.p75 == pytest.approx(reference_p75(peer_in_use))


class TestExplainStored:
    """The support page and the mail word an organisation's stored figures with this."""

    @relaxed
    @given(employee_counts, peers)
    def test_the_stored_figures_say_what_the_computation_said(self, employees, peer_in_use):
        r = rules.quota(employees, peer_in_use)
        stored = (r.band.min_employees, r.band.max_employees, r.base, r.peer_count, r.p75, r.max_submitters)
        assert rules.explain_stored(*stored) == (r.band.label, r.explanation)

    def test_the_open_band(self):
        band, text = rules.explain_stored(5001, None, 12, 2, None, 12)
        assert band == "5001 of meer medewerkers"
        assert text.startswith("5001 of meer medewerkers: basis 12. 2 vergelijkbare klanten")

    def test_not_yet_compared(self):
        band, text = rules.explain_stored(11, 50, 2, None, None, 2)
        assert band == "11–50 medewerkers"
        assert text == rules.uncompared_explanation(Band(11, 50, 2), 2)
        assert "Nog niet vergeleken" in text

    def test_nothing_stored(self):
        assert rules.explain_stored(None, None, None, None, None, 0) is None
