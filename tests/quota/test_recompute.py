"""Rule 6 in SQL: crafted peer groups against hand-computed maxima, the SQL's stored figures
against ``rules.quota`` on random data, idempotence, dry runs and a failure midway."""

from datetime import datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from webapp import rules
from webapp.models import Contact, Organisation, QuotaRun
from webapp.quota import recalculation


def maxima(orgs):
    return [Organisation.get_by_id(o.id).max_submitters for o in orgs]


def explained(org) -> str | None:
    """What the support page and the mail say: the rules' wording of the stored figures."""
    worded = rules.explain_stored(
        org.max_band_min, org.max_band_max, org.max_base, org.max_peer_count, org.max_p75, org.max_submitters
    )
    return worded and worded[1]


def group(build, employees, segment, in_use):
    return [build.organisation(employees, segment, n) for n in in_use]


class TestCraftedGroups:
    def test_fewer_than_five_peers_gives_base(self, build):
        orgs = group(build, 180, "Retail", [9, 9, 9, 9, 9])  # each has 4 peers
        recalculation.recompute()
        assert maxima(orgs) == [3] * 5
        org = Organisation.get_by_id(orgs[0].id)
        assert explained(org) == (
            "51–250 medewerkers: basis 3. 4 vergelijkbare klanten (zelfde grootte en segment): "
            "minder dan 5 vergelijkbare klanten, dus het maximum is de basis: 3."
        )
        figures = (org.max_band_min, org.max_band_max, org.max_base, org.max_peer_count, org.max_p75)
        assert figures == (51, 250, 3, 4, None)
        assert org.max_computed_at is not None

    def test_p75_below_base_gives_base(self, build):
        orgs = group(build, 180, "Zorg", [0, 0, 1, 1, 2, 2])  # every p75 is 1 or 2, base 3
        recalculation.recompute()
        assert maxima(orgs) == [3] * 6
        first = Organisation.get_by_id(orgs[0].id)  # peers 0 1 1 2 2: p75 2
        assert first.max_p75 == 2.0
        assert explained(first).endswith("75e percentiel 2 → maximum 3 (niet lager dan de basis).")

    def test_above_twice_base_is_capped(self, build):
        orgs = group(build, 40, "Bouw", [10] * 6)  # base 2
        recalculation.recompute()
        assert maxima(orgs) == [4] * 6
        assert explained(Organisation.get_by_id(orgs[0].id)).endswith(
            "75e percentiel 10 → maximum 4 (niet hoger dan 2 × de basis: 4)."
        )

    def test_mixed_segments_and_bands_exclude_self(self, build):
        retail = group(build, 180, "Retail", [1, 2, 3, 4, 5, 6])
        other_band = build.organisation(600, "Retail", 50)  # 251–1000: not comparable
        other_segment = build.organisation(180, "Horeca", 50)
        industry = group(build, 600, "Industrie", [1, 2, 3, 4, 5, 6, 7])  # base 5
        recalculation.recompute()
        # Without itself: [2..6] -> 5, [1,3,4,5,6] -> 5, ..., [1,2,3,4,6] -> 4, [1..5] -> 4.
        assert maxima(retail) == [5, 5, 5, 5, 4, 4]
        assert maxima([other_band, other_segment]) == [5, 3]
        # [2..7]: p75 5,75 -> 6; [1,2,3,4,6,7]: 5,5 -> 6; [1,2,3,4,5,7]: 4,75 -> 5; [1..6]: 4,75 -> 5.
        assert maxima(industry) == [6, 6, 6, 6, 6, 5, 5]
        last = Organisation.get_by_id(industry[-1].id)
        assert explained(last) == (
            "251–1000 medewerkers: basis 5. 6 vergelijkbare klanten (zelfde grootte en segment), "
            "75e percentiel 4,75 → maximum 5."
        )
        assert (last.max_peer_count, last.max_p75) == (6, 4.75)

    def test_expired_certification_counts_from_the_day_after(self, build):
        expired = group(build, 5, "Verlopen", [1] * 5)  # base 1, cap 2
        for org in expired:
            build.expired_expert(org)  # in use 2 each
        group(build, 5, "Geldig", [1] * 5)  # experts through today: in use 1 each
        targets = [build.organisation(5, "Verlopen"), build.organisation(5, "Geldig")]
        recalculation.recompute()
        assert maxima(targets) == [2, 1]

    def test_band_table_is_configuration(self, make_app):
        app = make_app(QUOTA_BANDS=[[1, 100, 2], [101, None, 4]])
        with app.app_context():
            small = Organisation.create(customer_number=1, name="a", employee_count=80, segment="x")
            large = Organisation.create(customer_number=2, name="b", employee_count=5000, segment="x")
            recalculation.recompute()
            assert maxima([small, large]) == [2, 4]
            large = Organisation.get_by_id(large.id)
            assert (large.max_band_min, large.max_band_max, large.max_base) == (101, None, 4)
            assert explained(large).startswith("101 of meer medewerkers: basis 4.")

    def test_overlapping_bands_are_refused(self, make_app):
        app = make_app(QUOTA_BANDS=[[1, 100, 2], [50, None, 4]])
        with app.app_context(), pytest.raises(ValueError, match="overlap"):
            recalculation.recompute()


