"""Starting from today's occupancy: remaining stays are drawn conditional on the time already stayed.

Checked against the transient infinite-server result: with places never binding, the expected number in
place t days after the start is sum_i P(S > e_i + t) / P(S > e_i) + lambda * int_0^t P(S > u) du, where e_i
is youth i's time already stayed.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import integrate

from sim.engine import stays
from sim.run.worker import Experiment
from sim.scenario.loading import ScenarioError, validate_data
from tests.helpers import pool, scenario_of

ELAPSED = [(5, 6), (40, 5), (120, 4), (300, 2)]  # (days stayed, youths)


def start_pool(**kw):
    data = pool(
        places=500, per_year=365.25 * 0.5, mean_stay=60, distribution="lognormal", cv=1.2, years=1, warmup_days=0, **kw
    )
    data["start_state"] = {
        "placed": [{"institution": "A", "type": "remand", "days_stayed": e, "count": c} for e, c in ELAPSED],
        "waiting": [],
    }
    return data


def test_expected_occupancy_after_start_matches_transient_infinite_server():
    scenario = scenario_of(start_pool(replications=400))
    exp = Experiment(scenario)
    stay = scenario.placement_types["remand"].stay
    lam = 0.5
    days = [1, 10, 30, 90, 200]
    census = np.array([exp.replicate(r)[1][0] for r in range(scenario.horizon.replications)])  # national occupancy
    for d in days:
        t = float(d)  # census at the end of day d-1 is time d
        carried = sum(c * stays.survival(stay, e + t) / stays.survival(stay, e) for e, c in ELAPSED)
        arrived = lam * integrate.quad(lambda u: stays.survival(stay, u), 0, t)[0]
        theory = carried + arrived
        sample = census[:, d - 1]
        se = sample.std(ddof=1) / np.sqrt(sample.size)
        # 400 independent replications: the mean is within 4 standard errors of the truth except with
        # probability about 6e-5 per day checked
        assert abs(sample.mean() - theory) < 4 * se, (d, sample.mean(), theory, se)


def test_youths_in_place_at_start_are_counted_from_the_first_day():
    scenario = scenario_of(start_pool(replications=2))
    rec = Experiment(scenario).records(0)
    start = rec.youths.start_unit >= 0
    assert start.sum() == sum(c for _, c in ELAPSED)
    assert np.all(rec.admitted[start] < 0)
    # the remaining stay is never negative: everyone leaves after the start
    left = rec.left[start]
    assert np.all(np.isnan(left) | (left >= 0))


def test_waiting_at_start_are_placed_first_in_order_of_waiting():
    data = start_pool(replications=2)
    data["institutions"]["A"]["units"]["main"]["places"] = 17  # all taken by the placed youths
    data["start_state"]["waiting"] = [
        {"type": "remand", "days_waited": 3, "home": "R"},
        {"type": "remand", "days_waited": 9, "home": "R"},
    ]
    rec = Experiment(scenario_of(data)).records(0)
    waiting = np.flatnonzero((rec.youths.arrival < 0) & (rec.youths.start_unit < 0))
    assert len(waiting) == 2
    first, second = waiting[np.argsort(rec.youths.arrival[waiting])]
    assert rec.admitted[first] < rec.admitted[second]  # the one who waited 9 days goes first


def test_fast_core_and_reference_agree_with_a_start_state():
    data = start_pool(replications=2, withdrawal_mean=5)
    data["institutions"]["A"]["units"]["main"]["places"] = 16  # over capacity at the start: places drain
    data["start_state"]["waiting"] = [{"type": "remand", "days_waited": 2, "home": "R", "count": 3}]
    exp = Experiment(scenario_of(data))
    fast, ref = exp.records(1), exp.records(1, reference=True)
    for field in ("admitted", "left", "withdrawn", "unit", "open_log"):
        assert np.array_equal(getattr(fast, field), getattr(ref, field), equal_nan=True), field


def test_start_state_with_a_warmup_or_unknown_institution_is_refused():
    data = start_pool()
    data["horizon"]["warmup_days"] = 30
    data["start_state"]["placed"][0]["institution"] = "Nowhere"
    with pytest.raises(ScenarioError) as info:
        validate_data(data, {}, "snap.yaml")
    message = str(info.value)
    assert "warmup_days" in message and "unknown institution 'Nowhere'" in message


def test_departures_tied_with_planned_changes_keep_the_queue_order():
    """Departures sit in their own heap (sim.engine.model); at equal times they must still come in the order one
    SimPy queue gives. Integer stays of youths placed at the start end exactly on the days capacity changes,
    and the order decides whether a freed place closes or goes to a waiting youth, so the open-places log
    and the admissions differ if the tie is broken the other way."""
    data = start_pool(replications=2)
    data["placement_types"]["remand"]["stay"] = {"distribution": "empirical", "observed": [10, 20, 30]}
    data["start_state"]["placed"] = [{"institution": "A", "type": "remand", "days_stayed": 5, "count": 12}]
    data["start_state"]["waiting"] = [{"type": "remand", "days_waited": 1, "home": "R", "count": 4}]
    unit = data["institutions"]["A"]["units"]["main"]
    unit["places"] = 12
    unit["changes"] = [
        {"date": "2025-01-06", "places": 11},
        {"date": "2025-01-16", "places": 9},
        {"date": "2025-01-26", "places": 12},
    ]
    exp = Experiment(scenario_of(data))
    for r in range(2):
        fast, ref = exp.records(r), exp.records(r, reference=True)
        start = fast.youths.start_unit >= 0
        ends = fast.left[start]
        assert np.isin(ends, [5.0, 15.0, 25.0]).sum() >= 3  # real ties with the change days 5, 15 and 25
        for field in ("admitted", "left", "withdrawn", "unit", "open_log"):
            assert np.array_equal(getattr(fast, field), getattr(ref, field), equal_nan=True), field


def test_a_place_freed_when_patience_runs_out_goes_to_the_waiting_youth():
    """The other direction of a tie: a departure scheduled before a withdrawal at the same moment comes first,
    so the waiting youth gets the place instead of leaving the list. One place; the youth in it leaves on day
    5 (stayed 5 of 10 days), the youth waiting 2 days runs out of patience on day 5 (7 days in all)."""
    data = pool(places=1, per_year=0.0, years=0.1, warmup_days=0, replications=2)
    ptype = data["placement_types"]["remand"]
    ptype["stay"] = {"distribution": "empirical", "observed": [10, 10]}
    ptype["withdrawal"] = {"distribution": "empirical", "observed": [7, 7]}
    data["start_state"] = {
        "placed": [{"institution": "A", "type": "remand", "days_stayed": 5}],
        "waiting": [{"type": "remand", "days_waited": 2, "home": "R"}],
    }
    exp = Experiment(scenario_of(data))
    fast, ref = exp.records(0), exp.records(0, reference=True)
    placed, waiting = np.flatnonzero(fast.youths.start_unit >= 0)[0], np.flatnonzero(fast.youths.start_unit < 0)[0]
    assert fast.left[placed] == 5.0
    assert fast.admitted[waiting] == 5.0 and np.isnan(fast.withdrawn[waiting])
    for field in ("admitted", "left", "withdrawn", "unit", "open_log"):
        assert np.array_equal(getattr(fast, field), getattr(ref, field), equal_nan=True), field
