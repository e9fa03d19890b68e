"""The fast callback model and the plain SimPy reference give identical records, policies included.

Both run on the same random inputs; every field of the records (admissions, units, departures, withdrawals,
open places, moves, openings, overdue emergency places, the number of events) must be exactly equal. The
scenarios: the baseline with planned changes, every shipped scenario (shortened), the golden policy scenario
(every policy at once), and small scenarios on two regions (one on three) that stress one policy at a time or a
few together, some built so that events fall on exactly the same time (zero trigger and lead times, a full
start state, whole-day stays, patience, limits and change days).
"""

from __future__ import annotations

import copy
import dataclasses

import numpy as np
import pytest

from sim.engine.records import MOVE_EMERGENCY_ENDS, MOVE_NEARER_HOME, MOVE_OVERDUE, Records
from sim.run.worker import Experiment
from sim.scenario.loading import load_scenario, with_horizon
from tests.helpers import BASELINE, ROOT, scenario_of


def assert_identical(fast: Records, ref: Records) -> None:
    for f in dataclasses.fields(Records):
        a, b = getattr(fast, f.name), getattr(ref, f.name)
        if f.name == "youths":
            for g in dataclasses.fields(a):
                np.testing.assert_array_equal(getattr(b, g.name), getattr(a, g.name), err_msg=g.name, strict=True)
        elif isinstance(a, np.ndarray):
            np.testing.assert_array_equal(b, a, err_msg=f.name, strict=True)  # exact; NaN equals NaN
        else:
            assert b == a, f.name  # events, end


def check(exp: Experiment, replications) -> list[Records]:
    out = []
    for r in replications:
        fast = exp.records(r)
        assert_identical(fast, exp.records(r, reference=True))
        out.append(fast)
    return out


# --- the shipped scenarios ---------------------------------------------------------------------------------
def test_baseline_with_planned_closures_and_openings():
    s = load_scenario(
        BASELINE,
        [
            "horizon.years=4",
            "institutions.Sølager.units.main.changes=[{date: 2026-01-01, add: -6}, {date: 2027-06-01, add: 8}]",
            "institutions.Koglen.units.main.changes=[{date: 2025-07-01, places: 0}]",
        ],
    )
    check(Experiment(s), range(2))


def test_golden_policy_scenario_every_policy_at_once():
    recs = check(Experiment(load_scenario(ROOT / "tests" / "golden" / "scenarios" / "policies.yaml")), range(4))
    assert all(len(r.openings) and len(r.overdue) for r in recs)
    reasons = set(np.concatenate([r.moves[:, 4] for r in recs]).tolist())
    assert reasons == {MOVE_EMERGENCY_ENDS, MOVE_OVERDUE, MOVE_NEARER_HOME}


@pytest.mark.parametrize("path", sorted((ROOT / "scenarios").glob("*.yaml")), ids=lambda p: p.stem)
def test_shipped_scenarios(path):
    s = load_scenario(path)
    recs = check(Experiment(with_horizon(s, years=min(s.horizon.years, 3))), range(2))
    if s.flexible:
        assert all(len(r.openings) for r in recs)


# --- one policy at a time, on two small regions ------------------------------------------------------------
def two_regions(*changes, per_year=365 * 1.6) -> dict:
    """Two regions, one institution each, one placement type, busy enough that queues form; then ``changes``,
    in order."""
    data = {
        "name": "two",
        "horizon": {"start": "2025-01-01", "years": 2, "warmup_days": 30, "replications": 3, "seed": 11},
        "regions": ["North", "South"],
        "institutions": {
            "A": {"region": "North", "units": {"main": {"places": 4}}},
            "B": {"region": "South", "units": {"main": {"places": 4}}},
        },
        "placement_types": {
            "remand": {
                "demand": {"per_year": per_year, "regions": {"North": 0.5, "South": 0.5}},
                "stay": {"distribution": "exponential", "mean": 5.0},
            }
        },
    }
    for change in changes:
        change(data)
    return data


