"""Where youths are placed: home-first windows and refusals (issue 15), checked from the records."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from sim.run.worker import Experiment
from tests.helpers import scenario_of
from tests.test_policies import check_capacity_and_conservation
from tests.test_reference import check


def three_regions(**allocation) -> dict:
    """Three regions with one institution each, remand and social youths, a danger attribute."""
    data = {
        "name": "regions",
        "horizon": {"start": "2025-01-01", "years": 3, "warmup_days": 60, "replications": 4, "seed": 3},
        "regions": ["North", "Mid", "South"],
        "attributes": {"danger": {"high": 0.25, "low": 0.75}},
        "institutions": {
            "A": {"region": "North", "units": {"main": {"places": 4}}},
            "B": {"region": "Mid", "units": {"main": {"places": 4}}},
            "C": {"region": "South", "units": {"main": {"places": 4}}},
        },
        "placement_types": {
            "remand": {
                "priority": 1,
                "demand": {"per_year": 365 * 1.4, "regions": {"North": 0.5, "Mid": 0.25, "South": 0.25}},
                "stay": {"distribution": "exponential", "mean": 5.0},
            },
            "social": {
                "priority": 2,
                "demand": {"per_year": 365 * 0.6, "regions": {"North": 0.3, "Mid": 0.4, "South": 0.3}},
                "stay": {"distribution": "gamma", "mean": 6.0, "cv": 0.7},
                "withdrawal": {"distribution": "exponential", "mean": 8.0},
            },
        },
        "allocation": {"nearest": {"North": ["Mid", "South"], "Mid": ["North", "South"], "South": ["Mid", "North"]}},
    }
    data["allocation"].update(allocation)
    return data


def with_refusals(data: dict, **refuses) -> dict:
    data = copy.deepcopy(data)
    for name, probs in refuses.items():
        data["institutions"][name]["refuses"] = {"danger": probs}
    return data


@pytest.mark.parametrize(
    "data",
    [
        three_regions(home_first_days={"remand": 3}),
        with_refusals(three_regions(), A={"high": 0.9}, B={"high": 1.0, "low": 0.1}),
        with_refusals(
            three_regions(home_first_days={"remand": 2, "social": 5}, move_nearer_home=True), C={"high": 0.7}
        ),
    ],
    ids=["home-first", "refusals", "both-with-moves"],
)
def test_the_reference_model_gives_identical_records(data):
    recs = check(Experiment(scenario_of(data)), range(3))
    assert any(len(r.refusals) for r in recs) or "refuses" not in str(data)


def test_identical_records_with_every_policy_and_the_new_rules():
    data = with_refusals(three_regions(home_first_days={"remand": 2}, move_nearer_home=True), A={"high": 0.8})
    data["institutions"]["B"]["emergency"] = {"places": 1, "max_days": 3}
    data["flexible"] = {
        "pool": {
            "institution": "C",
            "places": 2,
            "trigger": {"queue_at_least": 2, "for_days": 1},
            "lead_days": 5,
            "close_after_empty_days": 5,
        }  # fmt: skip
    }
    recs = check(Experiment(scenario_of(data)), range(3))
    assert all(len(r.refusals) and len(r.moves) for r in recs)


def test_a_refused_value_is_placed_only_where_it_is_not_refused():
    """Every institution but C refuses youths with a high danger score: those are placed only in C, and every
    youth is still waiting, placed, withdrawn or gone exactly once."""
    data = with_refusals(three_regions(), A={"high": 1.0}, B={"high": 1.0})
    exp = Experiment(scenario_of(data))
    for r in range(3):
        rec = exp.records(r)
        check_capacity_and_conservation(exp, rec)
        high = rec.youths.attributes[:, 0] == 0
        placed = rec.unit >= 0
        assert set(rec.unit[high & placed]) == {exp.network.unit_index("C")}
        assert set(rec.unit[~high & placed]) == {0, 1, 2}
        # a refusal is counted once a youth and institution, only for youths the institution refuses
        pairs = {(int(y), int(i)) for _, y, i in rec.refusals}
        assert len(pairs) == len(rec.refusals) and all(high[y] and i in (0, 1) for y, i in pairs)


def test_home_first_places_a_youth_at_home_in_its_window():
    """During its first 4 days a remanded youth takes only places in its home region; after them anywhere."""
    exp = Experiment(scenario_of(three_regions(home_first_days={"remand": 4})))
    region_of_unit = np.array([u.region for u in exp.network.units])
    for r in range(3):
        rec = exp.records(r)
        check_capacity_and_conservation(exp, rec)
        y = rec.youths
        remand = (y.type == 0) & (rec.unit >= 0)
        in_window = remand & (rec.admitted - y.arrival < 4 - 1e-9)
        assert np.all(region_of_unit[rec.unit[in_window]] == y.home[in_window])
        late = remand & (rec.admitted - y.arrival >= 4)
        assert np.any(region_of_unit[rec.unit[late]] != y.home[late]), "some should go elsewhere after the window"


def test_with_a_long_home_first_window_a_region_waits_for_its_own_places():
    """Home first for a year for both types: each region waits for its own places, so two more places in
    North shorten North's remand waits and barely move the others' (paired replications: the same youths).
    Tolerance: other regions within 10 % (+0.05 days); what moves them is only the social youths' withdrawal,
    which depends on nothing else here, so any change beyond rounding would be a leak between regions."""

    def waits(data: dict) -> dict[str, float]:
        exp = Experiment(scenario_of(data))
        keys = exp.layout.keys
        values = np.mean([exp.replicate(r).values for r in range(6)], axis=0)
        return {reg: values[keys.index(("wait_days_mean", reg, "remand"))] for reg in ("North", "Mid", "South")}

    base = three_regions(home_first_days={"remand": 365, "social": 365})
    more = copy.deepcopy(base)
    more["institutions"]["A"]["units"]["main"]["places"] = 6
    before, after = waits(base), waits(more)
    assert after["North"] < 0.5 * before["North"], (before, after)
    for reg in ("Mid", "South"):
        assert abs(after[reg] - before[reg]) < 0.1 * before[reg] + 0.05, (reg, before, after)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["allocation"].update(home_first_days={"custody": 3}),
         "allocation.home_first_days.custody.[key]: unknown value 'custody'"),
        (lambda d: d["allocation"].update(home_first_days={"remand": -1}),
         "allocation.home_first_days.remand: input should be greater than or equal to 0"),
        (lambda d: d["allocation"].update(travel_hours={"North": {"Mid": 1.0}}),
         "allocation.travel_hours: no hours for North-South, Mid-South (give every pair)"),
        (lambda d: d["allocation"].update(travel_hours={"North": {"Mid": -1.0, "South": 2}, "Mid": {"South": 1}}),
         "allocation.travel_hours.North.Mid: input should be greater than or equal to 0"),
        (lambda d: d["allocation"].update(max_travel_hours=2),
         "allocation.max_travel_hours: give allocation.travel_hours"),
        (lambda d: d["institutions"]["A"].update(refuses={"danger": {"high": 1.5}}),
         "institutions.A.refuses.danger.high: input should be less than or equal to 1"),
        (lambda d: d["institutions"]["A"].update(refuses={"danger": {"extreme": 0.5}}),
         "institutions.A.refuses.danger: unknown value(s) extreme (known: high, low)"),
        (lambda d: d["institutions"]["A"].update(refuses={"size": {"big": 0.5}}),
         "institutions.A.refuses.size: unknown attribute"),
    ],
    ids=["home-first-type", "home-first-negative", "travel-pair-missing", "travel-negative", "max-travel-alone",
         "refusal-above-1", "refusal-unknown-value", "refusal-unknown-attribute"],
)  # fmt: skip
def test_bad_placement_rules_are_refused_naming_file_and_key(change, message):
    from sim.scenario.loading import ScenarioError, validate_data

    data = three_regions()
    change(data)
    with pytest.raises(ScenarioError) as err:
        validate_data(data, {}, "s.yaml")
    assert any(p.startswith("s.yaml: ") and message in p for p in err.value.problems), err.value.problems
