"""Capacity policies: flexible, emergency and seasonal places, sub-specialised units, moves nearer home.

Each rule is checked from the records of a run (what happened to whom and when), not from the model's own
state, on small two-region scenarios where the rule is exercised often.
"""

from __future__ import annotations

import numpy as np
import pytest

from sim.engine.network import EMERGENCY, FLEXIBLE
from sim.engine.records import MOVE_NEARER_HOME, MOVE_OVERDUE
from sim.run.worker import Experiment
from tests.helpers import scenario_of


def two_regions(places_a=4, places_b=4, per_year=365 * 1.6, mean_stay=5.0, years=3, **extra) -> dict:
    """Two regions, one institution each, one placement type: busy enough that queues form."""
    data = {
        "name": "two",
        "horizon": {"start": "2025-01-01", "years": years, "warmup_days": 30, "replications": 2, "seed": 11},
        "regions": ["North", "South"],
        "institutions": {
            "A": {"region": "North", "units": {"main": {"places": places_a}}},
            "B": {"region": "South", "units": {"main": {"places": places_b}}},
        },
        "placement_types": {
            "remand": {
                "demand": {"per_year": per_year, "regions": {"North": 0.5, "South": 0.5}},
                "stay": {"distribution": "exponential", "mean": mean_stay},
            }
        },
    }
    data.update(extra)
    return data


def check_capacity_and_conservation(exp, rec):
    """Occupancy never exceeds open places in any unit; every youth is in exactly one state."""
    y, u, s, e = rec.segments()
    for unit in range(exp.network.n_units):
        mine = u == unit
        times = np.concatenate([s[mine], e[mine][np.isfinite(e[mine])]])
        delta = np.concatenate([np.ones(mine.sum()), -np.ones(np.isfinite(e[mine]).sum())])
        order = np.lexsort((delta, times))
        occ = np.cumsum(delta[order])
        log = rec.open_log[rec.open_log[:, 1] == unit]
        open_at = log[np.searchsorted(log[:, 0], times[order], side="right") - 1, 2]
        assert np.all(occ <= open_at + 1e-9), exp.network.units[unit].name
    # segments of a youth follow each other without gaps, from admission to departure
    placed = rec.unit >= 0
    assert np.all(np.bincount(y, minlength=len(rec.youths))[placed] >= 1)
    gone = placed & ~np.isnan(rec.left)
    np.testing.assert_allclose(rec.left[gone] - rec.admitted[gone], rec.youths.stay[gone], rtol=1e-9)
    assert not np.any(placed & ~np.isnan(rec.withdrawn))


def queue_steps(rec, profile_ok):
    """Times and length of the waiting list of youths the rule may take (after each change)."""
    y = rec.youths
    sel = profile_ok[y.profile]
    placed = rec.unit >= 0
    q_end = np.where(placed, rec.admitted, np.where(np.isnan(rec.withdrawn), np.inf, rec.withdrawn))
    a, q = y.arrival[sel], q_end[sel]
    waited = q > a
    a, q = a[waited], q[waited]
    times = np.concatenate([a, q[np.isfinite(q)]])
    delta = np.concatenate([np.ones(a.size), -np.ones(np.isfinite(q).sum())])
    order = np.lexsort((delta, times))
    return times[order], np.cumsum(delta[order])


FLEX = {
    "institution": "A",
    "places": 3,
    "step": 3,
    "trigger": {"queue_at_least": 2, "for_days": 5},
    "lead_days": 10,
    "min_open_days": 30,
    "close_after_empty_days": 7,
    "cost_place_day": 9000,
    "cost_opening": 1e5,
}


@pytest.fixture(scope="module")
def flex_run():
    exp = Experiment(scenario_of(two_regions(flexible={"pool": FLEX})))
    return exp, exp.records(0)


def test_flexible_places_open_only_after_the_trigger_and_lead_time(flex_run):
    exp, rec = flex_run
    unit = next(u for u, info in enumerate(exp.network.units) if info.kind == FLEXIBLE)
    assert len(rec.openings) >= 3, "the scenario should open flexible places several times"
    times, length = queue_steps(rec, np.array(exp.network.units[unit].eligible))
    for t_open, u, n in rec.openings:
        assert u == unit and 1 <= n <= 3
        # the queue was long for 5 days, then 10 days of lead time (1e-7 days: rounding of t0 + 5 + 10)
        start, stop = t_open - 10 - 5 + 1e-7, t_open - 10
        at_start = length[np.searchsorted(times, start, side="right") - 1]
        inside = (times > start) & (times <= stop)
        assert at_start >= 2 and np.all(length[inside] >= 2), t_open


