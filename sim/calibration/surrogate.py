"""The time-varying infinite-server mean: a fast stand-in for the simulation when places do not bind.

With unlimited places the expected number of youths in place at time t is

    m(t) = integral over u >= 0 of lambda(t - u) P(S > u | arrived at t - u) du,

the arrival rate ``lambda`` of :func:`sim.engine.demand.rate` (trend and season; the monthly gamma factor has mean
1 and drops out) and the survival function of :func:`sim.engine.stays.survival`, whose mean may drift with the
arrival date. On a daily grid (arrivals at mid-day, census at the end of each day, as the model counts it)
this is a discrete convolution, done per year of arrival so that a drifting mean stay is exact to within the
year. A whole surrogate evaluation takes milliseconds, where the simulation takes seconds: the fit calls it
thousands of times, and the simulation then checks the result (:mod:`sim.calibration.check`).

The parameters a fit varies are given per placement type as :class:`TypeParams`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import fft, signal

from sim.calibration.data import TYPE_GROUPS
from sim.engine import demand as demand_model
from sim.engine import stays as stay_model
from sim.engine.clock import DAYS_PER_YEAR, Clock
from sim.scenario import trend
from sim.scenario.schema import PLACEMENT_TYPES, Scenario, Seasonality

LONGEST_STAY_FACTOR = 1.5  # the look-back covers stays up to 1.5 x the scenario's 1-in-10,000 longest stay
MAX_LOOKBACK_DAYS = 3 * 366


@dataclass(frozen=True)
class TypeParams:
    """One placement type's demand and stay as a fit varies them (days and youths per year)."""

    per_year: float
    growth: float
    mean_stay: float
    drift: float
    season: Seasonality | None  # as in the scenario (a fitted season is a cosine)


def params_of(scenario: Scenario) -> dict[str, TypeParams]:
    return {
        t: TypeParams(
            p.demand.per_year, p.demand.growth, stay_model.mean_of(p.stay), p.stay.drift, p.demand.seasonality
        )
        for t, p in scenario.placement_types.items()
    }


class Surrogate:
    """Mean arrivals, stays and census per placement type on a daily grid covering [first, last)."""

    def __init__(self, scenario: Scenario, first: pd.Timestamp, last: pd.Timestamp):
        self.scenario = scenario
        self.types = [t for t in PLACEMENT_TYPES if t in scenario.placement_types]
        longest = max(
            stay_model.mean_of(p.stay) * self._unit_isf(p.stay, 1e-4) for p in scenario.placement_types.values()
        )
        self.lookback = int(min(MAX_LOOKBACK_DAYS, math.ceil(LONGEST_STAY_FACTOR * longest)))
        self.first = pd.Timestamp(first).normalize()
        self.grid_start = self.first - pd.Timedelta(days=self.lookback)
        self.n = (pd.Timestamp(last).normalize() - self.grid_start).days
        start = pd.Timestamp(scenario.horizon.start)
        self.clock = Clock(self.grid_start.date(), float((start - self.grid_start).days), float(self.n))
        self.t = np.arange(self.n) + 0.5  # arrivals at mid-day
        self.years = np.asarray(self.clock.years_since_start(self.t), dtype=float)
        self.cohort = (self.grid_start + pd.to_timedelta(np.arange(self.n), unit="D")).year.to_numpy()
        self._season_cache: dict[str, np.ndarray] = {}
        self._unit_tables = {t: self._unit_survival(scenario.placement_types[t].stay) for t in self.types}
        self._lags = np.arange(self.lookback) + 0.5

    @staticmethod
    def _unit_isf(stay, q: float) -> float:
        dist = stay_model.frozen(stay, 1.0)
        if dist is None:
            obs = np.asarray(stay.observed, dtype=float)
            return float(obs.max() / obs.mean())
        return float(dist.isf(q))

    def _unit_survival(self, stay) -> tuple[np.ndarray, np.ndarray]:
        x = np.linspace(0.0, self._unit_isf(stay, 1e-7) * 1.01, 20001)
        return x, stay_model.survival(stay, x, mean=1.0)

    def day(self, date) -> int:
        """Grid index of a date (its census is at the end of that day)."""
        return (pd.Timestamp(date).normalize() - self.grid_start).days

    def season(self, season: Seasonality | None) -> np.ndarray:
        if season is None:
            return np.ones(self.n)
        key = season.model_dump_json()
        cached = self._season_cache.get(key)
        if cached is None:
            cached = self._season_cache[key] = demand_model.season_at(season, self.clock, self.t)
        return cached

    def cosine(self, amplitude: float, peak_month: int) -> np.ndarray:
        """1 + amplitude cos(...) with the scenario's cosine profile, from a cached unit profile."""
        unit = self.season(Seasonality(amplitude=0.5, peak_month=peak_month))
        return 1.0 + amplitude * (unit - 1.0) / 0.5

    def rates(self, t: str, p: TypeParams, season: np.ndarray | None = None) -> np.ndarray:
        """Arrivals per day of type ``t`` on each grid day."""
        base = self.scenario.placement_types[t].demand
        trend = demand_model.rate(
            base.model_copy(update={"per_year": p.per_year, "growth": p.growth, "seasonality": None}),
            self.clock,
            self.t,
        )
        return trend * (self.season(p.season) if season is None else season)

    def census(self, t: str, lam: np.ndarray, mean: np.ndarray, window: tuple[int, int] | None = None) -> np.ndarray:
        """Expected youths of type ``t`` in place at the end of each grid day (only inside ``window``; 0 outside)."""
        w0, w1 = window if window is not None else (0, self.n)
        out = np.zeros(self.n)
        if w1 <= w0:
            return out
        a0 = max(0, w0 - self.lookback)  # arrivals earlier than the look-back have all left
        lam, mean, cohort = lam[a0:w1], mean[a0:w1], self.cohort[a0:w1]
        x, s1 = self._unit_tables[t]
        if np.ptp(mean) <= 1e-9 * mean[0]:
            kernel = np.interp(self._lags / mean[0], x, s1, right=0.0)
            out[w0:w1] = signal.fftconvolve(lam, kernel)[w0 - a0 : w1 - a0]
            return out
        # one kernel per year of arrival; the convolutions are summed in Fourier space (one inverse FFT)
        n = lam.size
        edges = np.flatnonzero(np.diff(cohort)) + 1
        starts, stops = np.r_[0, edges], np.r_[edges, n]
        size = fft.next_fast_len(n + self.lookback - 1, real=True)
        arrivals = np.zeros((starts.size, size))
        kernels = np.zeros((starts.size, size))
        means = np.empty(starts.size)
        for c, (a, b) in enumerate(zip(starts, stops)):
            arrivals[c, a:b] = lam[a:b]
            means[c] = mean[a:b].mean()
        kernels[:, : self.lookback] = np.interp(self._lags[None, :] / means[:, None], x, s1, right=0.0)
        spectrum = (fft.rfft(arrivals, axis=1) * fft.rfft(kernels, axis=1)).sum(axis=0)
        out[w0:w1] = fft.irfft(spectrum, size)[w0 - a0 : w1 - a0]
        return out

    def evaluate(
        self,
        params: dict[str, TypeParams],
        seasons: dict[str, np.ndarray] | None = None,
        window: tuple[int, int] | None = None,
    ) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """Per type: (arrivals per day, mean stay of those arrivals in days, census at the end of the day).

        The census is computed only inside ``window`` (grid indices), if given.
        """
        out = {}
        for t in self.types:
            p = params[t]
            lam = self.rates(t, p, None if seasons is None else seasons.get(t))
            mean = p.mean_stay * trend.factor(p.drift, self.years)
            out[t] = (lam, mean, self.census(t, lam, mean, window))
        return out


