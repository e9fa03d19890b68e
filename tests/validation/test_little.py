"""Little's law on real runs of the baseline (eight institutions, three placement types, priorities,
withdrawal of waiting social cases, high-security units), in its exact sample-path form and in the mean.

Sample path (exact, no randomness involved): for any run and window [W, E],

    int_W^E Q(t) dt = sum_i |[arrival_i, left_list_i) n [W, E]|      (queue length Q, time on the list)
    int_W^E N(t) dt = sum_i |[admitted_i, left_i) n [W, E]|          (occupancy N, time in a place)

with the curves Q and N built here from the event times (a step function integrated piece by piece), not
from the per-youth sums. The tolerance is float rounding only: 1e-9 relative. The same identities with
the boundary terms written out (H = lambda G with the youths present at W and at E) and the daily censuses
(the curves at the end of each day, exactly) are checked too, as are the metrics ``queue_length_mean`` and
``occupancy_mean``, which must equal area / (E - W).

In the mean: L = lambda W per placement type, E[occupancy] = admissions per day x E[stay], because a stay is
drawn independently of whether and when the youth is admitted. Twenty independent replications give the
ratio occupancy / (admissions per day x scenario mean stay); |mean - 1| < 3.88 SE (t(19) quantile, false
alarm 0.1 %), SE below 2 %. The ratio differs from 1 within one replication by the boundary terms (stays
cut at W and at E), which cancel in expectation once the warm-up has reached the stationary regime.
"""

from __future__ import annotations

import numpy as np
import pytest

from sim.run.runner import run
from sim.run.worker import Experiment
from sim.scenario.loading import load_scenario
from tests.helpers import BASELINE
from tests.validation.theory import DAYS_PER_YEAR, assert_close

RTOL = 1e-9  # float rounding in sums of a few thousand terms of size up to 1e3 days


@pytest.fixture(scope="module")
def baseline():
    # three years end on 2 January 2028: a run that stops inside a month
    return load_scenario(BASELINE, ["horizon.years=3", "horizon.replications=20"])


def _area(starts: np.ndarray, stops: np.ndarray, lo: float, hi: float) -> tuple[float, np.ndarray, np.ndarray]:
    """Integral over [lo, hi] of the count N(t) = #{i: start_i <= t < stop_i}, from the curve itself.

    Returns (area, jump times, level after each jump). At equal times, leavings are applied first.
    """
    stops = stops[np.isfinite(stops)]
    times = np.concatenate([starts, stops])
    delta = np.concatenate([np.ones(starts.size), -np.ones(stops.size)])
    order = np.lexsort((delta, times))
    times, level = times[order], np.cumsum(delta[order])
    assert level.min() >= 0
    # integrate the step function piece by piece over [lo, hi]
    before = np.searchsorted(times, lo, side="right")
    level_at_lo = level[before - 1] if before else 0.0
    inside = (times > lo) & (times < hi)
    edges = np.concatenate([[lo], times[inside], [hi]])
    values = np.concatenate([[level_at_lo], level[inside]])
    return float(np.sum(values * np.diff(edges))), times, level


def _curve_at(times: np.ndarray, level: np.ndarray, at: np.ndarray) -> np.ndarray:
    k = np.searchsorted(times, at, side="right")
    return np.where(k > 0, level[np.maximum(k - 1, 0)], 0)


@pytest.mark.parametrize("replication", [0, 1])
def test_sample_path_little_identities(baseline, replication):
    exp = Experiment(baseline)
    idx = {k: j for j, k in enumerate(exp.layout.keys)}
    rec = exp.records(replication)
    values, daily, *_ = exp.measures(rec)
    W, E = exp.clock.warmup, exp.clock.end
    T = E - W
    a = rec.youths.arrival
    placed = rec.unit >= 0
    left_list = np.where(placed, rec.admitted, np.where(np.isnan(rec.withdrawn), np.inf, rec.withdrawn))
    assert np.all(left_list >= a)

    # --- queue: area under Q(t) = sum of each youth's time on the list inside the window
    waited = left_list > a
    q_area, q_times, q_level = _area(a[waited], left_list[waited], W, E)
    q_sum = np.sum(np.clip(np.minimum(left_list, E) - np.maximum(a, W), 0, None))
    assert q_area == pytest.approx(q_sum, rel=RTOL)
    assert values[idx["queue_length_mean", "national", "all"]] == pytest.approx(q_area / T, rel=RTOL)
    assert q_area > 0.01 * T  # the baseline does queue, so the identity is not 0 = 0
    # boundary form: youths who joined in the window contribute their time up to E; those waiting at W add
    # the part of their wait after W
    joined_in = waited & (a >= W) & (a < E)
    present_w = waited & (a < W) & (left_list > W)
    boundary = np.sum(np.minimum(left_list[joined_in], E) - a[joined_in])
    boundary += np.sum(np.minimum(left_list[present_w], E) - W)
    assert q_area == pytest.approx(boundary, rel=RTOL)
    # the daily census is the curve at the end of each day
    census_t = W + np.arange(1, daily.shape[1] + 1)
    queue_series = exp.layout.series.index(("queue", "all"))
    assert np.array_equal(daily[queue_series], _curve_at(q_times, q_level, census_t))

    # --- occupancy: area under N(t) = sum of each youth's time in a place inside the window (moves between
    # places do not change the national count)
    s = rec.admitted[placed]
    out = np.where(np.isnan(rec.left), np.inf, rec.left)[placed]
    o_area, o_times, o_level = _area(s, out, W, E)
    o_sum = np.sum(np.clip(np.minimum(out, E) - np.maximum(s, W), 0, None))
    assert o_area == pytest.approx(o_sum, rel=RTOL)
    assert values[idx["occupancy_mean", "national", "all"]] == pytest.approx(o_area / T, rel=RTOL)
    # H = lambda G with boundary terms: stays of youths admitted in the window, cut at E, plus what remained
    # after W of the stays of youths in place at W
    stay = rec.youths.stay[placed]
    adm_in = (s >= W) & (s < E)
    in_at_w = (s < W) & (out > W)
    boundary = np.sum(np.minimum(stay[adm_in], E - s[adm_in])) + np.sum(np.minimum(out[in_at_w], E) - W)
    assert o_area == pytest.approx(boundary, rel=RTOL)
    occ_series = exp.layout.series.index(("occupancy", "national"))
    assert np.array_equal(daily[occ_series], _curve_at(o_times, o_level, census_t))


def test_occupancy_equals_admission_rate_times_mean_stay(baseline):
    result = run(baseline, progress=False)  # the runner's metric vectors, one row per replication
    idx = {k: j for j, k in enumerate(result.layout.keys)}
    values = result.values
    assert values.shape[0] == baseline.horizon.replications
    for tname, ptype in baseline.placement_types.items():
        occupancy = values[:, idx["occupancy_mean", "national", tname]]
        per_day = values[:, idx["admissions_per_year", "national", tname]] / DAYS_PER_YEAR
        assert_close(f"L / (lambda W) for {tname}", occupancy / (per_day * ptype.stay.mean), 1.0, max_rel_se=0.02)