def test_flexible_places_close_by_the_rule_and_never_exceed_their_number(flex_run):
    """At a closure of k places, at least k places were free throughout the 7 days before (close_after_empty_days),
    and the pool had been open at least 30 days (min_open_days)."""
    exp, rec = flex_run
    unit = next(u for u, info in enumerate(exp.network.units) if info.kind == FLEXIBLE)
    log = rec.open_log[rec.open_log[:, 1] == unit]
    assert log[:, 2].max() <= 3 and log[0, 2] == 0
    drops = np.flatnonzero(np.diff(log[:, 2]) < 0) + 1
    assert len(drops) >= 3, "flexible places should close again"
    y, u, s, e = rec.segments()
    mine = u == unit
    s, e = s[mine], e[mine]
    for row in drops:
        t_close, k = log[row, 0], int(log[row - 1, 2] - log[row, 2])
        last_open = rec.openings[rec.openings[:, 0] <= t_close, 0].max()
        assert t_close >= last_open + 30 - 1e-9
        # free places = open - occupied, evaluated at the window's start and after every change inside it
        changes = np.concatenate([s, e, log[:, 0]])
        at = np.concatenate([[t_close - 7], changes[(changes > t_close - 7) & (changes < t_close)]])
        open_at = log[np.searchsorted(log[:, 0], at, side="right") - 1, 2]
        occupied = np.array([np.sum((s <= t) & (e > t)) for t in at])
        assert (open_at - occupied).min() >= k, (t_close, k, (open_at - occupied).min())
    check_capacity_and_conservation(exp, rec)


def test_flexible_places_shorten_waits_and_cost_money():
    base = Experiment(scenario_of(two_regions()))
    flex = Experiment(scenario_of(two_regions(flexible={"pool": FLEX})))
    keys = base.layout.keys
    b = dict(zip(keys, np.mean([base.replicate(r)[0] for r in range(2)], axis=0)))
    f = dict(zip(flex.layout.keys, np.mean([flex.replicate(r)[0] for r in range(2)], axis=0)))
    assert f[("wait_days_mean", "national", "all")] < b[("wait_days_mean", "national", "all")]
    assert f[("flex_openings_per_year", "national", "all")] > 0
    assert (
        f[("cost_flexible_per_year", "national", "all")] > 9000 * f[("flex_places_open_mean", "national", "all")] * 365
    )
    assert b[("flex_places_open_mean", "national", "all")] == 0


EMERGENCY_RULE = {"places": 1, "max_days": 4, "cost_place_day": 12000}


def test_emergency_places_never_exceed_their_limit_and_are_used_only_when_full():
    data = two_regions()
    data["institutions"]["A"]["emergency"] = EMERGENCY_RULE
    exp = Experiment(scenario_of(data))
    rec = exp.records(0)
    check_capacity_and_conservation(exp, rec)
    em = next(u for u, info in enumerate(exp.network.units) if info.kind == EMERGENCY)
    y, u, s, e = rec.segments()
    mine = u == em
    assert mine.sum() > 10, "the scenario should use the emergency place"
    for t in s[mine]:  # at most one youth in the emergency place at any time
        assert np.sum((s[mine] <= t) & (e[mine] > t)) <= 1
    # used only when no normed place was free: the youth was admitted on arrival, with all places taken
    regular = (u != em) & np.isin(u, [0, 1])
    for t in s[mine][:50]:
        entering = y[mine][s[mine] == t]
        if rec.admitted[entering[0]] == t:
            assert np.sum((s[regular] <= t) & (e[regular] > t)) == 8
    # an emergency stay longer than its limit was flagged overdue at the limit, and ended with a move
    for yy, ss, ee in zip(y[mine], s[mine], e[mine]):
        if ee - ss > 4 + 1e-9 and np.isfinite(ee):
            assert np.any(np.isclose(rec.overdue[:, 0], ss + 4) & (rec.overdue[:, 1] == yy))
    assert np.any(rec.moves[:, 4] == MOVE_OVERDUE) or len(rec.overdue) == 0
    vals = dict(zip(exp.layout.keys, exp.measures(rec)[0]))
    assert vals[("emergency_admissions_per_year", "national", "all")] > 0
    assert vals[("cost_emergency_per_year", "national", "all")] == pytest.approx(
        12000 * vals[("emergency_place_days_per_year", "national", "all")]
    )


def test_seasonal_places_open_only_in_their_months():
    data = two_regions(places_b=2)
    data["institutions"]["B"]["units"]["summer"] = {"places": 3, "open_months": [6, 7, 8]}
    exp = Experiment(scenario_of(data))
    rec = exp.records(0)
    check_capacity_and_conservation(exp, rec)
    unit = exp.network.unit_index("B", "summer")
    y, u, s, e = rec.segments()
    month = (np.datetime64(exp.clock.origin, "D") + np.floor(s[u == unit]).astype("timedelta64[D]")).astype(
        "datetime64[M]"
    ).astype(int) % 12 + 1
    assert len(month) > 10 and set(month) <= {6, 7, 8}  # every admission to it in June-August
    log = rec.open_log[rec.open_log[:, 1] == unit]
    opened = log[log[:, 2] > 0, 0]
    months_open = (np.datetime64(exp.clock.origin, "D") + opened.astype("timedelta64[D]")).astype("datetime64[M]")
    assert set((months_open.astype(int) % 12 + 1).tolist()) <= {6, 7, 8, 9}  # 9: places draining after August


