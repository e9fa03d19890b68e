"""The vectorised per-replication measures agree with a direct, slow computation from the records."""

from __future__ import annotations

import numpy as np
import pytest

from sim.experiment import Experiment
from sim.scenario import load_scenario
from tests.helpers import BASELINE


@pytest.fixture(scope="module")
def run():
    exp = Experiment(load_scenario(BASELINE, ["horizon.years=3"]))
    rec = exp.records(0)
    values, daily = exp.measures(rec)
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
        t = W + 100.0  # end of the 100th observed day
        row = series.index(("occupancy", name))
        assert daily[row, 99] == np.sum((s <= t) & (left > t))