FLEX = {
    "institution": "A",
    "places": 3,
    "step": 2,
    "trigger": {"queue_at_least": 2, "for_days": 5},
    "lead_days": 10,
    "min_open_days": 30,
    "close_after_empty_days": 7,
}
AT_ONCE = dict(FLEX, step=1, trigger={"queue_at_least": 1, "for_days": 0}, lead_days=0)  # opens when one waits
CLOSE_AT_ONCE = dict(AT_ONCE, min_open_days=0, close_after_empty_days=0)  # ... and closes when a place frees


def flexible(**pools):
    return lambda data: data.update(flexible=copy.deepcopy(pools))


def emergency(*institutions, places=1, max_days=4.0):
    def change(data):
        for name in institutions:
            data["institutions"][name]["emergency"] = {"places": places, "max_days": max_days}

    return change


def moves_home(data):
    """Most youths come from the North: many are placed in the South, and moved home later."""
    data["placement_types"]["remand"]["demand"]["regions"] = {"North": 0.7, "South": 0.3}
    data["allocation"] = {"move_nearer_home": True}


def social(data):
    """A second type, behind remand on the waiting list, that withdraws."""
    data["placement_types"]["remand"]["priority"] = 1
    data["placement_types"]["social"] = {
        "priority": 2,
        "demand": {"per_year": 365 * 0.4, "regions": {"North": 0.5, "South": 0.5}},
        "stay": {"distribution": "exponential", "mean": 8.0},
        "withdrawal": {"distribution": "exponential", "mean": 4.0},
    }


def integer_stays(data):
    """Stays and patience of whole days (exact in floating point: mean 4), so departures tie with each other,
    with withdrawals, emergency limits, change days and the pools' whole-day times."""
    for ptype in data["placement_types"].values():
        ptype["stay"] = {"distribution": "empirical", "observed": [1, 2, 4, 9]}
        if "withdrawal" in ptype:
            ptype["withdrawal"] = {"distribution": "empirical", "observed": [1, 2, 4, 9]}


def start_full(*waiting):
    """Every place taken on the start date and youths waiting, as (type, days waited, count), by default three
    remanded youths who waited a day: at time 0 arrivals, triggers and openings tie."""
    rows = waiting or [("remand", 1, 3)]

    def change(data):
        data["horizon"]["warmup_days"] = 0
        placed = [{"institution": i, "unit": "main", "type": "remand", "days_stayed": 1, "count": 4} for i in "AB"]
        waits = [{"type": t, "days_waited": days, "home": "North", "count": n} for t, days, n in rows]
        data["start_state"] = {"placed": placed, "waiting": waits}

    return change


def third_region(data):
    """A third region, West, that North's youths also go to: youths come away from home in more than one way."""
    data["regions"].append("West")
    data["institutions"]["C"] = {"region": "West", "units": {"main": {"places": 3}}}
    data["placement_types"]["remand"]["demand"]["regions"] = {"North": 0.6, "South": 0.2, "West": 0.2}


def changes_and_summer(data):
    """Planned changes in A (whole days), and a unit in B open only in summer."""
    data["institutions"]["A"]["units"]["main"]["changes"] = [
        {"date": "2025-01-04", "add": -1},
        {"date": "2025-01-09", "add": 1},
        {"date": "2025-03-01", "add": -2},
        {"date": "2025-05-01", "places": 6},
        {"date": "2025-09-01", "add": -3},
    ]
    data["institutions"]["B"]["units"]["main"]["places"] = 2
    data["institutions"]["B"]["units"]["summer"] = {"places": 3, "open_months": [6, 7, 8]}


