"""Across replications: confidence intervals, and daily quantiles accumulated without keeping every run.

Knows nothing of SimPy or of the model: it takes arrays.
"""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd
from scipy import stats

QUANTILES = (0.05, 0.25, 0.50, 0.75, 0.95)


@functools.lru_cache(maxsize=256)
def t_quantile(q: float, df: int) -> float:
    """Student t quantile, kept: a summary asks for the same one for every metric (same n)."""
    return float(stats.t.ppf(q, df))


def t_interval(values: np.ndarray, level: float = 0.95) -> tuple[float, float, float, float, int]:
    """(mean, ci_low, ci_high, std, n) over replications, ignoring NaN (a metric undefined in a run).

    The interval is Student-t on the replication means: replications are independent and identically
    distributed, and their means are close to normal for the replication counts we run.
    """
    x = np.asarray(values, dtype=float)
    x = x[~np.isnan(x)]
    n = x.size
    if n == 0:
        return np.nan, np.nan, np.nan, np.nan, 0
    mean = float(x.mean())
    if n == 1:
        return mean, np.nan, np.nan, np.nan, 1
    std = float(x.std(ddof=1))
    half = t_quantile(0.5 + level / 2, n - 1) * std / np.sqrt(n)
    return mean, mean - half, mean + half, std, n


SUMMARY_COLUMNS = ["metric", "scope", "placement_type", "mean", "ci_low", "ci_high", "std", "n"]


def summarise(keys, values: np.ndarray) -> pd.DataFrame:
    """``summary.csv`` rows from a [replication, metric] matrix."""
    rows = []
    for j, (metric, scope, ptype) in enumerate(keys):
        mean, lo, hi, std, n = t_interval(values[:, j])
        rows.append((metric, scope, ptype, mean, lo, hi, std, n))
    return pd.DataFrame(rows, columns=SUMMARY_COLUMNS)


def summarise_by_year(keys, years, by_year: np.ndarray) -> pd.DataFrame:
    """``summary_by_year.csv`` rows from a [replication, year, metric] array: the summary of each calendar
    year (``years``: (year, days observed, partial) per row of the middle axis), with its days and whether
    the window holds only part of it."""
    frames = []
    for k, (year, days, partial) in enumerate(years):
        frame = summarise(keys, by_year[:, k, :])
        frame.insert(0, "year", year)
        frame["days"], frame["partial"] = days, partial
        frames.append(frame)
    if not frames:
        return pd.DataFrame(columns=["year", *SUMMARY_COLUMNS, "days", "partial"])
    return pd.concat(frames, ignore_index=True)


class DailyQuantiles:
    """Exact per-day quantiles of integer series across replications, in memory independent of their number.

    Each series keeps a histogram per day. Values are counts of youths or places (small non-negative
    integers), so a histogram with one bin per value is exact; if a series ever exceeds ``max_bins``
    values the bins are merged in pairs (the width doubles) and its quantiles are good to that width.
    """

    def __init__(self, n_series: int, days: int, max_bins: int = 2048):
        self.days = days
        self.max_bins = max_bins
        self.counts = [np.zeros((days, 1), dtype=np.int32) for _ in range(n_series)]
        self.width = [1] * n_series
        self.sums = np.zeros((n_series, days))
        self.n = 0

    def add(self, daily: np.ndarray) -> None:
        """Add one replication's [series, day] integer array."""
        daily = np.maximum(np.asarray(daily, dtype=np.int64), 0)
        self.sums += daily
        self.n += 1
        days = np.arange(self.days)
        tops = daily.max(axis=1).tolist() if daily.shape[1] else [0] * len(daily)
        for k, row in enumerate(daily):
            while tops[k] // self.width[k] >= self.max_bins:
                self._coarsen(k)
            bins = row // self.width[k] if self.width[k] > 1 else row
            need = tops[k] // self.width[k] + 1
            c = self.counts[k]
            if need > c.shape[1]:
                c = self.counts[k] = np.pad(c, ((0, 0), (0, need - c.shape[1])))
            if not c.flags.c_contiguous:  # the flat view below must be a view, not a copy
                c = self.counts[k] = np.ascontiguousarray(c)
            # one value per day, so no index repeats: plain indexing of the flat (C-ordered) view is exact
            c.reshape(-1)[days * c.shape[1] + bins] += 1

    def _coarsen(self, k: int) -> None:
        c = self.counts[k]
        if c.shape[1] % 2:
            c = np.pad(c, ((0, 0), (0, 1)))
        self.counts[k] = c.reshape(c.shape[0], -1, 2).sum(axis=2)
        self.width[k] *= 2

    def merge(self, other: DailyQuantiles) -> None:
        for k in range(len(self.counts)):
            while self.width[k] < other.width[k]:
                self._coarsen(k)
            oc = other.counts[k]
            while other.width[k] < self.width[k]:
                other._coarsen(k)
                oc = other.counts[k]
            a, b = self.counts[k], oc
            width = max(a.shape[1], b.shape[1])
            self.counts[k] = np.pad(a, ((0, 0), (0, width - a.shape[1]))) + np.pad(b, ((0, 0), (0, width - b.shape[1])))
        self.sums += other.sums
        self.n += other.n

    def mean(self) -> np.ndarray:
        return self.sums / max(self.n, 1)

    def quantile(self, k: int, q: float) -> np.ndarray:
        """Per-day q-quantile of series k (inverted CDF: the smallest value with at least q of runs at or below)."""
        c = self.counts[k]
        cum = np.cumsum(c, axis=1)
        target = np.maximum(np.ceil(q * self.n), 1)
        idx = np.argmax(cum >= target, axis=1)
        w = self.width[k]
        return idx * w + (w - 1) / 2