EMPLOYEES = [0, 5, 10, 11, 180, 600, 2000, 6000]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(
        st.tuples(st.sampled_from(EMPLOYEES), st.sampled_from(["A", "B"]), st.integers(0, 20)),
        max_size=40,
    )
)
def test_sql_equals_policy_quota(app, data):
    with app.app_context():
        Contact.delete().execute()
        Organisation.delete().execute()
        for number, (employees, segment, in_use) in enumerate(data):
            org = Organisation.create(
                customer_number=number, name=f"k{number}", employee_count=employees, segment=segment
            )
            if in_use:
                Contact.insert_many(
                    [
                        {"organisation": org.id, "name": f"p{i}", "email": f"p{i}@x", "submitter": True,
                         "created_at": datetime(2024, 1, 1)}
                        for i in range(in_use)
                    ]
                ).execute()
        recalculation.recompute()
        bands = recalculation.bands()
        orgs = list(Organisation.select().order_by(Organisation.customer_number))
        for org, (employees, segment, _) in zip(orgs, data, strict=True):
            band = rules.band_for(employees, bands)
            peers = [
                n
                for other, (e, s, n) in enumerate(data)
                if other != org.customer_number and s == segment and rules.band_for(e, bands) == band
            ]
            expected = rules.quota(employees, peers, bands)
            assert org.max_submitters == expected.max_submitters
            assert (org.max_band_min, org.max_band_max, org.max_base, org.max_peer_count) == (
                band.min_employees, band.max_employees, band.base, len(peers)
            )
            assert org.max_p75 == expected.p75
            assert explained(org) == expected.explanation