POLICIES = {
    "flexible": two_regions(flexible(pool=FLEX)),
    "flexible, two pools, one only for remand": two_regions(
        social, flexible(pool=FLEX, south=dict(FLEX, institution="B", accepts=["remand"], step=None))
    ),
    "emergency": two_regions(emergency("A", "B")),
    "emergency, two places, withdrawal": two_regions(social, emergency("A", places=2, max_days=3)),
    "moves": two_regions(moves_home, per_year=365 * 1.2),
    "emergency and moves": two_regions(moves_home, emergency("A", "B"), per_year=365 * 1.4),
    "emergency and moves, three regions": two_regions(
        moves_home, third_region, emergency("B", places=2), per_year=365 * 1.7
    ),
    "flexible and moves": two_regions(moves_home, flexible(pool=FLEX), per_year=365 * 1.4),
    "flexible, zero trigger and lead times": two_regions(start_full(), flexible(pool=AT_ONCE)),
    "flexible, zero times, one place, by priority": two_regions(
        social, start_full(("social", 3, 1), ("remand", 1, 1)), flexible(pool=dict(AT_ONCE, places=1))
    ),
    "flexible, closing at once": two_regions(start_full(), social, flexible(pool=CLOSE_AT_ONCE)),
    "seasonal and planned changes": two_regions(changes_and_summer),
    "seasonal with every policy": two_regions(
        changes_and_summer, moves_home, emergency("A"), flexible(pool=dict(FLEX, institution="B"))
    ),
    "integer stays, limits and change days": two_regions(
        social,
        start_full(("remand", 1, 3), ("social", 1, 3)),
        changes_and_summer,
        moves_home,
        emergency("A", "B", max_days=2),
        flexible(pool=dict(FLEX, trigger={"queue_at_least": 2, "for_days": 2}, lead_days=2)),
        integer_stays,
    ),
    "integer stays, zero times, every policy": two_regions(
        social, start_full(), moves_home, emergency("A", "B", max_days=2), flexible(pool=CLOSE_AT_ONCE), integer_stays
    ),
}


@pytest.mark.parametrize("name", list(POLICIES))
def test_policies_one_at_a_time_and_together(name):
    data = POLICIES[name]
    recs = check(Experiment(scenario_of(data)), range(3))
    # each policy of the scenario is really at work
    moves = np.concatenate([r.moves[:, 4] for r in recs])
    if "flexible" in data:
        assert all(len(r.openings) for r in recs)
        closures = [np.diff(r.open_log[r.open_log[:, 1] == r.openings[0, 1], 2]) < 0 for r in recs]
        assert sum(c.sum() for c in closures) > 3
    if any("emergency" in inst for inst in data["institutions"].values()):
        assert sum(len(r.overdue) for r in recs) > 3 and np.sum(moves == MOVE_EMERGENCY_ENDS) > 100
    if "allocation" in data:
        assert np.sum(moves == MOVE_NEARER_HOME) > 100


def test_the_tie_scenarios_really_tie():
    """Zero trigger and lead times: places open at the very moment a youth arrives; at 0 (when the youths waiting
    on the start date arrive) before the next arrival at 0 is handled, so the youth of type social, first to
    arrive, gets the only flexible place, although the remanded youth arriving at the same time would come first
    on the waiting list. Whole days: departures fall on the same times, on change days and on withdrawals, and
    emergency stays end exactly at their limit."""
    rec = Experiment(scenario_of(POLICIES["flexible, zero trigger and lead times"])).records(0)
    assert np.isin(rec.openings[:, 0], rec.youths.arrival).sum() > 10 and np.any(rec.openings[:, 0] == 0)
    exp = Experiment(scenario_of(POLICIES["flexible, zero times, one place, by priority"]))
    rec = exp.records(0)
    first, second = np.flatnonzero((rec.youths.arrival < 0) & (rec.youths.start_unit < 0))
    assert [exp.network.types[rec.youths.type[i]] for i in (first, second)] == ["social", "remand"]
    assert rec.openings[0, 0] == 0 and rec.admitted[first] == 0 and rec.unit[first] == rec.openings[0, 1]
    assert rec.admitted[second] > 0
    exp = Experiment(scenario_of(POLICIES["integer stays, limits and change days"]))
    rec = exp.records(0)
    left = rec.left[~np.isnan(rec.left)]
    assert left.size - np.unique(left).size > 5
    assert np.isin([day for day, _, _ in exp.network.changes], left).any()
    assert np.isin(rec.withdrawn, left).any()
    y, u, start, end = rec.segments()
    in_emergency = np.isfinite(np.array(exp.network.emergency_days)[u])
    assert np.sum(end[in_emergency] - start[in_emergency] == 2) > 5
