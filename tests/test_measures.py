"""The vectorised per-replication measures agree with a direct, slow computation from the records."""

from __future__ import annotations

import numpy as np
import pytest

from sim.run.worker import Experiment
from sim.scenario.loading import load_scenario
from tests.helpers import BASELINE


@pytest.fixture(scope="module")
def run():
    exp = Experiment(load_scenario(BASELINE, ["horizon.years=3"]))
    rec = exp.records(0)
    values, daily, *_ = exp.measures(rec)
    return exp, rec, dict(zip(exp.layout.keys, values)), daily


SCOPES = [(None, "national"), (0, "Hovedstaden"), (3, "Midtjylland")]
TYPES = [(None, "all"), (0, "remand"), (2, "social")]


@pytest.mark.parametrize("home, scope", SCOPES)
@pytest.mark.parametrize("k, ptype", TYPES)
def test_waits_and_arrivals_by_home_region_and_type(run, home, scope, k, ptype):
    exp, rec, vals, _ = run
    y, W, E = rec.youths, exp.clock.warmup, exp.clock.end
    years = (E - W) / 365.25
    placed = rec.unit >= 0
    sel = np.ones(len(y), bool)
    if home is not None:
        sel &= y.home == home
    if k is not None:
        sel &= y.type == k
    arrived = sel & (y.arrival >= W) & (y.arrival < E)
    counted = arrived & (placed | np.isnan(rec.withdrawn))
    w = np.where(placed, rec.admitted, E)[counted] - y.arrival[counted]
    assert vals[("arrivals_per_year", scope, ptype)] == pytest.approx(arrived.sum() / years)
    assert vals[("wait_days_mean", scope, ptype)] == pytest.approx(w.mean())
    assert vals[("wait_days_p50", scope, ptype)] == pytest.approx(np.quantile(w, 0.5))
    assert vals[("wait_days_p95", scope, ptype)] == pytest.approx(np.quantile(w, 0.95))
    assert vals[("p_wait_over_7_days", scope, ptype)] == pytest.approx(np.mean(w > 7))
    # time on the waiting list within the window, youth by youth
    q_end = np.where(placed, rec.admitted, np.where(np.isnan(rec.withdrawn), np.inf, rec.withdrawn))
    inside = sum(max(0.0, min(q, E) - max(a, W)) for a, q in zip(y.arrival[sel], q_end[sel]))
    assert vals[("queue_length_mean", scope, ptype)] == pytest.approx(inside / (E - W))


def test_occupancy_and_daily_census_per_institution(run):
    exp, rec, vals, daily = run
    W, E = exp.clock.warmup, exp.clock.end
    series = exp.layout.series
    inst_of_unit = np.array([u.institution for u in exp.network.units])
    for i, name in enumerate(exp.network.institutions):
        mine = (rec.unit >= 0) & (inst_of_unit[np.maximum(rec.unit, 0)] == i)
        s, left = rec.admitted[mine], np.where(np.isnan(rec.left[mine]), np.inf, rec.left[mine])
        days = sum(max(0.0, min(b, E) - max(a, W)) for a, b in zip(s, left))
        assert vals[("occupancy_mean", name, "all")] == pytest.approx(days / (E - W))
        t = W + np.arange(1, exp.layout.days + 1)  # the end of every observed day
        row = series.index(("occupancy", name))
        in_place = (s[:, None] <= t[None, :]) & (left[:, None] > t[None, :])
        assert np.array_equal(daily[row], in_place.sum(axis=0))


def test_daily_waiting_list_by_type(run):
    exp, rec, _, daily = run
    W, y = exp.clock.warmup, rec.youths
    series = exp.layout.series
    t = W + np.arange(1, exp.layout.days + 1)
    placed = rec.unit >= 0
    queue_end = np.where(placed, rec.admitted, np.where(np.isnan(rec.withdrawn), np.inf, rec.withdrawn))
    waiting = (y.arrival[:, None] <= t[None, :]) & (queue_end[:, None] > t[None, :])
    assert waiting.sum() > 0
    assert np.array_equal(daily[series.index(("queue", "all"))], waiting.sum(axis=0))
    for k, name in enumerate(exp.network.types):
        assert np.array_equal(daily[series.index(("queue", name))], waiting[y.type == k].sum(axis=0)), name


