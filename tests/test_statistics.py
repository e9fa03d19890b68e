"""Daily quantiles across replications from integer histograms: exact, and mergeable."""

from __future__ import annotations

import numpy as np

from sim.results.statistics import QUANTILES, DailyQuantiles


def _runs(seed: int, reps: int = 37, series: int = 3, days: int = 50, top: int = 40) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.integers(0, top, size=(reps, series, days))


def test_quantiles_and_means_are_exact():
    runs = _runs(1)
    dq = DailyQuantiles(runs.shape[1], runs.shape[2])
    for daily in runs:
        dq.add(daily)
    assert dq.n == len(runs)
    np.testing.assert_allclose(dq.mean(), runs.mean(axis=0))
    for k in range(runs.shape[1]):
        for q in (*QUANTILES, 0.0, 1.0):
            expected = np.quantile(runs[:, k, :], q, axis=0, method="inverted_cdf")
            np.testing.assert_array_equal(dq.quantile(k, q), expected)


def test_values_beyond_the_bins_coarsen_to_a_stated_width():
    runs = _runs(2, top=100)
    dq = DailyQuantiles(runs.shape[1], runs.shape[2], max_bins=16)
    for daily in runs:
        dq.add(daily)
    assert set(dq.width) == {8}  # 100 values in at most 16 bins: width 8
    for k in range(runs.shape[1]):
        exact = np.quantile(runs[:, k, :], 0.5, axis=0, method="inverted_cdf")
        assert np.all(np.abs(dq.quantile(k, 0.5) - exact) <= 8 / 2)  # the middle of the bin holding it


def test_merged_halves_equal_one_pass():
    runs = _runs(3)
    whole, a, b = (DailyQuantiles(runs.shape[1], runs.shape[2]) for _ in range(3))
    for i, daily in enumerate(runs):
        whole.add(daily)
        (a if i % 2 else b).add(daily)
    a.merge(b)
    for k in range(runs.shape[1]):
        np.testing.assert_array_equal(a.counts[k], whole.counts[k])
    np.testing.assert_allclose(a.mean(), whole.mean())
