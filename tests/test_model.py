"""Behaviour of the model on every run: conservation, capacity, eligibility, determinism, common random numbers."""

from __future__ import annotations

import numpy as np
import pytest

from sim.engine.youths import draw_youths
from sim.run.runner import run
from sim.run.worker import Experiment
from sim.scenario.loading import load_scenario, with_horizon
from tests.helpers import BASELINE, pool, scenario_of


@pytest.fixture(scope="module")
def baseline():
    # a planned closure and a planned opening, so the capacity-change paths are exercised too
    return load_scenario(
        BASELINE,
        [
            "horizon.years=4",
            "institutions.Sølager.units.main.changes=[{date: 2026-01-01, add: -6}, {date: 2027-06-01, add: 8}]",
            "institutions.Koglen.units.main.changes=[{date: 2025-07-01, places: 0}]",
        ],
    )


def occupancy_steps(records, unit):
    """Times and occupancy of one unit right after each admission or departure."""
    placed = records.unit == unit
    s = records.admitted[placed]
    left = records.left[placed]
    left = left[~np.isnan(left)]
    times = np.concatenate([s, left])
    delta = np.concatenate([np.ones(s.size), -np.ones(left.size)])
    order = np.lexsort((delta, times))  # departures first at equal times
    return times[order], np.cumsum(delta[order])


@pytest.mark.parametrize("replication", [0, 1])
def test_every_youth_is_accounted_for_exactly_once(baseline, replication):
    rec = Experiment(baseline).records(replication)
    n = len(rec.youths)
    placed = rec.unit >= 0
    withdrawn = ~np.isnan(rec.withdrawn)
    waiting = ~placed & ~withdrawn
    gone = placed & ~np.isnan(rec.left)
    in_place = placed & np.isnan(rec.left)
    assert not np.any(placed & withdrawn)
    assert waiting.sum() + withdrawn.sum() + gone.sum() + in_place.sum() == n
    assert np.all(rec.admitted[placed] >= rec.youths.arrival[placed])
    assert np.all(rec.withdrawn[withdrawn] >= rec.youths.arrival[withdrawn])
    # nobody is evicted, not even by a closure: everyone who left stayed exactly the stay drawn for them
    np.testing.assert_allclose(rec.left[gone] - rec.admitted[gone], rec.youths.stay[gone], rtol=1e-9)
    assert np.all(rec.admitted[in_place] + rec.youths.stay[in_place] >= rec.end - 1e-9)


def test_occupancy_never_exceeds_open_places(baseline):
    exp = Experiment(baseline)
    rec = exp.records(0)
    for u in range(exp.network.n_units):
        times, occ = occupancy_steps(rec, u)
        log = rec.open_log[rec.open_log[:, 1] == u]
        open_at = log[np.searchsorted(log[:, 0], times, side="right") - 1, 2]
        assert np.all(occ <= open_at), exp.network.units[u].name
        assert np.all(occ >= 0)


def test_high_security_youths_only_in_high_security_places(baseline):
    exp = Experiment(baseline)
    rec = exp.records(0)
    hs_unit = np.array([u.high_security for u in exp.network.units])
    placed = rec.unit >= 0
    assert rec.youths.high_security.sum() > 20  # the test needs some
    assert np.all(hs_unit[rec.unit[placed]] == rec.youths.high_security[placed])


def test_same_seed_same_numbers_serial_or_two_workers(baseline):
    s = with_horizon(baseline, replications=6)
    serial = run(s, workers=1, progress=False)
    parallel = run(s, workers=2, progress=False, chunk_size=1)
    assert np.array_equal(serial.values, parallel.values, equal_nan=True)
    for k in range(len(serial.layout.series)):
        assert np.array_equal(serial.daily.quantile(k, 0.5), parallel.daily.quantile(k, 0.5))
    assert np.array_equal(serial.daily.mean(), parallel.daily.mean())


def test_another_seed_gives_other_numbers(baseline):
    a = run(with_horizon(baseline, replications=2), progress=False)
    b = run(with_horizon(baseline, replications=2, seed=99), progress=False)
    assert not np.array_equal(a.values, b.values, equal_nan=True)


def test_adding_places_never_changes_the_youths_drawn(baseline):
    more = load_scenario(BASELINE, ["horizon.years=4", "institutions.Egely.units.ordinary.places=30"])
    a, b = Experiment(baseline), Experiment(more)
    for r in range(3):
        ya = draw_youths(baseline, a.network, a.clock, r)
        yb = draw_youths(more, b.network, b.clock, r)
        for field in ("arrival", "type", "home", "high_security", "stay", "patience"):
            assert np.array_equal(getattr(ya, field), getattr(yb, field)), field


def test_more_places_in_a_single_pool_never_raise_total_waiting():
    # one pool, first come first served, no withdrawal: with common random numbers, each youth's wait with
    # c + 1 servers is at most their wait with c (a sample-path property), so the total cannot rise
    totals = []
    for c in (3, 4, 5):
        exp = Experiment(scenario_of(pool(places=c, per_year=365 * 3, mean_stay=1.0, years=2)))
        rec = exp.records(0)
        placed = rec.unit >= 0
        totals.append(np.sum(rec.admitted[placed] - rec.youths.arrival[placed]))
    assert totals[0] > totals[1] > totals[2] >= 0