def test_capacity_cost_and_flow_metrics_equal_a_direct_computation(run):
    """utilisation, days full, out-of-region share, queue maximum and costs, recomputed the slow way."""
    exp, rec, vals, _ = run
    W, E = exp.clock.warmup, exp.clock.end
    years = (E - W) / 365.25
    y = rec.youths
    units = exp.network.units
    hs = np.array([u.high_security for u in units])
    region = np.array([u.region for u in units])
    placed = rec.unit >= 0
    left = np.where(np.isnan(rec.left), np.inf, rec.left)

    # open place-days per unit from the log, and occupied place-days, within the window
    def open_days(unit):
        log = rec.open_log[rec.open_log[:, 1] == unit]
        edges = np.clip(np.append(log[:, 0], E), W, E)
        return float(np.sum(log[:, 2] * np.diff(edges)))

    occupied = sum(max(0.0, min(b, E) - max(a, W)) for a, b in zip(rec.admitted[placed], left[placed]))
    opened = sum(open_days(u) for u in range(len(units)))
    assert vals[("utilisation", "national", "all")] == pytest.approx(occupied / opened)
    costs = exp.scenario.costs
    queue_end = np.where(placed, rec.admitted, np.where(np.isnan(rec.withdrawn), np.inf, rec.withdrawn))
    custody_types = [exp.network.types.index(t) for t in costs.custody_types if t in exp.network.types]
    custody = sum(
        max(0.0, min(q, E) - max(a, W)) for a, q, k in zip(y.arrival, queue_end, y.type) if k in custody_types
    )
    expected = (
        occupied * costs.occupied_place_day + (opened - occupied) * costs.empty_place_day + custody * costs.custody_day
    ) / years
    assert vals[("cost_per_year", "national", "all")] == pytest.approx(expected)

    # out of region: admissions in the window placed outside the home region
    admitted = placed & (rec.admitted >= W) & (rec.admitted < E)
    away = admitted & (region[np.maximum(rec.unit, 0)] != y.home)
    assert vals[("out_of_region_share", "national", "all")] == pytest.approx(away.sum() / admitted.sum())

    # the longest waiting list: replay every join and leave in time order
    events = sorted(
        [(a, 1) for a, q in zip(y.arrival, queue_end) if q > a]
        + [(q, -1) for a, q in zip(y.arrival, queue_end) if a < q < np.inf]
    )
    level, most = 0, 0
    for t, d in events:
        level += d
        if W < t < E:
            most = max(most, level)
    assert vals[("queue_length_max", "national", "all")] == most

    # days full: at the end of each observed day, no ordinary (or no high-security) place free
    for metric, group in (("days_full_share", ~hs), ("days_full_share_high_security", hs)):
        full = 0
        for d in range(exp.measures.days):
            t = W + d + 1
            free = 0
            for u in np.flatnonzero(group):
                log = rec.open_log[rec.open_log[:, 1] == u]
                open_now = log[np.searchsorted(log[:, 0], t, side="right") - 1, 2]
                in_unit = placed & (rec.unit == u) & (rec.admitted <= t) & (left > t)
                free += open_now - in_unit.sum()
            full += free <= 0
        assert vals[(metric, "national", "all")] == pytest.approx(full / exp.measures.days)


def test_daily_census_at_exact_day_ends():
    """Stays, waits and admissions that end or begin exactly at the end of a day (integer times: 20 youths
    placed at the start with whole days stayed and whole-day stays, 6 waiting who take their places as they
    free) count as the direct comparison says, in occupancy, the waiting list and the days with no free place."""
    from tests.helpers import pool, scenario_of

    data = pool(places=20, per_year=0.0, years=0.2, warmup_days=0, replications=2)
    data["placement_types"]["remand"]["stay"] = {"distribution": "empirical", "observed": [10, 20, 30]}
    data["start_state"] = {
        "placed": [{"institution": "A", "type": "remand", "days_stayed": 5, "count": 20}],
        "waiting": [{"type": "remand", "days_waited": 1, "home": "R", "count": 6}],
    }
    exp = Experiment(scenario_of(data))
    rec = exp.records(0)
    values, daily, *_ = exp.measures(rec)
    t = np.arange(1, exp.layout.days + 1, dtype=float)
    left = np.where(np.isnan(rec.left), np.inf, rec.left)
    waited = rec.youths.start_unit < 0
    assert np.isin(left, t).sum() >= 20 and np.isin(rec.admitted[waited], t).sum() == 6  # all on day ends
    series = exp.layout.series
    in_place = (rec.admitted[:, None] <= t[None, :]) & (left[:, None] > t[None, :])
    assert np.array_equal(daily[series.index(("occupancy", "national"))], in_place.sum(axis=0))
    queue_end = np.where(rec.unit >= 0, rec.admitted, np.inf)
    waiting = (rec.youths.arrival[:, None] <= t[None, :]) & (queue_end[:, None] > t[None, :])
    assert np.array_equal(daily[series.index(("queue", "all"))], waiting.sum(axis=0))
    full = np.mean(in_place.sum(axis=0) >= 20)
    assert 0 < full < 1
    assert dict(zip(exp.layout.keys, values))[("days_full_share", "national", "all")] == pytest.approx(full)