class TestRun:
    def test_idempotent_and_recorded(self, build):
        orgs = group(build, 180, "Retail", [1, 2, 3, 4, 5, 6])
        first = recalculation.recompute()

        def state():
            rows = Organisation.select().order_by(Organisation.id)
            return [(o.max_submitters, o.max_base, o.max_peer_count, o.max_p75) for o in rows]

        before = state()
        second = recalculation.recompute()
        assert len(first.changes) == 6 and second.changes == []
        assert state() == before
        runs = list(QuotaRun.select().order_by(QuotaRun.id))
        assert [(r.outcome, r.organisations_changed) for r in runs] == [("ok", 6), ("ok", 0)]
        assert all(r.finished_at >= r.started_at for r in runs)
        assert maxima(orgs) == [5, 5, 5, 5, 4, 4]

    def test_writes_only_organisations_whose_figures_changed(self, build, monkeypatch):
        retail = group(build, 180, "Retail", [1, 2, 3, 4, 5, 6])
        industry = group(build, 600, "Industrie", [1, 2, 3, 4, 5, 6, 7])
        monkeypatch.setattr(recalculation.clock, "now", lambda: datetime(2026, 11, 1, 1, 0))
        recalculation.recompute()

        def stamps(orgs):
            return [Organisation.get_by_id(o.id).max_computed_at for o in orgs]

        monkeypatch.setattr(recalculation.clock, "now", lambda: datetime(2026, 11, 2, 1, 0))
        assert recalculation.recompute().changes == []
        assert set(stamps(retail + industry)) == {datetime(2026, 11, 1, 1, 0)}  # nothing rewritten

        # A seventh Retail customer: every Retail member gains a peer, so every Retail row
        # is rewritten, also where the maximum stays; Industrie is untouched.
        retail.append(build.organisation(180, "Retail", 3))
        monkeypatch.setattr(recalculation.clock, "now", lambda: datetime(2026, 11, 3, 1, 0))
        recalculation.recompute()
        assert set(stamps(retail)) == {datetime(2026, 11, 3, 1, 0)}
        assert {Organisation.get_by_id(o.id).max_peer_count for o in retail} == {6}
        assert set(stamps(industry)) == {datetime(2026, 11, 1, 1, 0)}

    def test_dry_run_changes_nothing(self, build):
        orgs = group(build, 180, "Retail", [1, 2, 3, 4, 5, 6])
        outcome = recalculation.recompute(dry_run=True)
        assert sorted(c.after for c in outcome.changes) == [4, 4, 5, 5, 5, 5]
        assert maxima(orgs) == [0] * 6
        assert QuotaRun.select().count() == 0
        assert explained(Organisation.get_by_id(orgs[0].id)) is None

    def test_failure_midway_changes_nothing(self, build, monkeypatch):
        group(build, 180, "Retail", [1, 2, 3, 4, 5, 6])
        recalculation.recompute()
        build.contacts(Organisation.select().first(), [dict(submitter=True)] * 10)  # would change maxima

        def state():
            return [
                (o.max_submitters, o.max_band_min, o.max_computed_at, o.max_peer_count, o.max_p75)
                for o in Organisation.select().order_by(Organisation.id)
            ]

        before = state()

        def fail(run, outcome):
            raise RuntimeError("injected after the update")

        monkeypatch.setattr(recalculation, "_finish", fail)
        with pytest.raises(RuntimeError, match="injected"):
            recalculation.recompute()
        assert state() == before
        last = QuotaRun.select().order_by(QuotaRun.id.desc()).first()
        assert last.outcome == "failed" and "injected" in last.message and last.finished_at

    def test_lists_maxima_below_in_use(self, build):
        orgs = group(build, 180, "Retail", [6, 6, 6, 6, 6, 6])
        recalculation.recompute()
        assert maxima(orgs) == [6] * 6
        # Everyone else revokes: the first keeps 6 in use while its peers drop to 0.
        Contact.update(submitter=False).where(Contact.organisation.in_([o.id for o in orgs[1:]])).execute()
        outcome = recalculation.recompute()
        below = outcome.below_in_use
        assert [(c.customer_number, c.before, c.after, c.in_use) for c in below] == [
            (orgs[0].customer_number, 6, 3, 6)
        ]

    def test_cli(self, build, runner):
        group(build, 180, "Retail", [1, 2, 3, 4, 5, 6])
        dry = runner.invoke(args=["quota", "recompute", "--dry-run"])
        assert dry.exit_code == 0, dry.output
        assert "0 → 5" in dry.output and "6 zou wijzigen" in dry.output
        real = runner.invoke(args=["quota", "recompute"])
        assert real.exit_code == 0, real.output
        assert "6 organisaties herberekend, 6 gewijzigd" in real.output