class Predictor:
    """Predicts every row of an observation table from a surrogate evaluation, with cumulative sums."""

    def __init__(self, surrogate: Surrogate, obs: pd.DataFrame, only_used: bool = False):
        self.s = surrogate
        self.measure = obs["measure"].to_numpy()
        self.i0 = np.array([surrogate.day(d) for d in obs["start"]])
        self.i1 = np.array([surrogate.day(d) for d in obs["end"]])
        if len(obs) and (self.i0.min() < 0 or self.i1.max() > surrogate.n):
            raise ValueError("an observation lies outside the surrogate's grid")
        self.places = obs["places"].to_numpy(dtype=float)
        self.groups = [tuple(t for t in TYPE_GROUPS[p] if t in surrogate.types) for p in obs["placement_type"]]
        self.all = tuple(surrogate.types)
        needs = np.isin(self.measure, ("mean_census", "occupancy", "bed_days"))
        if only_used:  # the census is needed only where used rows need it (others are then not predicted)
            needs &= obs["used"].to_numpy()
        self.window = (int(self.i0[needs].min()), int(self.i1[needs].max())) if needs.any() else (0, 0)

    def __call__(self, ev: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]) -> np.ndarray:
        def csum(a: np.ndarray) -> np.ndarray:
            return np.concatenate([[0.0], np.cumsum(a)])

        sums = {t: (csum(lam), csum(lam * mean), csum(m)) for t, (lam, mean, m) in ev.items()}
        i0, i1 = self.i0, self.i1
        days = np.maximum(i1 - i0, 1)

        def total(group, k):
            return sum(sums[t][k][i1] - sums[t][k][i0] for t in group) if group else np.zeros(len(i0))

        out = np.full(len(i0), np.nan)
        by_group: dict[tuple, tuple] = {}
        for g in set(self.groups) | {self.all}:
            by_group[g] = (total(g, 0), total(g, 1), total(g, 2))
        for j, (measure, g) in enumerate(zip(self.measure, self.groups)):
            lam, lam_mean, census = (v[j] for v in by_group[g])
            if measure == "admissions":
                out[j] = lam * DAYS_PER_YEAR / days[j]
            elif measure == "share_of_admissions":
                out[j] = lam / by_group[self.all][0][j]
            elif measure == "mean_stay":
                out[j] = lam_mean / lam
            elif measure == "mean_census":
                out[j] = census / days[j]
            elif measure == "occupancy":
                out[j] = census / days[j] / self.places[j]
            elif measure == "bed_days":
                out[j] = census / days[j] * DAYS_PER_YEAR
        return out