def test_sub_specialised_units_take_only_their_group():
    data = two_regions(attributes={"sex": {"girl": 0.3, "boy": 0.7}})
    data["institutions"]["A"]["units"]["girls"] = {"places": 2, "only": {"sex": ["girl"]}}
    exp = Experiment(scenario_of(data))
    rec = exp.records(0)
    check_capacity_and_conservation(exp, rec)
    unit = exp.network.unit_index("A", "girls")
    girl = exp.network.profile(0, 0, [0])  # remand, ordinary, first value of 'sex'
    in_unit = rec.youths.profile[rec.unit == unit]
    assert in_unit.size > 10 and np.all(in_unit == girl)
    share = np.mean(rec.youths.profile == girl)
    assert 0.25 < share < 0.35  # drawn with the scenario's share 0.3 (thousands of youths)


def test_sub_specialisation_with_an_unknown_attribute_value_is_refused():
    from sim.scenario.loading import ScenarioError

    data = two_regions(attributes={"sex": {"girl": 0.3, "boy": 0.7}})
    data["institutions"]["A"]["units"]["main"]["only"] = {"sex": ["girls"]}
    with pytest.raises(ScenarioError, match="only.sex: unknown value 'girls'"):
        scenario_of(data)


def test_moves_nearer_home_bring_youths_home_and_are_counted():
    data = two_regions(per_year=365 * 1.2)
    data["placement_types"]["remand"]["demand"]["regions"] = {"North": 0.7, "South": 0.3}
    near = dict(data, allocation={"move_nearer_home": True})
    plain, moving = Experiment(scenario_of(data)), Experiment(scenario_of(near))
    rec = moving.records(0)
    check_capacity_and_conservation(moving, rec)
    moves = rec.moves[rec.moves[:, 4] == MOVE_NEARER_HOME]
    assert len(moves) > 20
    region = np.array([u.region for u in moving.network.units])
    youth, frm, to = moves[:, 1].astype(int), moves[:, 2].astype(int), moves[:, 3].astype(int)
    assert np.all(region[to] == rec.youths.home[youth]) and np.all(region[frm] != rec.youths.home[youth])

    def away_days(exp, rec):
        y, u, s, e = rec.segments()
        far = region[u] != rec.youths.home[y]
        return np.sum(np.minimum(e, exp.clock.end)[far] - s[far])

    # the same youths (common random numbers) spend fewer days away from home when moves are allowed
    assert away_days(moving, rec) < 0.8 * away_days(plain, plain.records(0))
    vals = dict(zip(moving.layout.keys, moving.measures(rec)[0]))
    assert vals[("moves_nearer_home_per_year", "national", "all")] > 0


def test_a_free_emergency_place_never_sits_beside_a_waiting_youth():
    data = two_regions()
    data["institutions"]["A"]["emergency"] = EMERGENCY_RULE
    exp = Experiment(scenario_of(data))
    rec = exp.records(0)
    em = next(u for u, info in enumerate(exp.network.units) if info.kind == EMERGENCY)
    y, u, s, e = rec.segments()
    in_em = u == em
    times, queue = queue_steps(rec, np.ones(exp.network.n_profiles, bool))  # every youth may use it
    waiting_times = times[queue > 0]
    assert len(waiting_times) > 100
    occupied = np.array([np.sum((s[in_em] <= t) & (e[in_em] > t)) for t in waiting_times])
    assert np.all(occupied == EMERGENCY_RULE["places"])  # someone waits only while the emergency place is taken


def test_moves_nearer_home_never_fill_a_flexible_place():
    data = two_regions(per_year=365 * 1.4, flexible={"pool": FLEX}, allocation={"move_nearer_home": True})
    data["placement_types"]["remand"]["demand"]["regions"] = {"North": 0.7, "South": 0.3}
    exp = Experiment(scenario_of(data))
    rec = exp.records(0)
    check_capacity_and_conservation(exp, rec)
    kind = np.array([info.kind for info in exp.network.units])
    home_moves = rec.moves[rec.moves[:, 4] == MOVE_NEARER_HOME]
    assert len(home_moves) > 20 and len(rec.openings) > 0  # both policies are at work
    assert not np.any(kind[home_moves[:, 3].astype(int)] == FLEXIBLE)
